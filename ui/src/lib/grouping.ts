// Group secret summaries by provider for the list: groups by display name
// (Unassigned last), secrets by key name then environment.

import type { Environment, ProviderInfo, SecretSummary } from "./api";

/** The provider id of unassigned secrets. */
export const GENERIC_PROVIDER = "generic";

/** One provider's secrets. */
export interface SecretGroup {
  providerId: string;
  displayName: string;
  items: SecretSummary[];
}

const ENV_ORDER: Record<Environment, number> = { dev: 0, stage: 1, prod: 2 };

function envRank(env: Environment | null | undefined): number {
  return env == null ? -1 : ENV_ORDER[env];
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/** Compare two secrets for display: key name, then environment (none first). */
export function compareSecrets(a: SecretSummary, b: SecretSummary): number {
  return collator.compare(a.key_name, b.key_name) || envRank(a.environment) - envRank(b.environment);
}

/** Display name of a provider id; the id itself when unknown. */
export function providerName(id: string, providers: readonly ProviderInfo[]): string {
  return providers.find((p) => p.id === id)?.display_name ?? id;
}

/** Group by provider, groups sorted by display name with `generic` last. */
export function groupByProvider(items: readonly SecretSummary[], providers: readonly ProviderInfo[]): SecretGroup[] {
  const byId = new Map<string, SecretSummary[]>();
  for (const s of items) {
    const list = byId.get(s.provider_id);
    if (list) list.push(s);
    else byId.set(s.provider_id, [s]);
  }
  const groups: SecretGroup[] = [...byId].map(([providerId, list]) => ({
    providerId,
    displayName: providerName(providerId, providers),
    items: [...list].sort(compareSecrets),
  }));
  return groups.sort((a, b) => {
    const ag = a.providerId === GENERIC_PROVIDER ? 1 : 0;
    const bg = b.providerId === GENERIC_PROVIDER ? 1 : 0;
    return ag - bg || collator.compare(a.displayName, b.displayName);
  });
}

/** The providers of `ids` (e.g. those that have secrets), sorted by display name; unknown ids kept. */
export function providersInUse(ids: Iterable<string>, providers: readonly ProviderInfo[]): ProviderInfo[] {
  const used = new Set(ids);
  const known = providers.filter((p) => used.has(p.id));
  const unknown = [...used]
    .filter((id) => !providers.some((p) => p.id === id))
    .map((id) => ({ id, display_name: id, env_var: "" }));
  return [...known, ...unknown].sort((a, b) => collator.compare(a.display_name, b.display_name));
}

/** Secrets in the list's first paint: a screenful and a half, so unlock →
 * list stays fast (WebKit's software rendering pays per row). */
export const SECRETS_PAGE = 20;

/** Rows the list grows to once it has painted, and adds with "Show more". */
export const SECRETS_PAGE_STEP = 100;

/** How long after mounting the list grows to a full step: well after the
 * first paint, which it would otherwise delay. */
export const SECRETS_GROW_DELAY_MS = 1500;
