import { describe, expect, it } from "vitest";
import { ariaShortcut, isMacPlatform, matchShortcut, shortcutLabel, type KeyLike } from "./shortcuts";

function key(k: string, mods: Partial<KeyLike> = {}): KeyLike {
  return { key: k, code: `Key${k.toUpperCase()}`, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods };
}

describe("matchShortcut", () => {
  it("uses Ctrl off macOS", () => {
    expect(matchShortcut(key("k", { ctrlKey: true }), false)).toBe("search");
    expect(matchShortcut(key("l", { ctrlKey: true }), false)).toBe("lock");
    expect(matchShortcut(key("L", { ctrlKey: true }), false)).toBe("lock");
    expect(matchShortcut(key("l", { metaKey: true }), false)).toBeNull();
  });
  it("uses Cmd on macOS", () => {
    expect(matchShortcut(key("k", { metaKey: true }), true)).toBe("search");
    expect(matchShortcut(key("l", { metaKey: true }), true)).toBe("lock");
    expect(matchShortcut(key("l", { ctrlKey: true }), true)).toBeNull();
  });
  it("ignores plain letters, other keys and extra modifiers", () => {
    expect(matchShortcut(key("n"), false)).toBeNull();
    expect(matchShortcut(key("k"), false)).toBeNull();
    expect(matchShortcut(key("n", { ctrlKey: true }), false)).toBeNull();
    expect(matchShortcut(key("l", { ctrlKey: true, shiftKey: true }), false)).toBeNull();
    expect(matchShortcut(key("k", { ctrlKey: true, altKey: true }), false)).toBeNull();
    expect(matchShortcut(key("k", { ctrlKey: true, metaKey: true }), false)).toBeNull();
  });
  it("matches by physical key on non-Latin layouts", () => {
    expect(matchShortcut({ ...key("л", { ctrlKey: true }), code: "KeyK" }, false)).toBe("search");
  });
});

describe("platform and labels", () => {
  it("detects macOS", () => {
    expect(isMacPlatform("MacIntel")).toBe(true);
    expect(isMacPlatform("macOS")).toBe(true);
    expect(isMacPlatform("Linux x86_64")).toBe(false);
    expect(isMacPlatform("Win32")).toBe(false);
  });
  it("labels shortcuts", () => {
    expect(shortcutLabel("lock", false)).toBe("Ctrl+L");
    expect(shortcutLabel("search", true)).toBe("⌘K");
    expect(ariaShortcut("lock", false)).toBe("Control+L");
    expect(ariaShortcut("search", true)).toBe("Meta+K");
  });
});
