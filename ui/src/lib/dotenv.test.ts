import { describe, expect, it } from "vitest";
import { checkFolder, countsSummary, decidable, diffLines } from "./dotenv";

describe("diffLines", () => {
  it("classifies headers, hunks, additions, removals and context", () => {
    const d = "--- .env\n+++ .env\n@@ -1,2 +1,3 @@\n # app\n-A=••••\n+A=••••\n+B=••••\n";
    expect(diffLines(d).map((l) => l.kind)).toEqual(["meta", "meta", "hunk", "context", "del", "add", "add"]);
    expect(diffLines("")).toEqual([]);
  });
});

describe("countsSummary", () => {
  it("names non-zero counts only", () => {
    expect(countsSummary({ added: 2, updated: 0, unchanged: 1, kept: 0, skipped: 0 })).toBe("2 added, 1 unchanged");
    expect(countsSummary({ added: 0, updated: 0, unchanged: 0, kept: 0, skipped: 0 })).toBe("no changes");
  });
});

describe("decidable", () => {
  it("offers a choice only where the file holds another value", () => {
    expect(decidable("update", false)).toBe(true);
    expect(decidable("kept", false)).toBe(true);
    expect(decidable("add", false)).toBe(false);
    expect(decidable("unchanged", false)).toBe(false);
    expect(decidable("skipped", false)).toBe(false);
    expect(decidable("skipped", true)).toBe(true);
  });
});

describe("checkFolder", () => {
  it("wants an absolute path", () => {
    expect(checkFolder("/home/me/app")).toBeNull();
    expect(checkFolder("C:\\code\\app")).toBeNull();
    expect(checkFolder("  ")).toMatch(/Enter/);
    expect(checkFolder("app")).toMatch(/full path/);
  });
});
