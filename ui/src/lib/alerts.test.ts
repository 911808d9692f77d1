import { describe, expect, it } from "vitest";
import { Alerts, categoryLabel, discoveryLabel, urgencyMark } from "./alerts.svelte";

describe("alerts", () => {
  it("marks every urgency with its own icon and words, not colour alone", () => {
    const all = (["critical", "action_needed", "advisory", "informational"] as const).map(urgencyMark);
    expect(new Set(all.map((m) => m.icon)).size).toBe(4);
    expect(new Set(all.map((m) => m.label)).size).toBe(4);
    expect(urgencyMark("critical").label).toBe("Critical");
  });

  it("names categories for people", () => {
    expect(categoryLabel("security_advisory")).toBe("Security advisory");
    expect(categoryLabel("service_modification")).toBe("Service status");
  });

  it("says what the daily loop does", () => {
    expect(discoveryLabel({ state: "running", done: 2, total: 5 })).toBe("Checking 2/5 providers");
    expect(discoveryLabel({ state: "ran", new_findings: 1, new_critical: 0 })).toBe("1 new finding");
    expect(discoveryLabel({ state: "off", reason: "Autonomous Mode is off" })).toContain("Autonomous");
    expect(discoveryLabel(null)).toBeNull();
  });

  it("a finished run bumps the generation, progress does not", () => {
    const a = new Alerts();
    a.apply({ state: "running", done: 1, total: 3 });
    expect(a.generation).toBe(0);
    a.apply({ state: "ran", new_findings: 2, new_critical: 1 });
    expect(a.generation).toBe(1);
    a.newCount = 4;
    a.clear();
    expect(a.newCount).toBe(0);
  });
});
