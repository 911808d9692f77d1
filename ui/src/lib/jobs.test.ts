import { describe, expect, it } from "vitest";
import type { JobInfo } from "./bindings";
import { Jobs, jobLabel } from "./jobs.svelte";

const scan = (progress: JobInfo["progress"]): JobInfo => ({
  id: 3,
  kind: "scan",
  label: "app",
  started_at: "2026-12-02T10:00:00Z",
  progress,
});

describe("jobs", () => {
  it("names a job with its progress", () => {
    expect(jobLabel(scan(null))).toBe("Scanning app");
    expect(jobLabel(scan({ done: 12, total: null, message: "12 docs read" }))).toBe(
      "Scanning app — 12 docs read",
    );
  });

  it("takes the backend's list and forgets it on lock", () => {
    const j = new Jobs();
    j.apply({ running: [scan(null)], ended: null });
    expect(j.running.map((x) => x.id)).toEqual([3]);
    j.apply({ running: [], ended: { id: 3, outcome: "cancelled" } });
    expect(j.running).toEqual([]);
    j.apply({ running: [scan(null)], ended: null });
    j.clear();
    expect(j.running).toEqual([]);
  });
});
