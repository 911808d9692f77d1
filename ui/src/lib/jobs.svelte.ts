// Background jobs (scans, key checks, dashboard refreshes), as
// the backend reports them on `jobs://changed`: what runs, for the status
// bar, and a way to stop one.

import type { JobInfo, JobsChanged } from "./bindings";

/** A job in words: "Scanning app — 1,204 docs read". */
export function jobLabel(j: JobInfo): string {
  const what = j.kind === "scan" ? `Scanning ${j.label}` : j.label;
  return j.progress?.message ? `${what} — ${j.progress.message}` : what;
}

/** The running jobs (reactive). */
export class Jobs {
  running = $state<JobInfo[]>([]);

  /** Take the backend's latest list. */
  apply(e: JobsChanged): void {
    this.running = e.running;
  }

  /** The vault locked: every job stopped with it. */
  clear(): void {
    this.running = [];
  }
}

/** The app's jobs. */
export const jobs = new Jobs();
