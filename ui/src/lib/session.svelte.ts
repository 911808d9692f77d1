// App state: profiles, lock state, the unlocked profile and the current
// view. The screen follows from it: loading → first run → unlock → main.

import { api } from "./api";
import type { ProfileRecord, ProviderInfo, SecretPage, Settings, Unlocked } from "./api";
import { describeError, type ErrorInfo } from "./errors";
import { alerts } from "./alerts.svelte";
import { scheduler } from "./dashboard.svelte";
import { jobs } from "./jobs.svelte";
import { scans } from "./scans.svelte";
import { toasts } from "./toasts.svelte";

/** Views of the main screen. */
export type View =
  | "secrets"
  | "dashboard"
  | "alerts"
  | "automation"
  | "import"
  | "projects"
  | "dotenv"
  | "bundles"
  | "settings"
  | "audit";

/** What App shows. */
export type Screen = "loading" | "error" | "first-run" | "locked" | "unlocked";

/** Why the vault was locked (the first two come from the backend event). */
export type LockReason = "idle" | "user" | "expired" | "rotation";

/** The note the unlock screen shows for each reason. */
export const LOCK_NOTES: Record<LockReason, string | null> = {
  idle: "Locked after inactivity",
  user: null,
  expired: "The vault was locked. Unlock to continue.",
  rotation: "The vault was locked because the key rotation did not finish. Unlock to continue.",
};

/** Where the last used profile name is remembered (a name, never a secret). */
export const LAST_PROFILE_KEY = "keyclave.lastProfile";

type KeyValue = Pick<Storage, "getItem" | "setItem">;

function browserStorage(): KeyValue | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

/** The app's state (reactive). */
export class Session {
  loading = $state(true);
  loadError = $state<ErrorInfo | null>(null);
  profiles = $state<ProfileRecord[]>([]);
  unlocked = $state<Unlocked | null>(null);
  /** Showing the create-profile form although profiles exist. */
  creating = $state(false);
  view = $state<View>("secrets");
  lockNote = $state<string | null>(null);
  /** The profile picked on the unlock screen. */
  selectedProfile = $state("");
  /** Long work in progress that must not be interrupted by lock or navigation. */
  busy = $state<string | null>(null);
  /** The project folder last used on the .env screen (kept across views). */
  dotenvDir = $state("");
  /** The secrets list's first page and the providers, fetched right after
   * unlock so the list paints in one pass (taken once by the list). */
  #prefetched: { page: SecretPage; providers: ProviderInfo[] } | null = null;

  screen: Screen = $derived.by(() => {
    if (this.loading) return "loading";
    if (this.loadError) return "error";
    if (this.unlocked) return "unlocked";
    if (this.profiles.length === 0 || this.creating) return "first-run";
    return "locked";
  });

  settings: Settings | null = $derived(this.unlocked?.settings ?? null);

  /** The profile to name in the status bar, if any. */
  profileName: string | null = $derived(
    this.unlocked?.profile.display_name ?? (this.profiles.length > 0 && this.selectedProfile ? this.selectedProfile : null),
  );

  constructor(private readonly storage: KeyValue | null = browserStorage()) {}

  /** Fetch profiles and lock state. */
  async load(): Promise<void> {
    this.loading = true;
    this.loadError = null;
    try {
      const status = await api.appStatus();
      this.profiles = status.profiles;
      this.unlocked = status.unlocked;
      this.selectedProfile = status.unlocked?.profile.display_name ?? this.#preferredProfile();
    } catch (e) {
      this.loadError = describeError(e);
    } finally {
      this.loading = false;
    }
  }

  /** The last used profile if it still exists, else the first. */
  #preferredProfile(): string {
    const last = this.storage?.getItem(LAST_PROFILE_KEY) ?? null;
    const match = last ? this.profiles.find((p) => p.display_name.toLowerCase() === last.toLowerCase()) : undefined;
    return (match ?? this.profiles[0])?.display_name ?? "";
  }

  /** Fetch what the secrets list shows first (failures are left to the list itself). */
  async prefetchSecrets(limit: number): Promise<void> {
    try {
      const query = { provider_id: null, environment: null, search: null, offset: 0, limit };
      const [page, providers] = await Promise.all([api.listSecrets(query), api.listProviders()]);
      this.#prefetched = { page, providers };
    } catch {
      this.#prefetched = null;
    }
  }

  /** The prefetched first page, once. */
  takePrefetched(): { page: SecretPage; providers: ProviderInfo[] } | null {
    const p = this.#prefetched;
    this.#prefetched = null;
    return p;
  }

  /** A profile was unlocked (or created and unlocked). */
  setUnlocked(u: Unlocked): void {
    if (!this.profiles.some((p) => p.id === u.profile.id)) {
      this.profiles = [...this.profiles, u.profile].sort((a, b) => a.display_name.localeCompare(b.display_name));
    }
    this.unlocked = u;
    this.selectedProfile = u.profile.display_name;
    this.creating = false;
    this.lockNote = null;
    this.view = "secrets";
    try {
      this.storage?.setItem(LAST_PROFILE_KEY, u.profile.display_name);
    } catch {
      // Remembering the profile is a convenience only.
    }
  }

  /** Keychain unlock was turned on or off for the unlocked profile: the
   * unlock screen offers it (or not) from the next lock. */
  setKeychainUnlock(on: boolean): void {
    const id = this.unlocked?.profile.id;
    if (!id) return;
    this.profiles = this.profiles.map((p) => (p.id === id ? { ...p, keychain_unlock: on } : p));
    if (this.unlocked) this.unlocked = { ...this.unlocked, profile: { ...this.unlocked.profile, keychain_unlock: on } };
  }

  /** The vault is locked: forget everything from it and show the unlock screen. */
  setLocked(reason: LockReason): void {
    const wasUnlocked = this.unlocked !== null;
    this.#prefetched = null;
    this.unlocked = null;
    this.busy = null;
    this.creating = false;
    this.view = "secrets";
    if (wasUnlocked || reason !== "user") this.lockNote = LOCK_NOTES[reason];
    // Toasts can name keys; none survive a lock. Jobs stopped with the vault.
    toasts.clear();
    jobs.clear();
    scans.clear();
    scheduler.clear();
    alerts.clear();
  }

  /** Lock now (Lock button, Ctrl+L). The UI locks even if the call fails. */
  async lock(): Promise<void> {
    if (this.busy || !this.unlocked) return;
    try {
      await api.lock();
    } catch {
      // The backend drops the vault before anything can fail.
    } finally {
      this.setLocked("user");
    }
  }

  /** Describe an error from a call made while unlocked; `vault.locked` goes to the unlock screen. */
  handleError(e: unknown): ErrorInfo {
    const info = describeError(e);
    if (info.code === "vault.locked" && this.unlocked && !this.busy) this.setLocked("expired");
    return info;
  }

  /** Settings were saved. */
  setSettings(s: Settings): void {
    if (this.unlocked) this.unlocked = { ...this.unlocked, settings: s };
  }

  /** Show the create-profile form from the unlock screen, or go back. */
  startCreate(): void {
    this.creating = true;
  }
  cancelCreate(): void {
    this.creating = false;
  }
}

/** The app's session. */
export const session = new Session();
