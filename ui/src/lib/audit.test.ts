import { describe, expect, it } from "vitest";
import { EVENT_TYPES, eventDetails, eventLabel } from "./audit";

describe("eventLabel", () => {
  it("labels every event type", () => {
    for (const t of EVENT_TYPES) expect(eventLabel(t)).not.toBe(t);
    expect(eventLabel("secret.reveal")).toBe("Secret revealed");
    expect(eventLabel("vault.unlock_failed")).toBe("Failed unlock attempts");
  });
  it("shows unknown types as they are", () => {
    expect(eventLabel("future.thing")).toBe("future.thing");
  });
});

describe("eventDetails", () => {
  it("names the secret", () => {
    expect(eventDetails("secret.copy", { secret_id: "x", provider_id: "openai", key_name: "OPENAI_API_KEY" })).toBe(
      "OPENAI_API_KEY (openai)",
    );
  });
  it("lists counts and changes", () => {
    expect(eventDetails("secret.add", { count: 3 })).toBe("3 secrets");
    expect(eventDetails("secret.edit", { key_name: "K", provider_id: "aws", changed: ["value", "notes"] })).toBe(
      "K (aws) · changed: value, notes",
    );
    expect(eventDetails("vault.unlock_failed", { failed_attempts: 1, last_failed_at: "2025" })).toBe("1 failed attempt");
    expect(eventDetails("profile.key_rotation", { rotation_version: 2 })).toBe("now version 2");
  });
  it("describes profile and KDF changes", () => {
    expect(eventDetails("profile.rename", { from: "work", to: "client" })).toBe("“work” → “client”");
    expect(eventDetails("profile.create", { display_name: "work" })).toBe("profile “work”");
    expect(
      eventDetails("profile.kdf_upgrade", { from: { m_kib: 65536, t: 6, p: 1 }, to: { m_kib: 131072, t: 4, p: 1 } }),
    ).toBe("64 MiB, 6 iter., 1 lane → 128 MiB, 4 iter., 1 lane");
  });
  it("says nothing for empty or odd metadata", () => {
    expect(eventDetails("vault.lock", {})).toBe("");
    expect(eventDetails("vault.lock", null)).toBe("");
    expect(eventDetails("vault.lock", [1, 2])).toBe("");
    expect(eventDetails("vault.lock", "text")).toBe("");
  });
});

describe("eventDetails for counts and key names", () => {
  it("lists non-zero counts in order and the injected key names", () => {
    expect(eventDetails("dotenv.write", { added: 2, updated: 1, unchanged: 0, kept: 0, skipped: 3, written: true })).toBe(
      "2 added, 1 updated, 3 skipped",
    );
    expect(eventDetails("secret.inject", { count: 2, key_names: ["A_KEY", "B_KEY"] })).toBe("2 secrets · A_KEY, B_KEY");
    expect(eventDetails("project.scan", { project_id: "p", files_parsed: 3, files_unchanged: 1, requirements: 2 })).toBe(
      "3 files read, 1 unchanged · 2 requirements",
    );
    expect(eventDetails("project.decision", { requirement_id: "r", decision: "rejected" })).toBe("rejected");
    expect(eventDetails("key.validate", { key_name: "GITHUB_TOKEN", provider_id: "github", status: "limited" })).toContain("limited");
    expect(eventDetails("dashboard.refresh", { refreshed: 3, failed: 1, skipped: 0 })).toBe("3 keys refreshed, 1 unchecked");
    expect(eventDetails("dotenv.write", { added: 0, written: false })).toBe("");
  });
});
