// Settings limits (mirroring core's validation) for inline hints and checks
// before a save; core still validates and answers `input.invalid`.

import type { Settings } from "./api";

/** The numeric settings the form edits. */
export type NumericSetting =
  | "auto_lock_timeout_seconds"
  | "clipboard_auto_clear_seconds"
  | "audit_retention_max_count"
  | "audit_retention_max_days";

/** Inclusive range of each numeric setting. */
export const SETTING_RANGES: Record<NumericSetting, { min: number; max: number; label: string }> = {
  auto_lock_timeout_seconds: { min: 5, max: 86_400, label: "Auto-lock" },
  clipboard_auto_clear_seconds: { min: 5, max: 3_600, label: "Clipboard clearing" },
  audit_retention_max_count: { min: 100, max: 10_000_000, label: "Audit events kept" },
  audit_retention_max_days: { min: 1, max: 36_500, label: "Audit days kept" },
};

/** Problems by field; empty when the settings can be saved. */
export function validateSettings(s: Pick<Settings, NumericSetting>): Partial<Record<NumericSetting, string>> {
  const errors: Partial<Record<NumericSetting, string>> = {};
  for (const [name, r] of Object.entries(SETTING_RANGES) as [NumericSetting, (typeof SETTING_RANGES)[NumericSetting]][]) {
    const v = s[name];
    if (typeof v !== "number" || !Number.isFinite(v) || !Number.isInteger(v)) {
      errors[name] = `${r.label} must be a whole number.`;
    } else if (v < r.min || v > r.max) {
      errors[name] = `${r.label} must be between ${r.min.toLocaleString("en-US")} and ${r.max.toLocaleString("en-US")}.`;
    }
  }
  return errors;
}

/** The background refresh form: interval in minutes, quiet hours or none. */
export type BackgroundForm = { interval_minutes: number | null; quiet: boolean; quiet_start: number; quiet_end: number };

/** Core's range of `dashboard_refresh_interval_seconds`, in minutes. */
export const REFRESH_MINUTES = { min: 1, max: 10_080 };

/** The settings fields of a background form, or why it cannot be saved. */
export function backgroundSettings(
  f: BackgroundForm,
): { ok: Pick<Settings, "dashboard_refresh_interval_seconds" | "dashboard_quiet_hours_start" | "dashboard_quiet_hours_end"> } | { error: string; field: "interval" | "quiet" } {
  const m = f.interval_minutes;
  if (typeof m !== "number" || !Number.isInteger(m) || m < REFRESH_MINUTES.min || m > REFRESH_MINUTES.max) {
    return { error: `The refresh interval must be a whole number of minutes between 1 and ${REFRESH_MINUTES.max.toLocaleString("en-US")} (a week).`, field: "interval" };
  }
  if (f.quiet && f.quiet_start === f.quiet_end) {
    return { error: "Quiet hours need different start and end hours, e.g. 22:00 to 07:00.", field: "quiet" };
  }
  return {
    ok: {
      dashboard_refresh_interval_seconds: m * 60,
      dashboard_quiet_hours_start: f.quiet ? f.quiet_start : null,
      dashboard_quiet_hours_end: f.quiet ? f.quiet_end : null,
    },
  };
}
