import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const unlock = vi.fn();
vi.mock("../lib/api", () => ({ api: { unlock: (...a: unknown[]) => unlock(...a) } }));

import type { ProfileRecord, Unlocked } from "../lib/api";
import { session } from "../lib/session.svelte";
import Unlock from "./Unlock.svelte";
import { DEFAULT_SETTINGS } from "../lib/settings.fixture";

function profile(name: string): ProfileRecord {
  return { id: `id-${name}`, display_name: name, created_at: "", updated_at: "", totp_enabled: false, keychain_unlock: false };
}

function passphraseInput(): HTMLInputElement {
  return document.getElementById("unlock-passphrase") as HTMLInputElement;
}

function submit(): HTMLButtonElement {
  return screen.getByTestId("unlock-submit") as HTMLButtonElement;
}

async function enter(pw: string) {
  await fireEvent.input(passphraseInput(), { target: { value: pw } });
  await fireEvent.click(submit());
  await vi.advanceTimersByTimeAsync(0);
  await tick();
}

describe("Unlock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    unlock.mockReset();
    session.loading = false;
    session.unlocked = null;
    session.profiles = [profile("personal"), profile("work")];
    session.selectedProfile = "work";
    session.lockNote = "Locked after inactivity";
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("preselects the profile, shows the lock note and waits for a passphrase", async () => {
    render(Unlock);
    expect((document.getElementById("unlock-profile") as HTMLSelectElement).value).toBe("work");
    expect(screen.getByTestId("lock-note").textContent).toBe("Locked after inactivity");
    expect(submit().disabled).toBe(true);
    await fireEvent.input(passphraseInput(), { target: { value: "x" } });
    expect(submit().disabled).toBe(false);
  });

  it("unlocks the selected profile", async () => {
    const result: Unlocked = {
      profile: profile("work"),
      settings: { ...DEFAULT_SETTINGS },
      secret_count: 2,
      read_only: false,
    };
    unlock.mockResolvedValue(result);
    render(Unlock);
    await enter("correct horse");
    expect(unlock).toHaveBeenCalledWith("work", "correct horse");
    expect(session.screen).toBe("unlocked");
  });

  it("says the passphrase is wrong and clears it", async () => {
    unlock.mockRejectedValue({ code: "vault.wrong_passphrase", message: "wrong passphrase", suggestion: "check caps lock", retryAfterSecs: null });
    render(Unlock);
    await enter("nope");
    const err = screen.getByTestId("unlock-error");
    expect(err.textContent).toContain("Wrong passphrase.");
    expect(err.textContent).toContain("Check caps lock.");
    expect(passphraseInput().value).toBe("");
    expect(screen.queryByTestId("backoff-countdown")).toBeNull();
  });

  it("counts down while throttled and keeps the button disabled until 0", async () => {
    unlock.mockRejectedValue({ code: "vault.throttled", message: "too many attempts", suggestion: "wait", retryAfterSecs: 3 });
    render(Unlock);
    await enter("nope");
    expect(screen.getByTestId("backoff-countdown").textContent).toContain("Try again in 3 s");
    await fireEvent.input(passphraseInput(), { target: { value: "again" } });
    expect(submit().disabled).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(screen.getByTestId("backoff-countdown").textContent).toContain("Try again in 2 s");
    await vi.advanceTimersByTimeAsync(2000);
    await tick();
    expect(screen.queryByTestId("backoff-countdown")).toBeNull();
    expect(submit().disabled).toBe(false);
  });

  it("offers a new profile", async () => {
    render(Unlock);
    await fireEvent.click(screen.getByRole("button", { name: "New profile" }));
    expect(session.screen).toBe("first-run");
    session.cancelCreate();
  });
});
