import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { REVEAL_MS, Revealer, type Revealed } from "./reveal";

describe("Revealer", () => {
  let changes: (Revealed | null)[];
  let r: Revealer;
  beforeEach(() => {
    vi.useFakeTimers();
    changes = [];
    r = new Revealer((c) => changes.push(c));
  });
  afterEach(() => vi.useRealTimers());

  it("hides after exactly 10 s", () => {
    expect(REVEAL_MS).toBe(10_000);
    r.show("a", "sk-1");
    expect(r.current).toEqual({ id: "a", value: "sk-1" });
    vi.advanceTimersByTime(9_999);
    expect(r.isShown("a")).toBe(true);
    vi.advanceTimersByTime(1);
    expect(r.current).toBeNull();
    expect(changes).toEqual([{ id: "a", value: "sk-1" }, null]);
  });

  it("shows one value at a time and restarts the timer", () => {
    r.show("a", "1");
    vi.advanceTimersByTime(6_000);
    r.show("b", "2");
    expect(r.isShown("a")).toBe(false);
    expect(r.isShown("b")).toBe(true);
    vi.advanceTimersByTime(6_000);
    expect(r.isShown("b")).toBe(true);
    vi.advanceTimersByTime(4_000);
    expect(r.current).toBeNull();
  });

  it("hides on demand, and only the named one", () => {
    r.show("a", "1");
    r.hide("b");
    expect(r.isShown("a")).toBe(true);
    r.hide("a");
    expect(r.current).toBeNull();
    r.show("c", "3");
    r.hide();
    expect(r.current).toBeNull();
    // No stale timer fires later.
    const before = changes.length;
    vi.advanceTimersByTime(20_000);
    expect(changes.length).toBe(before);
  });

  it("does not notify when nothing was shown", () => {
    r.hide();
    expect(changes).toEqual([]);
  });

  it("accepts another duration", () => {
    const short = new Revealer(() => {}, 500);
    short.show("x", "v");
    vi.advanceTimersByTime(500);
    expect(short.current).toBeNull();
  });
});
