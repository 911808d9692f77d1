import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TOAST_MS, ToastStore } from "./toasts.svelte";

describe("ToastStore", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("adds toasts and dismisses each after 6 s", () => {
    expect(TOAST_MS).toBe(6_000);
    const t = new ToastStore();
    t.push("success", "Saved");
    vi.advanceTimersByTime(3_000);
    t.push("warning", "Copied", "clears in 30 s");
    expect(t.items.map((x) => x.message)).toEqual(["Saved", "Copied"]);
    expect(t.items[1]).toMatchObject({ kind: "warning", detail: "clears in 30 s" });
    vi.advanceTimersByTime(3_000);
    expect(t.items.map((x) => x.message)).toEqual(["Copied"]);
    vi.advanceTimersByTime(3_000);
    expect(t.items).toEqual([]);
  });

  it("dismisses by id and clears everything", () => {
    const t = new ToastStore();
    const a = t.push("info", "a");
    t.push("info", "b");
    t.dismiss(a);
    expect(t.items.map((x) => x.message)).toEqual(["b"]);
    t.push("error", "c");
    t.clear();
    expect(t.items).toEqual([]);
    vi.advanceTimersByTime(10_000);
    expect(t.items).toEqual([]);
  });

  it("gives each toast its own id", () => {
    const t = new ToastStore();
    expect(t.push("info", "x")).not.toBe(t.push("info", "x"));
  });
});
