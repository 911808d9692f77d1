import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const api = vi.hoisted(() => ({ passphraseStrength: vi.fn(), createProfile: vi.fn() }));
vi.mock("../lib/api", () => ({ api }));

import { session } from "../lib/session.svelte";
import FirstRun from "./FirstRun.svelte";

function input(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

async function type(id: string, value: string) {
  await fireEvent.input(input(id), { target: { value } });
}

async function settle(ms = 200) {
  await vi.advanceTimersByTimeAsync(ms);
  await tick();
}

function submit(): HTMLButtonElement {
  return screen.getByTestId("create-profile-submit") as HTMLButtonElement;
}

describe("FirstRun", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    api.passphraseStrength.mockReset();
    api.createProfile.mockReset();
    session.loading = false;
    session.unlocked = null;
    session.profiles = [];
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("warns that a lost passphrase cannot be recovered", () => {
    render(FirstRun);
    expect(screen.getByTestId("create-profile-form")).toBeTruthy();
    expect(screen.getByTestId("recovery-warning").textContent).toMatch(/cannot be recovered/);
  });

  it("enables Create only with a name, an acceptable passphrase and a matching confirmation", async () => {
    api.passphraseStrength.mockImplementation(async (pw: string) => ({
      score: pw.length >= 8 ? 3 : 0,
      acceptable: pw.length >= 8,
      label: pw.length >= 8 ? "strong" : "very weak",
      feedback: null,
    }));
    render(FirstRun);
    expect(submit().disabled).toBe(true);

    await type("profile-name", "work");
    await type("new-passphrase", "short");
    await type("confirm-passphrase", "short");
    await settle();
    expect(api.passphraseStrength).toHaveBeenLastCalledWith("short", "work");
    expect(submit().disabled).toBe(true);

    await type("new-passphrase", "violet staple lantern");
    await settle();
    expect(screen.getByText("Passphrases differ")).toBeTruthy();
    expect(submit().disabled).toBe(true);

    await type("confirm-passphrase", "violet staple lantern");
    await settle(0);
    expect(screen.queryByText("Passphrases differ")).toBeNull();
    expect(submit().disabled).toBe(false);

    await type("profile-name", "  ");
    await settle();
    expect(submit().disabled).toBe(true);
  });

  it("creates the profile and shows errors inline", async () => {
    api.passphraseStrength.mockResolvedValue({ score: 4, acceptable: true, label: "very strong", feedback: null });
    api.createProfile.mockRejectedValueOnce({ code: "profile.already_exists", message: "a profile named work exists", suggestion: "pick another name" });
    render(FirstRun);
    await type("profile-name", " work ");
    await type("new-passphrase", "violet staple lantern");
    await type("confirm-passphrase", "violet staple lantern");
    await settle();
    await fireEvent.click(submit());
    await settle(0);
    expect(api.createProfile).toHaveBeenCalledWith("work", "violet staple lantern");
    expect(screen.getByTestId("form-error").textContent).toContain("A profile named work exists.");
    expect(session.screen).toBe("first-run");
  });
});
