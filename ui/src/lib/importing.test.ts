import { describe, expect, it } from "vitest";
import { lineRange } from "./importing";

describe("lineRange", () => {
  it("shows one line or a span", () => {
    expect(lineRange(4, 4)).toBe("4");
    expect(lineRange(4, 6)).toBe("4–6");
  });
});
