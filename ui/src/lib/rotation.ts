// Key rotation progress: the backend reports each step with its label and
// fraction (both decided in core); this only keeps the bar from moving back
// and adds the re-sealing count.

import type { RotationProgress } from "./bindings";

/** Progress from 0 to 1 (never less than `previous`). */
export function rotationFraction(r: RotationProgress, previous = 0): number {
  return Math.max(previous, Math.min(1, r.fraction ?? previous));
}

/** A readable label: "Re-sealing values (3 of 10)". */
export function rotationLabel(r: RotationProgress): string {
  return r.total > 0 ? `${r.label} (${r.done} of ${r.total})` : r.label;
}
