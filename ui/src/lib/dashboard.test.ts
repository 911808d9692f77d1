import { describe, expect, it } from "vitest";
import { Scheduler, expiresSoon, expiryLabel, healthLabel, schedulerLabel } from "./dashboard.svelte";

const now = new Date("2026-12-04T12:00:00Z");

describe("dashboard words", () => {
  it("counts down to an expiry", () => {
    expect(expiryLabel("2026-12-09T12:00:00Z", now)).toBe("in 5 days");
    expect(expiryLabel("2026-12-05T13:00:00Z", now)).toBe("in 1 day");
    expect(expiryLabel("2026-12-04T18:00:00Z", now)).toBe("today");
    expect(expiryLabel("2026-12-01T12:00:00Z", now)).toBe("expired 3 days ago");
    expect(expiryLabel(null, now)).toBe("—");
    expect(expiresSoon("2026-12-10T00:00:00Z", now)).toBe(true);
    expect(expiresSoon("2027-02-01T00:00:00Z", now)).toBe(false);
  });

  it("names health and the scheduler's state", () => {
    expect(healthLabel("degraded")).toBe("Limited");
    expect(healthLabel("whatever")).toBe("Unknown");
    expect(schedulerLabel({ state: "refreshing", done: 3, total: 12 })).toBe("Refreshing 3/12");
    expect(schedulerLabel({ state: "quiet", until_hour: 7 })).toBe("Quiet hours until 07:00");
    expect(schedulerLabel({ state: "off", reason: "Online Mode is off" })).toBeNull();
    expect(schedulerLabel({ state: "idle", next_at: null })).toContain("nothing");
  });

  it("reloads the dashboard when a background pass collected something", () => {
    const s = new Scheduler();
    s.apply({ state: "idle", next_at: null });
    expect(s.generation).toBe(0);
    s.apply({ state: "refreshing", done: 0, total: 2 });
    expect(s.generation).toBe(0);
    s.apply({ state: "refreshing", done: 1, total: 2 });
    expect(s.generation).toBe(1);
    s.apply({ state: "idle", next_at: "2026-12-04T13:00:00Z" });
    expect(s.generation).toBe(2);
  });
});
