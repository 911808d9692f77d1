// The Projects screen's logic: labels for confidence, env var states,
// citations and skipped files; what a scan did, in words.

import type {
  Citation,
  EnvVarState,
  EnvVarStatus,
  Necessity,
  Requirement,
  ReviewStatus,
  ScanProgress,
  SkipReason,
} from "./bindings";
import { plural } from "./format";

/** "0.8" → "80%". */
export function percent(c: number | null): string {
  return `${Math.round((c ?? 0) * 100)}%`;
}

const STATE_LABELS: Record<EnvVarState, string> = {
  missing: "Missing",
  in_vault: "In vault",
  in_dotenv: "In .env",
};

/** Where a needed env var is, in words. */
export function envStateLabel(s: EnvVarState): string {
  return STATE_LABELS[s];
}

/** Where an env var is, both places said when both hold it. */
export function envVarLabel(v: EnvVarStatus): string {
  return v.state === "in_dotenv" && v.in_vault ? "In .env and vault" : STATE_LABELS[v.state];
}

const NECESSITY_LABELS: Record<Necessity, string> = {
  required: "Required",
  optional: "Optional",
  mentioned: "Mentioned",
};

/** Whether the project needs it, in words (older scans were not classified). */
export function necessityLabel(n: Necessity | null | undefined): string {
  return n ? NECESSITY_LABELS[n] : "Not classified (scan again)";
}

/** What is left unsaid below the kept citations, honestly. */
export function moreCitations(r: Requirement): string | null {
  const more = r.citation_count - r.citations.length;
  return more > 0 ? `… ${plural(more, "more line")} (the strongest ${r.citations.length} are kept)` : null;
}

/** "README.md:5" or "README.md:5–8". */
export function citationLabel(c: Citation): string {
  const lines = c.line_start === c.line_end ? `${c.line_start}` : `${c.line_start}–${c.line_end}`;
  return `${c.path}:${lines}`;
}

/** Bytes read, readable at any size: "512 bytes", "3.4 KiB", "193.4 MiB". */
export function sizeLabel(bytes: number | null): string {
  const b = bytes ?? 0;
  if (b < 1024) return plural(b, "byte");
  if (b < 1048576) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1048576).toFixed(1)} MiB`;
}

/** Why a file was not read. */
export function skipLabel(r: SkipReason): string {
  switch (r.reason) {
    case "too_large":
      return `too large (${Math.ceil((r.size ?? 0) / 1024)} KiB; limit ${Math.round((r.limit ?? 0) / 1048576)} MiB)`;
    case "binary":
      return "binary";
    case "unreadable":
      return `unreadable: ${r.detail}`;
  }
}

/** "12 files: 10 read, 1 unchanged, 1 skipped" (zero parts left out). */
export function scanSummary(p: ScanProgress): string {
  const parts = [
    p.files_parsed ? `${p.files_parsed} read` : "",
    p.files_unchanged ? `${p.files_unchanged} unchanged` : "",
    p.files_skipped ? `${p.files_skipped} skipped` : "",
  ].filter(Boolean);
  const head = plural(p.files_seen, "doc");
  return parts.length ? `${head}: ${parts.join(", ")}` : head;
}

/** Env vars still missing (neither in the vault nor in the .env) of the requirements not rejected. */
export function missingEnvVars(reqs: Requirement[]): string[] {
  const out = new Set<string>();
  for (const r of reqs) {
    if (r.user_status === "rejected") continue;
    for (const v of r.env_vars) if (v.state === "missing") out.add(v.name);
  }
  return [...out].sort();
}

/** The next status when a review button is pressed: pressing the current one resets it. */
export function toggleStatus(current: ReviewStatus, pressed: "accepted" | "rejected"): ReviewStatus {
  return current === pressed ? "new" : pressed;
}
