import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { throttle, watchActivity } from "./activity";

describe("throttle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("calls at once, then at most once per interval", () => {
    const fn = vi.fn();
    const t = throttle(fn, 5_000);
    t();
    t();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(4_999);
    t();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    t();
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("does not call on its own (no trailing call)", () => {
    const fn = vi.fn();
    const t = throttle(fn, 1_000);
    t();
    t();
    vi.advanceTimersByTime(10_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe("watchActivity", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("reports keydown, mousedown and wheel, throttled, until stopped", () => {
    const target = new EventTarget();
    const fn = vi.fn();
    const stop = watchActivity(target, fn, 5_000);
    target.dispatchEvent(new Event("keydown"));
    target.dispatchEvent(new Event("mousedown"));
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5_000);
    target.dispatchEvent(new Event("wheel"));
    expect(fn).toHaveBeenCalledTimes(2);
    target.dispatchEvent(new Event("scroll"));
    vi.advanceTimersByTime(5_000);
    target.dispatchEvent(new Event("scroll"));
    expect(fn).toHaveBeenCalledTimes(2);
    stop();
    vi.advanceTimersByTime(5_000);
    target.dispatchEvent(new Event("keydown"));
    expect(fn).toHaveBeenCalledTimes(2);
  });
});
