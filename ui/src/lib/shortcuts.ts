// Keyboard shortcuts: Ctrl+K / Ctrl+L, or Cmd on macOS. No single-letter
// shortcuts, so typing in a field never triggers anything.

/** What a shortcut does. */
export type Shortcut = "search" | "lock";

/** The parts of a KeyboardEvent that matter here. */
export type KeyLike = Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">;

const KEYS: Record<Shortcut, { key: string; code: string }> = {
  search: { key: "k", code: "KeyK" },
  lock: { key: "l", code: "KeyL" },
};

/** Whether `platform` (navigator.platform or userAgentData.platform) is Apple's. */
export function isMacPlatform(platform: string): boolean {
  return /mac|iphone|ipad|ipod/i.test(platform);
}

/** This browser's platform, best effort. */
export function currentPlatformIsMac(): boolean {
  if (typeof navigator === "undefined") return false;
  const uaData = (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData;
  return isMacPlatform(uaData?.platform ?? navigator.platform ?? "");
}

/** The shortcut `e` means, if any: the platform's modifier alone plus K or L. */
export function matchShortcut(e: KeyLike, mac: boolean): Shortcut | null {
  const mod = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
  if (!mod || e.altKey || e.shiftKey) return null;
  for (const [name, k] of Object.entries(KEYS) as [Shortcut, { key: string; code: string }][]) {
    // `code` covers layouts where the key does not produce a Latin letter.
    if (e.key.toLowerCase() === k.key || e.code === k.code) return name;
  }
  return null;
}

/** The label of a shortcut for tooltips: "Ctrl+L" or "⌘L". */
export function shortcutLabel(s: Shortcut, mac: boolean): string {
  const letter = KEYS[s].key.toUpperCase();
  return mac ? `⌘${letter}` : `Ctrl+${letter}`;
}

/** The aria-keyshortcuts value: "Control+L" or "Meta+L". */
export function ariaShortcut(s: Shortcut, mac: boolean): string {
  return `${mac ? "Meta" : "Control"}+${KEYS[s].key.toUpperCase()}`;
}
