// One piece of work at a time on a screen: what is running (its label, for
// spinners and disabled buttons) and the error of the last attempt.

import type { ErrorInfo } from "./errors";

/** Runs a screen's backend calls one label at a time, keeping the last error. */
export class Task {
  busy = $state<string | null>(null);
  error = $state<ErrorInfo | null>(null);

  /** `describe` turns a thrown value into what the form shows (and may lock the UI). */
  constructor(private readonly describe: (e: unknown) => ErrorInfo) {}

  /** Run `f` under `label`; its result, or `undefined` after an error (kept in `error`). */
  async run<T>(label: string, f: () => Promise<T>): Promise<T | undefined> {
    this.busy = label;
    this.error = null;
    try {
      return await f();
    } catch (e) {
      this.error = this.describe(e);
      return undefined;
    } finally {
      this.busy = null;
    }
  }
}
