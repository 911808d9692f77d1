// Formatting helpers for times, waits and sizes. Pure; no DOM.

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Parse an ISO 8601 timestamp; `null` when it is not a date. */
export function parseTime(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the local date. */
export function formatRelative(iso: string, now: Date = new Date()): string {
  const d = parseTime(iso);
  if (!d) return iso;
  const secs = Math.round((now.getTime() - d.getTime()) / 1000);
  if (secs < 0) return formatAbsolute(iso);
  if (secs < 45) return "just now";
  if (secs < HOUR) return `${Math.max(1, Math.round(secs / MINUTE))} min ago`;
  if (secs < DAY) return `${Math.floor(secs / HOUR)} h ago`;
  const days = Math.floor(secs / DAY);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** Local, readable date and time with seconds ("23 Nov 2025, 16:22:05"). */
export function formatAbsolute(iso: string): string {
  const d = parseTime(iso);
  if (!d) return iso;
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** A countdown clock: 65 → "1:05", 5 → "0:05", 3600 → "60:00". */
export function formatCountdown(totalSeconds: number): string {
  const s = Math.max(0, Math.ceil(totalSeconds));
  const m = Math.floor(s / MINUTE);
  return `${m}:${String(s % MINUTE).padStart(2, "0")}`;
}

/** A wait for a sentence ("Try again in …"): "5 s" under a minute, else "1:05". */
export function formatWait(totalSeconds: number): string {
  const s = Math.max(0, Math.ceil(totalSeconds));
  return s < MINUTE ? `${s} s` : formatCountdown(s);
}

/** A duration in words for setting hints: 300 → "5 min", 90 → "1 min 30 s", 86400 → "1 day". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < MINUTE) return `${s} s`;
  const parts: string[] = [];
  const days = Math.floor(s / DAY);
  const hours = Math.floor((s % DAY) / HOUR);
  const mins = Math.floor((s % HOUR) / MINUTE);
  const secs = s % MINUTE;
  if (days) parts.push(days === 1 ? "1 day" : `${days} days`);
  if (hours) parts.push(`${hours} h`);
  if (mins) parts.push(`${mins} min`);
  if (secs) parts.push(`${secs} s`);
  return parts.join(" ");
}

/** Bytes to MiB with at most one decimal: 134217728 → "128 MiB". */
export function bytesToMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  const rounded = Math.round(mib * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} MiB`;
}

/** KiB (the KDF's memory unit) to MiB: 131072 → "128 MiB". */
export function kibToMiB(kib: number): string {
  return bytesToMiB(kib * 1024);
}

/** "1 secret", "3 secrets". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
