// Toasts: short notices in a polite live region, dismissed after 6 s.

/** How a toast looks. */
export type ToastKind = "info" | "success" | "warning" | "error";

/** One toast. */
export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  detail: string | null;
}

/** How long a toast stays. */
export const TOAST_MS = 6_000;

/** The toast list (reactive). */
export class ToastStore {
  items = $state<Toast[]>([]);
  #next = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(readonly durationMs: number = TOAST_MS) {}

  /** Show a toast; returns its id. */
  push(kind: ToastKind, message: string, detail: string | null = null): number {
    const id = this.#next++;
    this.items = [...this.items, { id, kind, message, detail }];
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), this.durationMs),
    );
    return id;
  }

  /** Remove one toast. */
  dismiss(id: number): void {
    const t = this.#timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(id);
    this.items = this.items.filter((x) => x.id !== id);
  }

  /** Remove all toasts (on lock: they can name keys). */
  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.items = [];
  }
}

/** The app's toasts. */
export const toasts = new ToastStore();
