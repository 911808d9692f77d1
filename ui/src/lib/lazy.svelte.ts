import type { Component } from "svelte";

/**
 * A screen loaded the first time it is needed, then kept: the window starts
 * with less script to parse and hold (measured by `make bench-desktop`).
 * `current` is null until the module has loaded; `failed` says why it did not.
 */
export class LazyComponent {
  current = $state<Component | null>(null);
  failed = $state<string | null>(null);
  #loading: Promise<void> | null = null;
  readonly #load: () => Promise<{ default: Component }>;

  constructor(load: () => Promise<{ default: Component }>) {
    this.#load = load;
  }

  /** Start loading (once; a failed load is tried again on the next call). */
  start(): Promise<void> {
    this.#loading ??= this.#load().then(
      (m) => {
        this.current = m.default;
        this.failed = null;
      },
      (e: unknown) => {
        this.failed = e instanceof Error ? e.message : String(e);
        this.#loading = null;
      },
    );
    return this.#loading;
  }
}
