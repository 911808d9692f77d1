import { describe, expect, it } from "vitest";
import type { ProviderInfo, SecretSummary } from "./api";
import { compareSecrets, groupByProvider, providerName, providersInUse } from "./grouping";

const providers: ProviderInfo[] = [
  { id: "generic", display_name: "Unassigned", env_var: "" },
  { id: "openai", display_name: "OpenAI", env_var: "OPENAI_API_KEY" },
  { id: "github", display_name: "GitHub", env_var: "GITHUB_TOKEN" },
  { id: "aws", display_name: "AWS", env_var: "AWS_ACCESS_KEY_ID" },
];

function s(key_name: string, provider_id: string, environment: SecretSummary["environment"] = null): SecretSummary {
  return {
    id: `${provider_id}/${key_name}/${environment ?? "-"}`,
    provider_id,
    key_name,
    environment,
    project_id: null,
    notes: null,
    tags: [],
    source_type: "manual",
    source_label: null,
    imported_at: null,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-01T00:00:00Z",
  };
}

describe("groupByProvider", () => {
  it("groups by provider with display names, generic last, keys sorted", () => {
    const groups = groupByProvider(
      [s("Z_KEY", "generic"), s("OPENAI_ORG", "openai"), s("GITHUB_TOKEN", "github"), s("OPENAI_API_KEY", "openai"), s("A", "generic")],
      providers,
    );
    expect(groups.map((g) => g.displayName)).toEqual(["GitHub", "OpenAI", "Unassigned"]);
    expect(groups[1]?.items.map((i) => i.key_name)).toEqual(["OPENAI_API_KEY", "OPENAI_ORG"]);
    expect(groups[2]?.items.map((i) => i.key_name)).toEqual(["A", "Z_KEY"]);
  });

  it("keeps unknown provider ids as their own name", () => {
    const groups = groupByProvider([s("X", "mystery")], providers);
    expect(groups).toEqual([{ providerId: "mystery", displayName: "mystery", items: [expect.objectContaining({ key_name: "X" })] }]);
  });

  it("orders the same key by environment, none first", () => {
    const groups = groupByProvider([s("K", "aws", "prod"), s("K", "aws", "dev"), s("K", "aws", null)], providers);
    expect(groups[0]?.items.map((i) => i.environment)).toEqual([null, "dev", "prod"]);
  });

  it("does not mutate its input and handles nothing", () => {
    const input = [s("B", "aws"), s("A", "aws")];
    groupByProvider(input, providers);
    expect(input.map((i) => i.key_name)).toEqual(["B", "A"]);
    expect(groupByProvider([], providers)).toEqual([]);
  });
});

describe("helpers", () => {
  it("compares key names naturally and case-insensitively", () => {
    expect(compareSecrets(s("key2", "aws"), s("KEY10", "aws"))).toBeLessThan(0);
    expect(compareSecrets(s("abc", "aws"), s("ABD", "aws"))).toBeLessThan(0);
  });
  it("names providers", () => {
    expect(providerName("github", providers)).toBe("GitHub");
    expect(providerName("nope", providers)).toBe("nope");
  });
  it("lists providers in use, sorted", () => {
    const items = [s("A", "openai"), s("B", "aws"), s("C", "openai"), s("D", "zzz")];
    const used = providersInUse(
      items.map((i) => i.provider_id),
      providers,
    );
    expect(used.map((p) => p.id)).toEqual(["aws", "openai", "zzz"]);
  });
});
