import { describe, expect, it } from "vitest";
import { SETTING_RANGES, validateSettings } from "./settings";

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
