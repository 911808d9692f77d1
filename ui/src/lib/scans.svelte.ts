// The project scan in progress, kept outside the Projects screen: a scan is
// a background job, so the user can search secrets, open one or lock while
// it runs, and come back to its progress or result.

import { api } from "./api";
import type { ScanProgress, ScanProgressed, ScanReport } from "./bindings";
import { describeError, type ErrorInfo } from "./errors";

/** The current scan and the last one's outcome (reactive). */
export class Scans {
  /** The folder being scanned, while a scan runs. */
  dir = $state<string | null>(null);
  jobId = $state<number | null>(null);
  progress = $state<ScanProgress | null>(null);
  /** The last scan's report, until it is taken by the Projects screen. */
  report = $state<ScanReport | null>(null);
  error = $state<ErrorInfo | null>(null);
  /** Bumped when a scan ends, so a screen can react once. */
  finished = $state(0);

  get running(): boolean {
    return this.dir !== null;
  }

  /** A `project://scan` event. */
  onProgress(e: ScanProgressed): void {
    if (!this.running) return;
    this.jobId = e.job_id;
    this.progress = e.progress;
  }

  /** Scan `dir`; resolves when it ends (the outcome is in `report` / `error`). */
  async start(dir: string): Promise<void> {
    this.dir = dir;
    this.jobId = null;
    this.progress = null;
    this.report = null;
    this.error = null;
    try {
      this.report = await api.scanProject(dir);
    } catch (e) {
      this.error = describeError(e);
    } finally {
      this.dir = null;
      this.finished += 1;
    }
  }

  /** Stop the running scan (it ends with `scan.cancelled`, storing nothing). */
  async cancel(): Promise<void> {
    if (this.jobId !== null) await api.cancelJob(this.jobId).catch(() => api.cancelScan());
    else await api.cancelScan();
  }

  /** The vault locked: forget what came from it. */
  clear(): void {
    this.report = null;
    this.error = null;
    this.progress = null;
  }
}

/** The app's scans. */
export const scans = new Scans();
