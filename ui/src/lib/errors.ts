// Errors for display: message and suggestion, with the code to branch on.
// Never shows raw JSON.

import type { ErrorCode } from "./bindings";

/** What the UI shows for a failed call. `code` is one of the backend's
 * codes (a union generated from core's taxonomy), so a typo in a
 * comparison does not compile. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  suggestion: string;
  retryAfterSecs: number | null;
}

function field(o: object, name: string): unknown {
  return (o as Record<string, unknown>)[name];
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/**
 * Describe anything thrown by an api call: an ApiError (duck-typed so this
 * module does not load the bindings), a raw UiError object, an Error, or a string.
 */
export function describeError(e: unknown): ErrorInfo {
  if (e && typeof e === "object") {
    const code = field(e, "code");
    const message = field(e, "message");
    if (typeof code === "string" && typeof message === "string") {
      const suggestion = field(e, "suggestion");
      const retry = field(e, "retryAfterSecs") ?? field(e, "retry_after_secs");
      return {
        code: code as ErrorCode,
        message: sentence(message),
        suggestion: typeof suggestion === "string" ? sentence(suggestion) : "",
        retryAfterSecs: typeof retry === "number" ? retry : null,
      };
    }
    if (e instanceof Error) {
      return { code: "internal", message: sentence(e.message || "Something went wrong"), suggestion: "", retryAfterSecs: null };
    }
  }
  if (typeof e === "string" && e.trim()) {
    return { code: "internal", message: sentence(e), suggestion: "", retryAfterSecs: null };
  }
  return { code: "internal", message: "Something went wrong.", suggestion: "Try again.", retryAfterSecs: null };
}

/** Message and suggestion on one line. */
export function errorText(info: ErrorInfo): string {
  return info.suggestion ? `${info.message} ${info.suggestion}` : info.message;
}
