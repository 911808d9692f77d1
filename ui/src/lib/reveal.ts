// Holds at most one revealed secret value, and forgets it after a fixed time
// or on demand (lock, navigation, another reveal).

/** What a hidden value looks like. */
export const MASK = "••••••••••••";

/** How long a revealed value stays on screen. */
export const REVEAL_MS = 10_000;

/** The value shown right now, by secret id. */
export interface Revealed {
  id: string;
  value: string;
}

/** One revealed value at a time, hidden after `durationMs`. */
export class Revealer {
  #current: Revealed | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly onChange: (current: Revealed | null) => void,
    readonly durationMs: number = REVEAL_MS,
  ) {}

  /** The revealed value, if any. */
  get current(): Revealed | null {
    return this.#current;
  }

  /** Whether `id` is the one shown. */
  isShown(id: string): boolean {
    return this.#current?.id === id;
  }

  /** Show `value` for `id` (replacing any other) and restart the timer. */
  show(id: string, value: string): void {
    this.#clearTimer();
    this.#current = { id, value };
    this.#timer = setTimeout(() => this.hide(), this.durationMs);
    this.onChange(this.#current);
  }

  /** Hide whatever is shown (`id`: only if that one is shown). */
  hide(id?: string): void {
    if (id !== undefined && !this.isShown(id)) return;
    this.#clearTimer();
    if (this.#current === null) return;
    this.#current = null;
    this.onChange(null);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
