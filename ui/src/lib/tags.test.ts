import { describe, expect, it } from "vitest";
import { formatTags, parseTags } from "./tags";

describe("parseTags", () => {
  it("trims, drops empties and duplicates", () => {
    expect(parseTags("a, b,,c")).toEqual(["a", "b", "c"]);
    expect(parseTags(" work ,  client x , WORK, work")).toEqual(["work", "client x"]);
  });
  it("returns nothing for blank input", () => {
    expect(parseTags("")).toEqual([]);
    expect(parseTags(" , ,")).toEqual([]);
  });
  it("round-trips with formatTags", () => {
    const tags = ["billing", "ci"];
    expect(formatTags(tags)).toBe("billing, ci");
    expect(parseTags(formatTags(tags))).toEqual(tags);
    expect(formatTags([])).toBe("");
  });
});
