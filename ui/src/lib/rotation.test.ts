import { describe, expect, it } from "vitest";
import { rotationFraction, rotationLabel } from "./rotation";

const report = (label: string, fraction: number, done = 0, total = 0) => ({ label, fraction, done, total });

describe("rotation progress", () => {
  it("follows the backend's fraction and never goes backwards", () => {
    expect(rotationFraction(report("Copying the vault under the new key", 0.1))).toBe(0.1);
    expect(rotationFraction(report("Preparing a new key", 0), 0.5)).toBe(0.5);
    expect(rotationFraction(report("Done", 1.2))).toBe(1);
  });

  it("counts the values while re-sealing", () => {
    expect(rotationLabel(report("Re-sealing values", 0.5, 5, 10))).toBe("Re-sealing values (5 of 10)");
    expect(rotationLabel(report("Done", 1))).toBe("Done");
  });
});
