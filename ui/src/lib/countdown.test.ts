import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Countdown } from "./countdown";

describe("Countdown", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("ticks every second down to 0, then stops", () => {
    const ticks: number[] = [];
    const c = new Countdown((s) => ticks.push(s));
    c.start(3);
    expect(ticks).toEqual([3]);
    expect(c.running).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(ticks).toEqual([3, 2]);
    vi.advanceTimersByTime(2000);
    expect(ticks).toEqual([3, 2, 1, 0]);
    expect(c.running).toBe(false);
    vi.advanceTimersByTime(5000);
    expect(ticks).toEqual([3, 2, 1, 0]);
  });

  it("restarts and stops on demand", () => {
    const ticks: number[] = [];
    const c = new Countdown((s) => ticks.push(s));
    c.start(10);
    vi.advanceTimersByTime(4000);
    expect(c.remaining).toBe(6);
    c.start(2);
    expect(ticks.at(-1)).toBe(2);
    c.stop();
    vi.advanceTimersByTime(5000);
    expect(ticks.at(-1)).toBe(2);
    expect(c.remaining).toBe(0);
  });

  it("reports 0 at once for no wait", () => {
    const onTick = vi.fn();
    new Countdown(onTick).start(0);
    expect(onTick).toHaveBeenCalledWith(0);
  });
});
