import { beforeEach, describe, expect, it, vi } from "vitest";

const appStatus = vi.fn();
const lock = vi.fn();
vi.mock("./api", () => ({ api: { appStatus: (...a: unknown[]) => appStatus(...a), lock: (...a: unknown[]) => lock(...a) } }));

import type { ProfileRecord, Unlocked } from "./api";
import { LAST_PROFILE_KEY, Session } from "./session.svelte";
import { toasts } from "./toasts.svelte";
import { DEFAULT_SETTINGS } from "./settings.fixture";

function profile(name: string): ProfileRecord {
  return { id: `id-${name}`, display_name: name, created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z", totp_enabled: false, keychain_unlock: false };
}

function unlocked(name: string): Unlocked {
  return {
    profile: profile(name),
    settings: { ...DEFAULT_SETTINGS },
    secret_count: 0,
    read_only: false,
  };
}

function memoryStorage(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), map: m };
}

describe("Session", () => {
  beforeEach(() => {
    appStatus.mockReset();
    lock.mockReset();
  });

  it("starts on the first-run screen without profiles", async () => {
    appStatus.mockResolvedValue({ profiles: [], unlocked: null });
    const s = new Session(memoryStorage());
    expect(s.screen).toBe("loading");
    await s.load();
    expect(s.screen).toBe("first-run");
    expect(s.profileName).toBeNull();
  });

  it("preselects the last used profile on the unlock screen", async () => {
    appStatus.mockResolvedValue({ profiles: [profile("personal"), profile("work")], unlocked: null });
    const s = new Session(memoryStorage({ [LAST_PROFILE_KEY]: "work" }));
    await s.load();
    expect(s.screen).toBe("locked");
    expect(s.selectedProfile).toBe("work");
    expect(s.profileName).toBe("work");
  });

  it("falls back to the first profile when the last one is gone", async () => {
    appStatus.mockResolvedValue({ profiles: [profile("a"), profile("b")], unlocked: null });
    const s = new Session(memoryStorage({ [LAST_PROFILE_KEY]: "deleted" }));
    await s.load();
    expect(s.selectedProfile).toBe("a");
  });

  it("shows a load error instead of a screen", async () => {
    appStatus.mockRejectedValue({ code: "storage.io", message: "cannot read", suggestion: "check the disk" });
    const s = new Session(memoryStorage());
    await s.load();
    expect(s.screen).toBe("error");
    expect(s.loadError?.message).toBe("Cannot read.");
  });

  it("unlocks, remembers the profile, and locks with a note after inactivity", async () => {
    appStatus.mockResolvedValue({ profiles: [], unlocked: null });
    const storage = memoryStorage();
    const s = new Session(storage);
    await s.load();
    s.setUnlocked(unlocked("work"));
    expect(s.screen).toBe("unlocked");
    expect(s.profiles.map((p) => p.display_name)).toEqual(["work"]);
    expect(storage.map.get(LAST_PROFILE_KEY)).toBe("work");
    s.view = "audit";
    toasts.push("info", "Copied WORK_KEY");
    s.setLocked("idle");
    expect(s.screen).toBe("locked");
    expect(s.lockNote).toBe("Locked after inactivity");
    expect(s.view).toBe("secrets");
    expect(s.selectedProfile).toBe("work");
    expect(toasts.items).toEqual([]);
  });

  it("locks through the backend, and locks the UI even if the call fails", async () => {
    const s = new Session(memoryStorage());
    s.loading = false;
    s.setUnlocked(unlocked("work"));
    lock.mockRejectedValue(new Error("ipc"));
    await s.lock();
    expect(lock).toHaveBeenCalledOnce();
    expect(s.screen).toBe("locked");
    expect(s.lockNote).toBeNull();
  });

  it("does not lock while busy", async () => {
    const s = new Session(memoryStorage());
    s.loading = false;
    s.setUnlocked(unlocked("work"));
    s.busy = "Rotating";
    await s.lock();
    expect(lock).not.toHaveBeenCalled();
    expect(s.screen).toBe("unlocked");
  });

  it("goes to the unlock screen when a call says the vault is locked", () => {
    const s = new Session(memoryStorage());
    s.loading = false;
    s.setUnlocked(unlocked("work"));
    const other = s.handleError({ code: "secret.not_found", message: "no such secret", suggestion: "" });
    expect(other.code).toBe("secret.not_found");
    expect(s.screen).toBe("unlocked");
    s.handleError({ code: "vault.locked", message: "the vault is locked", suggestion: "unlock it" });
    expect(s.screen).toBe("locked");
    expect(s.lockNote).toMatch(/locked/);
  });

  it("switches to the create form and back, and tracks settings", () => {
    const s = new Session(memoryStorage());
    s.loading = false;
    s.profiles = [profile("a")];
    expect(s.screen).toBe("locked");
    s.startCreate();
    expect(s.screen).toBe("first-run");
    s.cancelCreate();
    expect(s.screen).toBe("locked");
    s.setUnlocked(unlocked("a"));
    const next = { ...unlocked("a").settings, online_mode_enabled: true };
    s.setSettings(next);
    expect(s.settings?.online_mode_enabled).toBe(true);
  });
});
