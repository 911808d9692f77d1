// Typed access to the backend: the generated bindings, with each command's
// Result unwrapped so callers `await` data and `catch` a UiError.
import { commands, events } from "./bindings";
import type { ErrorCode, UiError } from "./bindings";

export type * from "./bindings";
export { events };

type Res<T> = { status: "ok"; data: T } | { status: "error"; error: UiError };

/** A UiError thrown by api calls; branch on `code`, show message + suggestion. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly suggestion: string;
  readonly recoverable: boolean;
  readonly retryAfterSecs: number | null;
  constructor(e: UiError) {
    super(e.message);
    this.name = "ApiError";
    this.code = e.code;
    this.suggestion = e.suggestion;
    this.recoverable = e.recoverable;
    this.retryAfterSecs = e.retry_after_secs ?? null;
  }
}

async function unwrap<T>(p: Promise<Res<T>>): Promise<T> {
  const r = await p;
  if (r.status === "ok") return r.data;
  throw new ApiError(r.error);
}

type Commands = typeof commands;
type Unwrapped = {
  [K in keyof Commands]: Commands[K] extends (...a: infer A) => Promise<Res<infer T>>
    ? (...a: A) => Promise<T>
    : never;
};

/** Every backend command, unwrapped. */
export const api: Unwrapped = new Proxy({} as Unwrapped, {
  get(_t, name: string) {
    const fn = (commands as unknown as Record<string, (...a: unknown[]) => Promise<Res<unknown>>>)[name];
    if (!fn) throw new Error(`unknown command ${name}`);
    return (...args: unknown[]) => unwrap(fn(...args));
  },
});
