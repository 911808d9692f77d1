// Import screen helpers.

/** "4" or "4–6" for an entry spanning lines. */
export function lineRange(first: number, last: number): string {
  return last > first ? `${String(first)}–${String(last)}` : String(first);
}
