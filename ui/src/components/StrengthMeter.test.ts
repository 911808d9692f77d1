import { cleanup, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const passphraseStrength = vi.fn();
vi.mock("../lib/api", () => ({ api: { passphraseStrength: (...a: unknown[]) => passphraseStrength(...a) } }));

import StrengthMeter from "./StrengthMeter.svelte";

function meter() {
  return screen.getByTestId("strength-meter");
}

function filled() {
  return meter().querySelectorAll(".segment.filled").length;
}

describe("StrengthMeter", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    passphraseStrength.mockReset();
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("asks the backend after 150 ms and shows score, label and feedback", async () => {
    passphraseStrength.mockResolvedValue({ score: 3, acceptable: true, label: "strong", feedback: "Add another word." });
    render(StrengthMeter, { props: { passphrase: "violet staple lantern", profileName: "work" } });
    await vi.advanceTimersByTimeAsync(149);
    expect(passphraseStrength).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await tick();
    expect(passphraseStrength).toHaveBeenCalledWith("violet staple lantern", "work");
    expect(screen.getByTestId("strength-label").textContent).toBe("Strong");
    expect(screen.getByTestId("strength-feedback").textContent).toBe("Add another word.");
    expect(filled()).toBe(4);
    expect(meter().dataset.score).toBe("3");
    expect(meter().querySelectorAll(".segment").length).toBe(5);
    expect(screen.getByRole("meter").getAttribute("aria-valuenow")).toBe("3");
  });

  it("says when a passphrase is not accepted", async () => {
    passphraseStrength.mockResolvedValue({ score: 0, acceptable: false, label: "very weak", feedback: "Use at least 8 characters." });
    render(StrengthMeter, { props: { passphrase: "abc" } });
    await vi.advanceTimersByTimeAsync(150);
    await tick();
    expect(screen.getByTestId("strength-label").textContent).toBe("Very weak");
    expect(meter().textContent).toContain("not accepted yet");
    expect(meter().classList.contains("weak")).toBe(true);
    expect(filled()).toBe(1);
  });

  it("does not call the backend for an empty passphrase and debounces typing", async () => {
    passphraseStrength.mockResolvedValue({ score: 4, acceptable: true, label: "very strong", feedback: null });
    const { rerender } = render(StrengthMeter, { props: { passphrase: "" } });
    await vi.advanceTimersByTimeAsync(500);
    expect(passphraseStrength).not.toHaveBeenCalled();
    expect(screen.getByTestId("strength-label").textContent).toBe("—");
    expect(filled()).toBe(0);

    await rerender({ passphrase: "a" });
    await vi.advanceTimersByTimeAsync(100);
    await rerender({ passphrase: "ab" });
    await vi.advanceTimersByTimeAsync(100);
    await rerender({ passphrase: "abc long enough" });
    await vi.advanceTimersByTimeAsync(150);
    await tick();
    expect(passphraseStrength).toHaveBeenCalledOnce();
    expect(passphraseStrength).toHaveBeenCalledWith("abc long enough", "");
    expect(filled()).toBe(5);
  });
});
