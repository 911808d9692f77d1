// Key rotation progress: the backend reports named steps, with done/total
// while re-sealing; this turns them into a fraction and a label.

/** One progress report (the RotationProgress event payload). */
export interface RotationReport {
  step: string;
  done: number;
  total: number;
}

const STEPS: Record<string, { at: number; label: string }> = {
  started: { at: 0.05, label: "Starting…" },
  exported: { at: 0.2, label: "Copied the vault under the new key" },
  resealed: { at: 0.2, label: "Re-encrypting secrets" },
  synced: { at: 0.85, label: "Saved to disk" },
  prepared: { at: 0.9, label: "New key prepared" },
  switched: { at: 0.95, label: "Switched to the new key" },
  committed: { at: 1, label: "Done" },
};

/** Share of the re-sealing step in the whole bar. */
const RESEAL_SPAN = 0.65;

/** Progress from 0 to 1 for a report (unknown steps keep `previous`). */
export function rotationFraction(r: RotationReport, previous = 0): number {
  const s = STEPS[r.step];
  if (!s) return previous;
  let f = s.at;
  if (r.step === "resealed" && r.total > 0) f = s.at + RESEAL_SPAN * Math.min(1, r.done / r.total);
  return Math.max(previous, Math.min(1, f));
}

/** A readable label: "Re-encrypting secrets (3 of 10)". */
export function rotationLabel(r: RotationReport): string {
  const s = STEPS[r.step];
  if (!s) return r.step;
  return r.step === "resealed" && r.total > 0 ? `${s.label} (${r.done} of ${r.total})` : s.label;
}
