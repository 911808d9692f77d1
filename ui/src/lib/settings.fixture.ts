// A profile's default settings, as core returns them, for unit tests.
import type { Settings } from "./api";

export const DEFAULT_SETTINGS: Settings = {
  auto_lock_timeout_seconds: 300,
  clipboard_auto_clear_seconds: 30,
  audit_retention_max_count: 10000,
  audit_retention_max_days: 365,
  online_mode_enabled: false,
  local_llm_assist_enabled: false,
  autonomous_mode_enabled: false,
  discovery_network_enabled: false,
  discovery_schedule_hour: 3,
  dashboard_refresh_interval_seconds: 3600,
  dashboard_quiet_hours_start: null,
  dashboard_quiet_hours_end: null,
  automation_max_retries: 3,
  discovery_retention_days: 90,
};
