// The key dashboard's words and colours, and the background refresh
// state the backend reports on `dashboard://scheduler`.

import type { SchedulerStatus, Staleness, Usage } from "./bindings";

/** "in 5 days", "today", "expired 3 days ago" for an expiry time. */
export function expiryLabel(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  const days = Math.floor((t - now.getTime()) / 86_400_000);
  if (t < now.getTime()) {
    const ago = Math.floor((now.getTime() - t) / 86_400_000);
    return ago === 0 ? "expired today" : `expired ${ago} ${ago === 1 ? "day" : "days"} ago`;
  }
  if (days === 0) return "today";
  return `in ${days} ${days === 1 ? "day" : "days"}`;
}

/** Whether an expiry is within the 14-day warning window (or past). */
export function expiresSoon(iso: string | null | undefined, now: Date = new Date()): boolean {
  if (!iso) return false;
  const t = Date.parse(iso);
  return !Number.isNaN(t) && t - now.getTime() < 14 * 86_400_000;
}

/** The staleness dot's words. */
export function stalenessLabel(s: Staleness): string {
  return s === "fresh" ? "Fresh (under an hour)" : s === "aging" ? "Under a day old" : "Stale or failed";
}

/** A health status for people. */
export function healthLabel(h: string): string {
  switch (h) {
    case "valid":
      return "Valid";
    case "invalid":
      return "Invalid";
    case "degraded":
      return "Limited";
    case "outage":
      return "Outage";
    default:
      return "Unknown";
  }
}

function amount(n: number, unit: string | null | undefined): string {
  const shown = Number.isInteger(n) ? n.toLocaleString() : n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return unit ? `${shown} ${unit}` : shown;
}

/** What the usage bar measures, for its tooltip. */
export function usageTitle(u: Usage): string {
  const pct = `${Math.round(u.quota_percent ?? 0)}%`;
  if (u.credits_limit != null && u.credits_used != null) {
    return `${pct} of the credit limit used (${amount(u.credits_used, u.credits_unit)} of ${amount(u.credits_limit, u.credits_unit)})`;
  }
  return `${pct} of the rate limit used`;
}

/** "150 of 200 emails left (monthly)", "12.50 EUR balance", "2.25 USD this month"; null when the API said nothing. */
export function creditsLabel(u: Usage): string | null {
  const parts: string[] = [];
  if (u.credits_remaining != null && u.credits_limit != null) {
    parts.push(`${amount(u.credits_remaining, null)} of ${amount(u.credits_limit, u.credits_unit)} left`);
  } else if (u.credits_remaining != null) {
    parts.push(`${amount(u.credits_remaining, u.credits_unit)} balance`);
  } else if (u.credits_used != null) {
    parts.push(`${amount(u.credits_used, u.credits_unit)} used`);
  }
  if (u.cost != null) parts.push(`${amount(u.cost, u.currency)} spent this ${u.period ?? "period"}`);
  else if (parts.length && u.period) parts[0] += ` (${u.period})`;
  return parts.length ? parts.join(" · ") : null;
}

function clock(iso: string): string {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** The status bar's words: "Refreshing 3/12", "Next refresh 14:05". */
export function schedulerLabel(s: SchedulerStatus | null): string | null {
  if (!s) return null;
  switch (s.state) {
    case "refreshing":
      return `Refreshing ${s.done}/${s.total}`;
    case "idle":
      return s.next_at ? `Next refresh ${clock(s.next_at)}` : "Background refresh: nothing to collect";
    case "quiet":
      return `Quiet hours until ${String(s.until_hour).padStart(2, "0")}:00`;
    case "off":
      return null;
  }
}

/** The background refresh, as last reported (reactive). */
export class Scheduler {
  status = $state<SchedulerStatus | null>(null);
  /** Bumped when a background pass refreshed keys: the dashboard reloads. */
  generation = $state(0);

  apply(next: SchedulerStatus): void {
    const prev = this.status;
    if (next.state === "refreshing" && next.done > 0) this.generation++;
    else if (prev?.state === "refreshing" && next.state !== "refreshing") this.generation++;
    this.status = next;
  }

  clear(): void {
    this.status = null;
  }
}

/** The app's scheduler state. */
export const scheduler = new Scheduler();
