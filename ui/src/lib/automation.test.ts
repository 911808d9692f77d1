import { describe, expect, it } from "vitest";
import type { Pending } from "./bindings";
import { Automation, approveBlocker, contextRows, decisionFor, needsPerson } from "./automation.svelte";

function pending(over: Partial<Pending> = {}): Pending {
  return {
    id: "c1",
    nonce: "n1",
    sha256: "0".repeat(64),
    execution_id: "e1",
    script_id: "s1",
    script_title: "Set limit",
    provider_id: "openai",
    kind: "billing",
    description: "Set the monthly limit",
    proposed_action: "$50",
    context: { currency: "USD", page: { a: 1 } },
    needs_totp: false,
    needs_person: false,
    reduced_sandbox: false,
    asked_at: "2026-12-04T10:00:00Z",
    expires_at: "2026-12-04T10:15:00Z",
    ...over,
  };
}

const empty = { modified: "", notes: "", totp: "", acceptReduced: false };

describe("automation decisions", () => {
  it("financial and irreversible need a person every time", () => {
    expect(needsPerson("financial")).toBe(true);
    expect(needsPerson("irreversible")).toBe(true);
    expect(needsPerson("billing")).toBe(false);
  });

  it("a modified action makes the answer modify, a rejection carries no code", () => {
    const p = pending({ needs_totp: true });
    const d = decisionFor(p, true, { ...empty, modified: " $20 ", totp: "123456", notes: " cheaper " });
    expect(d).toMatchObject({ checkpoint_id: "c1", nonce: "n1", answer: { answer: "modify", action: "$20" }, notes: "cheaper", totp_code: "123456" });
    const r = decisionFor(p, false, { ...empty, totp: "123456", acceptReduced: true });
    expect(r).toMatchObject({ answer: { answer: "reject" }, totp_code: null, accept_reduced_sandbox: false });
  });

  it("approve waits for a code and for accepting a reduced sandbox", () => {
    expect(approveBlocker(pending({ needs_totp: true }), empty)).toMatch(/TOTP/);
    expect(approveBlocker(pending({ needs_totp: true }), { ...empty, totp: "123456" })).toBeNull();
    const reduced = pending({ kind: "financial", needs_person: true, reduced_sandbox: true });
    expect(approveBlocker(reduced, empty)).toMatch(/reduced sandbox/);
    expect(approveBlocker(reduced, { ...empty, acceptReduced: true })).toBeNull();
  });

  it("context becomes rows of text", () => {
    expect(contextRows({ currency: "USD", page: { a: 1 } })).toEqual([["currency", "USD"], ["page", '{"a":1}']]);
    expect(contextRows(null)).toEqual([]);
    expect(contextRows([1, 2])).toEqual([]);
  });

  it("the oldest waiting checkpoint is shown; closed ones go", () => {
    const a = new Automation();
    a.ask(pending({ id: "c1" }));
    a.ask(pending({ id: "c2" }));
    a.ask(pending({ id: "c1" }));
    expect(a.waiting.map((w) => w.id)).toEqual(["c1", "c2"]);
    expect(a.current?.id).toBe("c1");
    a.closed("c1");
    expect(a.current?.id).toBe("c2");
    a.clear();
    expect(a.current).toBeNull();
  });
});
