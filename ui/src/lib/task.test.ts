import { describe, expect, it } from "vitest";
import { Task } from "./task.svelte";

import type { ErrorInfo } from "./errors";

const describeError = (e: unknown): ErrorInfo => ({ code: "internal", message: String(e), suggestion: "", retryAfterSecs: null });

describe("Task", () => {
  it("is busy with a label while running and returns the result", async () => {
    const t = new Task(describeError);
    let seen: string | null = null;
    const r = await t.run("Saving…", async () => {
      seen = t.busy;
      return 42;
    });
    expect([r, seen, t.busy, t.error]).toEqual([42, "Saving…", null, null]);
  });

  it("keeps the error of a failed run and clears it on the next", async () => {
    const t = new Task(describeError);
    expect(await t.run("A", () => Promise.reject(new Error("boom")))).toBeUndefined();
    expect(t.error?.message).toMatch(/boom/);
    expect(t.busy).toBeNull();
    await t.run("B", async () => 1);
    expect(t.error).toBeNull();
  });
});
