// The bundle screen's logic: expiry choices, file names, key selection,
// and per-conflict decisions.

import type { ConflictDecision, SecretSummary } from "./bindings";

/** Expiry presets, in days (null: never). */
export const EXPIRY_PRESETS: { id: string; label: string; days: number | null }[] = [
  { id: "1", label: "In 1 day", days: 1 },
  { id: "7", label: "In 7 days", days: 7 },
  { id: "30", label: "In 30 days", days: 30 },
  { id: "never", label: "Never", days: null },
];

/** RFC 3339 time `days` after `now`, or null for no expiry. */
export function expiryFor(days: number | null, now: Date = new Date()): string | null {
  if (days === null) return null;
  return new Date(now.getTime() + days * 86_400_000).toISOString();
}

/** A default bundle file name: keyclave-YYYYMMDD.kcbundle. */
export function defaultBundleName(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `keyclave-${String(now.getFullYear())}${p(now.getMonth() + 1)}${p(now.getDate())}.kcbundle`;
}

/** Key names of the selected secrets, each once (a name exports every provider's secret of that name). */
export function selectedKeyNames(secrets: SecretSummary[], selected: string[]): string[] {
  const ids = new Set(selected);
  return [...new Set(secrets.filter((s) => ids.has(s.id)).map((s) => s.key_name))];
}

/** Why a bundle password cannot be used yet, or null. */
export function bundlePasswordProblem(password: string, confirm: string): string | null {
  if (password.length < 8) return "At least 8 characters.";
  if (confirm !== password) return "The passwords differ.";
  return null;
}

/** Labels for conflict decisions. */
export const CONFLICT_DECISIONS: { id: ConflictDecision; label: string }[] = [
  { id: "keep", label: "Keep mine" },
  { id: "replace", label: "Replace with the bundle's" },
  { id: "skip", label: "Skip" },
];

/** "provider/KEY", the identity of a previewed entry. */
export function entryId(e: { provider_id: string; key_name: string }): string {
  return `${e.provider_id}/${e.key_name}`;
}

/** How an exported bundle is protected. */
export type BundleProtection = "password" | "recipients";

/**
 * The recipients typed into the export form: one `age1…` per line (spaces
 * and commas also separate), each once; `problem` says why they cannot be
 * used yet. The backend checks each key fully; this catches typos early.
 */
export function parseRecipients(text: string): { recipients: string[]; problem: string | null } {
  const recipients = [...new Set(text.split(/[\s,]+/).filter((t) => t !== ""))];
  if (recipients.length === 0) return { recipients, problem: "Paste at least one recipient (age1…)." };
  const bad = recipients.find((r) => !/^age1[02-9ac-hj-np-z]{58}$/.test(r));
  if (bad !== undefined) return { recipients, problem: `${bad.slice(0, 12)}… is not a recipient (an age1… key of 62 characters).` };
  return { recipients, problem: null };
}
