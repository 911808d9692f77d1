// The Alerts screen's words and marks (an icon and a label for each
// urgency, never colour alone), and the discovery state the backend
// reports on `discovery://changed`.

import type { Category, DiscoveryStatus, FindingStatus, Urgency } from "./bindings";
import type { IconName } from "../components/Icon.svelte";

/** Urgency: label, icon and the CSS class of its colour. */
export function urgencyMark(u: Urgency): { label: string; icon: IconName; cls: string } {
  switch (u) {
    case "critical":
      return { label: "Critical", icon: "alert", cls: "critical" };
    case "action_needed":
      return { label: "Action needed", icon: "clock", cls: "action" };
    case "advisory":
      return { label: "Advisory", icon: "bell", cls: "advisory" };
    case "informational":
      return { label: "Info", icon: "info", cls: "info" };
  }
}

/** A category for people. */
export function categoryLabel(c: Category): string {
  switch (c) {
    case "capability_change":
      return "New capability";
    case "pricing_update":
      return "Pricing";
    case "deprecation":
      return "Deprecation";
    case "security_advisory":
      return "Security advisory";
    case "new_alternative":
      return "Alternative";
    case "service_modification":
      return "Service status";
  }
}

/** A status for people. */
export function statusLabel(s: FindingStatus): string {
  return s === "new" ? "New" : s === "reviewed" ? "Reviewed" : s === "actioned" ? "Actioned" : "Dismissed";
}

function clock(iso: string): string {
  return new Date(iso).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

/** "Checking 3/12 providers", "Next check Tue 03:17", or why it is off. */
export function discoveryLabel(s: DiscoveryStatus | null): string | null {
  if (!s) return null;
  switch (s.state) {
    case "running":
      return s.total ? `Checking ${s.done}/${s.total} providers` : "Checking providers";
    case "idle":
      return s.next_at ? `Next check ${clock(s.next_at)}` : null;
    case "ran":
      return s.new_findings ? `${s.new_findings} new finding${s.new_findings === 1 ? "" : "s"}` : "Checked: nothing new";
    case "off":
      return `Daily checks off: ${s.reason}`;
  }
}

/** Discovery as last reported (reactive), and the navigation badge. */
export class Alerts {
  status = $state<DiscoveryStatus | null>(null);
  /** Findings not looked at yet. */
  newCount = $state(0);
  /** Bumped when a run ended: the screen and the badge reload. */
  generation = $state(0);

  apply(next: DiscoveryStatus): void {
    if (next.state === "ran") this.generation++;
    this.status = next;
  }

  clear(): void {
    this.status = null;
    this.newCount = 0;
  }
}

/** The app's discovery state. */
export const alerts = new Alerts();
