// User activity: report it to the backend at most once per interval so the
// idle auto-lock timer restarts without flooding the bridge.

/** Call `fn` on the first call, then at most once per `intervalMs` (leading edge). */
export function throttle(fn: () => void, intervalMs: number): () => void {
  let last = -Infinity;
  return () => {
    const now = Date.now();
    if (now - last >= intervalMs) {
      last = now;
      fn();
    }
  };
}

/** Events that count as activity. */
export const ACTIVITY_EVENTS = ["keydown", "mousedown", "wheel"] as const;

/** Call `fn` (throttled) on activity in `target`; returns a function that stops watching. */
export function watchActivity(target: EventTarget, fn: () => void, intervalMs: number): () => void {
  const handler = throttle(fn, intervalMs);
  for (const type of ACTIVITY_EVENTS) target.addEventListener(type, handler, { passive: true, capture: true });
  return () => {
    for (const type of ACTIVITY_EVENTS) target.removeEventListener(type, handler, { capture: true });
  };
}
