// Automation in the window: the checkpoints waiting for the person (the
// global approval dialog shows the oldest), and the live log of runs.
// The rules of a decision are core's; these helpers only shape the form.

import type { CheckpointDecision, CheckpointType, Pending, RunEvent } from "./bindings";

/** Checkpoint types a person decides every time: Enter never approves them. */
export function needsPerson(kind: CheckpointType): boolean {
  return kind === "financial" || kind === "irreversible";
}

/** A badge's words for a type. */
export function kindLabel(kind: CheckpointType): string {
  switch (kind) {
    case "api_key":
      return "API key";
    case "script_review":
      return "Run script";
    default:
      return kind.charAt(0).toUpperCase() + kind.slice(1);
  }
}

/** The context as rows of (name, value text), in the order sent. */
export function contextRows(context: unknown): [string, string][] {
  if (!context || typeof context !== "object" || Array.isArray(context)) return [];
  return Object.entries(context as Record<string, unknown>).map(([k, v]) => [
    k,
    typeof v === "string" ? v : JSON.stringify(v),
  ]);
}

/** What the form holds. */
export interface DecisionForm {
  modified: string;
  notes: string;
  totp: string;
  acceptReduced: boolean;
}

/** The decision to send: a non-empty modified action makes it `modify`. */
export function decisionFor(p: Pending, approve: boolean, form: DecisionForm): CheckpointDecision {
  const modified = form.modified.trim();
  const notes = form.notes.trim();
  return {
    checkpoint_id: p.id,
    nonce: p.nonce,
    answer: !approve ? { answer: "reject" } : modified ? { answer: "modify", action: modified } : { answer: "approve" },
    notes: notes ? notes : null,
    totp_code: approve && p.needs_totp && form.totp.trim() ? form.totp.trim() : null,
    accept_reduced_sandbox: approve && form.acceptReduced,
  };
}

/** Why Approve is not possible yet, or null. */
export function approveBlocker(p: Pending, form: DecisionForm): string | null {
  if (p.needs_totp && !/^\s*[0-9A-Za-z-]{6,}\s*$/.test(form.totp)) return "Enter your TOTP code to approve.";
  if (p.reduced_sandbox && p.needs_person && !form.acceptReduced) {
    return "Accept the reduced sandbox for this run to approve.";
  }
  return null;
}

/** Events kept per run in the window. */
const MAX_EVENTS = 2_000;

/** Checkpoints waiting and the runs' live logs (reactive). */
export class Automation {
  waiting = $state<Pending[]>([]);
  log = $state<Record<string, RunEvent[]>>({});

  /** A checkpoint was asked. */
  ask(p: Pending): void {
    if (!this.waiting.some((w) => w.id === p.id)) this.waiting = [...this.waiting, p];
  }

  /** A checkpoint stopped waiting. */
  closed(id: string): void {
    this.waiting = this.waiting.filter((w) => w.id !== id);
  }

  /** The oldest waiting checkpoint (the dialog's). */
  get current(): Pending | null {
    return this.waiting[0] ?? null;
  }

  /** A run recorded an event. */
  logged(e: RunEvent): void {
    const list = this.log[e.execution_id] ?? [];
    const next = list.length >= MAX_EVENTS ? list.slice(list.length - MAX_EVENTS + 1) : list.slice();
    next.push(e);
    this.log = { ...this.log, [e.execution_id]: next };
  }

  /** The run being watched: the one whose events came last. */
  latestRun(): string | null {
    const ids = Object.keys(this.log);
    return ids.at(-1) ?? null;
  }

  /** The vault locked: every pending checkpoint went with it. */
  clear(): void {
    this.waiting = [];
  }
}

/** The app's automation state. */
export const automation = new Automation();
