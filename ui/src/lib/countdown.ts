// A one-second countdown to a deadline (for unlock back-off), computed from
// the clock so a busy tab does not drift.

/** Counts down whole seconds, calling `onTick` with the seconds left (last call: 0). */
export class Countdown {
  #deadline = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly onTick: (secondsLeft: number) => void) {}

  /** Seconds left now (0 when stopped or done). */
  get remaining(): number {
    if (this.#timer === null) return 0;
    return Math.max(0, Math.ceil((this.#deadline - Date.now()) / 1000));
  }

  /** Whether it is counting. */
  get running(): boolean {
    return this.#timer !== null;
  }

  /** Start (or restart) from `seconds`; calls `onTick` at once. */
  start(seconds: number): void {
    this.stop();
    if (seconds <= 0) {
      this.onTick(0);
      return;
    }
    this.#deadline = Date.now() + seconds * 1000;
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.onTick(this.remaining);
  }

  /** Stop without a final tick. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    const left = this.remaining;
    if (left <= 0) this.stop();
    this.onTick(left);
  }
}
