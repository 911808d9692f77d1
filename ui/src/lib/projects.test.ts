import { describe, expect, it } from "vitest";
import type { Requirement } from "./bindings";
import {
  citationLabel,
  envVarLabel,
  missingEnvVars,
  moreCitations,
  necessityLabel,
  percent,
  scanSummary,
  sizeLabel,
  skipLabel,
  toggleStatus,
} from "./projects";

function req(status: Requirement["user_status"], vars: [string, "missing" | "in_vault" | "in_dotenv"][]): Requirement {
  return {
    id: "r",
    provider_id: "openai",
    provider_name: "OpenAI",
    confidence: 0.8,
    confidence_level: "high",
    necessity: "required",
    user_status: status,
    env_vars: vars.map(([name, state]) => ({ name, state, in_vault: state === "in_vault", in_dotenv: state === "in_dotenv" })),
    citations: [],
    citation_count: 0,
  };
}

describe("confidence", () => {
  it("percents", () => {
    expect(percent(0.8)).toBe("80%");
    expect(percent(null)).toBe("0%");
  });
});

describe("citationLabel", () => {
  it("shows one line or a range", () => {
    const c = { path: "docs/a.md", line_start: 5, line_end: 5, excerpt: "", rule: "env_var" as const, claim: "need" as const };
    expect(citationLabel(c)).toBe("docs/a.md:5");
    expect(citationLabel({ ...c, line_end: 8 })).toBe("docs/a.md:5–8");
  });
});

describe("necessity and env var places", () => {
  it("says whether the project needs it, and both places of a key", () => {
    expect(necessityLabel("required")).toBe("Required");
    expect(necessityLabel("optional")).toBe("Optional");
    expect(necessityLabel(null)).toMatch(/scan again/);
    expect(envVarLabel({ name: "A", state: "in_dotenv", in_vault: true, in_dotenv: true })).toBe("In .env and vault");
    expect(envVarLabel({ name: "A", state: "in_dotenv", in_vault: false, in_dotenv: true })).toBe("In .env");
    expect(envVarLabel({ name: "A", state: "missing", in_vault: false, in_dotenv: false })).toBe("Missing");
  });

  it("counts the citations left out by line", () => {
    const cite = { path: "a.md", line_start: 1, line_end: 1, excerpt: "", rule: "env_var" as const, claim: "mention" as const };
    const r = { ...req("new", []), citations: [cite, cite], citation_count: 5 };
    expect(moreCitations(r)).toBe("… 3 more lines (the strongest 2 are kept)");
    expect(moreCitations({ ...r, citation_count: 2 })).toBeNull();
  });
});

describe("skipLabel", () => {
  it("says why", () => {
    expect(skipLabel({ reason: "binary" })).toBe("binary");
    expect(skipLabel({ reason: "too_large", size: 5 * 1048576, limit: 4 * 1048576 })).toBe("too large (5120 KiB; limit 4 MiB)");
    expect(skipLabel({ reason: "unreadable", detail: "permission denied" })).toMatch(/permission denied/);
  });
});

describe("scanSummary", () => {
  it("leaves zero parts out", () => {
    const p = { files_seen: 3, files_parsed: 2, files_unchanged: 0, files_skipped: 1, bytes_read: 10 };
    expect(scanSummary(p)).toBe("3 docs: 2 read, 1 skipped");
    expect(scanSummary({ ...p, files_seen: 0, files_parsed: 0, files_skipped: 0 })).toBe("0 docs");
  });
});

describe("missingEnvVars", () => {
  it("lists what is missing of the requirements not rejected, once each", () => {
    const reqs = [
      req("new", [["OPENAI_API_KEY", "missing"], ["GH_TOKEN", "in_vault"]]),
      req("accepted", [["OPENAI_API_KEY", "missing"], ["A_KEY", "missing"]]),
      req("rejected", [["B_KEY", "missing"]]),
    ];
    expect(missingEnvVars(reqs)).toEqual(["A_KEY", "OPENAI_API_KEY"]);
  });
});

describe("toggleStatus", () => {
  it("sets, switches and resets", () => {
    expect(toggleStatus("new", "accepted")).toBe("accepted");
    expect(toggleStatus("accepted", "rejected")).toBe("rejected");
    expect(toggleStatus("rejected", "rejected")).toBe("new");
  });
});

describe("sizeLabel", () => {
  it("picks a unit", () => {
    expect(sizeLabel(1)).toBe("1 byte");
    expect(sizeLabel(512)).toBe("512 bytes");
    expect(sizeLabel(3500)).toBe("3.4 KiB");
    expect(sizeLabel(202803790)).toBe("193.4 MiB");
    expect(sizeLabel(null)).toBe("0 bytes");
  });
});
