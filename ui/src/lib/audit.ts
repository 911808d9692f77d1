// Audit log presentation: human labels for event types and a one-line
// summary of an event's (already redacted) metadata.

import { kibToMiB, plural } from "./format";

/** Every event type, in the order of the filter. */
export const EVENT_TYPES = [
  "vault.unlock",
  "vault.unlock_failed",
  "vault.lock",
  "profile.create",
  "profile.rename",
  "profile.delete",
  "profile.passphrase_change",
  "profile.kdf_upgrade",
  "profile.key_rotation",
  "secret.add",
  "secret.edit",
  "secret.delete",
  "secret.reveal",
  "secret.copy",
  "settings.update",
  "secret.import",
  "bundle.export",
  "bundle.import",
  "dotenv.write",
  "dotenv.restore",
  "secret.inject",
  "project.add",
  "project.scan",
  "project.decision",
  "project.remove",
  "key.validate",
  "dashboard.refresh",
  "totp.enroll",
  "totp.confirm",
  "totp.disable",
  "totp.verify_failed",
  "totp.recovery_code_used",
  "totp.policy_update",
] as const;

const LABELS: Record<string, string> = {
  "vault.unlock": "Vault unlocked",
  "vault.unlock_failed": "Failed unlock attempts",
  "vault.lock": "Vault locked",
  "profile.create": "Profile created",
  "profile.rename": "Profile renamed",
  "profile.delete": "Profile deleted",
  "profile.passphrase_change": "Passphrase changed",
  "profile.kdf_upgrade": "Key derivation upgraded",
  "profile.key_rotation": "Vault key rotated",
  "secret.add": "Secret added",
  "secret.edit": "Secret edited",
  "secret.delete": "Secret deleted",
  "secret.reveal": "Secret revealed",
  "secret.copy": "Secret copied",
  "settings.update": "Settings changed",
  "secret.import": "Secrets imported",
  "bundle.export": "Bundle exported",
  "bundle.import": "Bundle imported",
  "dotenv.write": ".env written",
  "dotenv.restore": ".env restored from a backup",
  "secret.inject": "Keys given to a command",
  "project.add": "Project added",
  "project.scan": "Project scanned",
  "project.decision": "Project finding reviewed",
  "project.remove": "Project forgotten",
  "key.validate": "Key checked with its provider",
  "dashboard.refresh": "Dashboard refreshed",
  "totp.enroll": "Two-factor enrollment started",
  "totp.confirm": "Two-factor codes turned on",
  "totp.disable": "Two-factor codes turned off",
  "totp.verify_failed": "Two-factor code refused",
  "totp.recovery_code_used": "Recovery code used",
  "totp.policy_update": "Two-factor policy changed",
};

/** Count fields of import, bundle and .env events, in display order. */
const COUNTS = ["added", "updated", "replaced", "unchanged", "kept", "skipped"] as const;

/** "secret.reveal" → "Secret revealed"; unknown types as they are. */
export function eventLabel(type: string): string {
  return LABELS[type] ?? type;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === "string" && v ? v : typeof v === "number" ? String(v) : null;
}

function kdf(v: unknown): string | null {
  if (!isObj(v) || typeof v.m_kib !== "number") return null;
  return `${kibToMiB(v.m_kib)}, ${String(v.t)} iter., ${String(v.p)} lane${v.p === 1 ? "" : "s"}`;
}

/** The metadata JSON text of an audit entry; `null` if it is not JSON. */
export function parseMetadata(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null;
  }
}

/** A short, readable summary of an event's metadata ("" when there is nothing to say). */
export function eventDetails(type: string, metadata: unknown): string {
  if (!isObj(metadata)) return "";
  const parts: string[] = [];
  const key = str(metadata.key_name);
  const provider = str(metadata.provider_id);
  if (key) parts.push(provider ? `${key} (${provider})` : key);
  else if (provider) parts.push(provider);
  if (typeof metadata.count === "number") parts.push(plural(metadata.count, "secret"));
  const counts = COUNTS.filter((c) => typeof metadata[c] === "number" && metadata[c] > 0).map(
    (c) => `${String(metadata[c])} ${c}`,
  );
  if (counts.length) parts.push(counts.join(", "));
  if (Array.isArray(metadata.key_names) && metadata.key_names.length) {
    parts.push(metadata.key_names.map((k) => String(k)).join(", "));
  }
  if (Array.isArray(metadata.changed) && metadata.changed.length) {
    parts.push(`changed: ${metadata.changed.map((c) => String(c)).join(", ")}`);
  }
  if (typeof metadata.failed_attempts === "number") parts.push(plural(metadata.failed_attempts, "failed attempt"));
  if (typeof metadata.rotation_version === "number") parts.push(`now version ${metadata.rotation_version}`);
  if (type === "key.validate") {
    const status = str(metadata.status);
    if (status) parts.push(status);
  }
  if (type === "dashboard.refresh") {
    const n = (k: string) => (typeof metadata[k] === "number" ? (metadata[k] as number) : 0);
    parts.push(`${plural(n("refreshed"), "key")} refreshed${n("failed") ? `, ${n("failed")} unchecked` : ""}`);
  }
  if (type === "project.scan") {
    const n = (k: string) => (typeof metadata[k] === "number" ? (metadata[k] as number) : 0);
    parts.push(`${plural(n("files_parsed"), "file")} read, ${n("files_unchanged")} unchanged`);
    parts.push(plural(n("requirements"), "requirement"));
  }
  const decision = str(metadata.decision);
  if (decision) parts.push(decision);
  const name = str(metadata.display_name);
  if (name) parts.push(`profile “${name}”`);
  if (type === "profile.kdf_upgrade") {
    const from = kdf(metadata.from);
    const to = kdf(metadata.to);
    if (from && to) parts.push(`${from} → ${to}`);
  } else {
    const from = str(metadata.from);
    const to = str(metadata.to);
    if (from && to) parts.push(`“${from}” → “${to}”`);
  }
  return parts.join(" · ");
}
