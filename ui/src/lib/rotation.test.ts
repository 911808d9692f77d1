import { describe, expect, it } from "vitest";
import { rotationFraction, rotationLabel } from "./rotation";

describe("rotation progress", () => {
  it("moves forward through the steps", () => {
    const steps = ["started", "exported", "synced", "prepared", "switched", "committed"];
    let prev = 0;
    for (const step of steps) {
      const f = rotationFraction({ step, done: 0, total: 0 }, prev);
      expect(f).toBeGreaterThan(prev);
      prev = f;
    }
    expect(prev).toBe(1);
  });

  it("fills the re-sealing span by done/total", () => {
    const half = rotationFraction({ step: "resealed", done: 5, total: 10 });
    const all = rotationFraction({ step: "resealed", done: 10, total: 10 });
    expect(half).toBeCloseTo(0.525);
    expect(all).toBeCloseTo(0.85);
    expect(rotationLabel({ step: "resealed", done: 5, total: 10 })).toBe("Re-encrypting secrets (5 of 10)");
  });

  it("never goes backwards and ignores unknown steps", () => {
    expect(rotationFraction({ step: "started", done: 0, total: 0 }, 0.5)).toBe(0.5);
    expect(rotationFraction({ step: "mystery", done: 0, total: 0 }, 0.3)).toBe(0.3);
    expect(rotationLabel({ step: "mystery", done: 0, total: 0 })).toBe("mystery");
    expect(rotationLabel({ step: "committed", done: 0, total: 0 })).toBe("Done");
  });
});
