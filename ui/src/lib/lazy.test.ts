import { describe, expect, it, vi } from "vitest";
import type { Component } from "svelte";
import { LazyComponent } from "./lazy.svelte";

const Fake = (() => {}) as unknown as Component;

describe("LazyComponent", () => {
  it("loads once, however often it is started", async () => {
    const load = vi.fn(() => Promise.resolve({ default: Fake }));
    const lazy = new LazyComponent(load);
    expect(lazy.current).toBeNull();
    await Promise.all([lazy.start(), lazy.start()]);
    await lazy.start();
    expect(load).toHaveBeenCalledTimes(1);
    expect(lazy.current).toBe(Fake);
    expect(lazy.failed).toBeNull();
  });

  it("says why a load failed and tries again on the next start", async () => {
    const load = vi
      .fn<() => Promise<{ default: Component }>>()
      .mockRejectedValueOnce(new Error("chunk missing"))
      .mockResolvedValueOnce({ default: Fake });
    const lazy = new LazyComponent(load);
    await lazy.start();
    expect(lazy.current).toBeNull();
    expect(lazy.failed).toBe("chunk missing");
    await lazy.start();
    expect(load).toHaveBeenCalledTimes(2);
    expect(lazy.current).toBe(Fake);
    expect(lazy.failed).toBeNull();
  });
});
