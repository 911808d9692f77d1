import { describe, expect, it } from "vitest";
import { describeError, errorText } from "./errors";

class FakeApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly suggestion: string,
    readonly retryAfterSecs: number | null = null,
  ) {
    super(message);
  }
}

describe("describeError", () => {
  it("reads an ApiError", () => {
    const info = describeError(new FakeApiError("vault.throttled", "too many attempts", "wait a little", 30));
    expect(info).toEqual({ code: "vault.throttled", message: "Too many attempts.", suggestion: "Wait a little.", retryAfterSecs: 30 });
    expect(errorText(info)).toBe("Too many attempts. Wait a little.");
  });

  it("reads a raw UiError object", () => {
    const info = describeError({ code: "input.invalid", message: "Bad value!", suggestion: "", recoverable: true, retry_after_secs: null });
    expect(info.code).toBe("input.invalid");
    expect(info.message).toBe("Bad value!");
    expect(errorText(info)).toBe("Bad value!");
  });

  it("falls back for plain errors, strings and junk without showing JSON", () => {
    expect(describeError(new Error("boom")).message).toBe("Boom.");
    expect(describeError("ipc failed").message).toBe("Ipc failed.");
    const junk = describeError({ weird: true });
    expect(junk.code).toBe("internal");
    expect(errorText(junk)).not.toContain("{");
    expect(describeError(undefined).message).toBe("Something went wrong.");
  });
});
