import { describe, expect, it } from "vitest";
import { bundlePasswordProblem, defaultBundleName, expiryFor, parseRecipients, selectedKeyNames } from "./bundles";
import type { SecretSummary } from "./bindings";

describe("expiryFor", () => {
  it("adds whole days, or none", () => {
    const now = new Date("2026-01-31T10:00:00Z");
    expect(expiryFor(1, now)).toBe("2026-02-01T10:00:00.000Z");
    expect(expiryFor(null, now)).toBeNull();
  });
});

describe("defaultBundleName", () => {
  it("dates the file", () => {
    expect(defaultBundleName(new Date(2026, 2, 5))).toBe("keyclave-20260305.kcbundle");
  });
});

describe("selectedKeyNames", () => {
  it("maps ids to names, once each", () => {
    const s = (id: string, key_name: string) => ({ id, key_name }) as SecretSummary;
    const all = [s("1", "A_KEY"), s("2", "A_KEY"), s("3", "B_KEY")];
    expect(selectedKeyNames(all, ["1", "2"])).toEqual(["A_KEY"]);
    expect(selectedKeyNames(all, ["3", "9"])).toEqual(["B_KEY"]);
  });
});

describe("bundlePasswordProblem", () => {
  it("wants 8 characters and a matching confirmation", () => {
    expect(bundlePasswordProblem("short", "short")).toMatch(/8/);
    expect(bundlePasswordProblem("long enough", "long enougH")).toMatch(/differ/);
    expect(bundlePasswordProblem("long enough", "long enough")).toBeNull();
  });
});

describe("parseRecipients", () => {
  const a = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
  const b = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg";
  it("splits lines, spaces and commas and keeps each once", () => {
    expect(parseRecipients(`${a}\n ${b}, ${a}\n`)).toEqual({ recipients: [a, b], problem: null });
  });
  it("asks for one when empty", () => {
    expect(parseRecipients("  \n").problem).toMatch(/at least one/);
  });
  it("names the start of a bad one, not all of it", () => {
    const r = parseRecipients(`${a}\nage1typo`);
    expect(r.problem).toMatch(/^age1typo… is not a recipient/);
    expect(parseRecipients("ssh-ed25519 AAAAC3Nza").problem).toMatch(/^ssh-ed25519… is not/);
    expect(parseRecipients(a.toUpperCase()).problem).not.toBeNull();
  });
});
