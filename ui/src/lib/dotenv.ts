// The .env screen's logic: requests from the form, per-key decisions,
// diff lines for display, and summaries of what happened.

import type { Action, Counts, Decision } from "./bindings";

/** Labels for the conflict choices. */
export const DECISIONS: { id: Decision; label: string }[] = [
  { id: "keep_existing", label: "Keep the file's value" },
  { id: "overwrite", label: "Write the vault's value" },
  { id: "skip", label: "Leave the key out" },
];

const ACTION_LABELS: Record<Action, string> = {
  add: "Add",
  update: "Update",
  unchanged: "Unchanged",
  kept: "Kept",
  skipped: "Skipped",
};

/** "update" → "Update". */
export function actionLabel(a: Action): string {
  return ACTION_LABELS[a];
}

/** Whether a key's decision changes anything: only keys the file already holds with another value. */
export function decidable(a: Action, overridden: boolean): boolean {
  return a === "update" || a === "kept" || (overridden && a === "skipped");
}

/** One line of a unified diff, classified for colouring. */
export interface DiffLine {
  kind: "add" | "del" | "hunk" | "meta" | "context";
  text: string;
}

/** Split a unified diff into classified lines (no trailing empty line). */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines.map((text) => {
    if (text.startsWith("+++") || text.startsWith("---")) return { kind: "meta", text };
    if (text.startsWith("@@")) return { kind: "hunk", text };
    if (text.startsWith("+")) return { kind: "add", text };
    if (text.startsWith("-")) return { kind: "del", text };
    return { kind: "context", text };
  });
}

/** "2 added, 1 updated" — non-zero counts only; "no changes" when all are zero. */
export function countsSummary(c: Counts): string {
  const parts = (
    [
      ["added", c.added],
      ["updated", c.updated],
      ["unchanged", c.unchanged],
      ["kept", c.kept],
      ["skipped", c.skipped],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${String(n)} ${label}`);
  return parts.length ? parts.join(", ") : "no changes";
}

/** A trimmed absolute folder path, or null with a reason. */
export function checkFolder(path: string): string | null {
  const p = path.trim();
  if (!p) return "Enter the project folder.";
  if (!(p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\"))) {
    return "Use the folder's full path, e.g. /home/me/project.";
  }
  return null;
}
