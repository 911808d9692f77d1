import { describe, expect, it } from "vitest";
import { SETTING_RANGES, backgroundSettings, validateSettings } from "./settings";

const ok = {
  auto_lock_timeout_seconds: 300,
  clipboard_auto_clear_seconds: 30,
  audit_retention_max_count: 10_000,
  audit_retention_max_days: 365,
};

describe("validateSettings", () => {
  it("accepts the defaults and the bounds", () => {
    expect(validateSettings(ok)).toEqual({});
    const lows = { auto_lock_timeout_seconds: 5, clipboard_auto_clear_seconds: 5, audit_retention_max_count: 100, audit_retention_max_days: 1 };
    const highs = { auto_lock_timeout_seconds: 86_400, clipboard_auto_clear_seconds: 3_600, audit_retention_max_count: 10_000_000, audit_retention_max_days: 36_500 };
    expect(validateSettings(lows)).toEqual({});
    expect(validateSettings(highs)).toEqual({});
  });

  it("names each field out of range", () => {
    const e = validateSettings({ ...ok, auto_lock_timeout_seconds: 4, audit_retention_max_days: 36_501 });
    expect(Object.keys(e).sort()).toEqual(["audit_retention_max_days", "auto_lock_timeout_seconds"]);
    expect(e.auto_lock_timeout_seconds).toBe("Auto-lock must be between 5 and 86,400.");
  });

  it("rejects empty, fractional and NaN input", () => {
    const e = validateSettings({ ...ok, clipboard_auto_clear_seconds: Number.NaN, audit_retention_max_count: 150.5 });
    expect(e.clipboard_auto_clear_seconds).toMatch(/whole number/);
    expect(e.audit_retention_max_count).toMatch(/whole number/);
  });

  it("matches the documented ranges", () => {
    expect(SETTING_RANGES.clipboard_auto_clear_seconds).toMatchObject({ min: 5, max: 3600 });
  });
});

describe("backgroundSettings", () => {
  it("turns minutes and quiet hours into core's fields", () => {
    expect(backgroundSettings({ interval_minutes: 60, quiet: true, quiet_start: 22, quiet_end: 7 })).toEqual({
      ok: { dashboard_refresh_interval_seconds: 3600, dashboard_quiet_hours_start: 22, dashboard_quiet_hours_end: 7 },
    });
    expect(backgroundSettings({ interval_minutes: 5, quiet: false, quiet_start: 22, quiet_end: 7 })).toEqual({
      ok: { dashboard_refresh_interval_seconds: 300, dashboard_quiet_hours_start: null, dashboard_quiet_hours_end: null },
    });
  });

  it("refuses what core would refuse, naming the field", () => {
    for (const m of [0, 10_081, 1.5, null]) {
      const r = backgroundSettings({ interval_minutes: m, quiet: false, quiet_start: 0, quiet_end: 0 });
      expect(r).toMatchObject({ field: "interval" });
    }
    expect(backgroundSettings({ interval_minutes: 60, quiet: true, quiet_start: 3, quiet_end: 3 })).toMatchObject({ field: "quiet" });
  });
});
