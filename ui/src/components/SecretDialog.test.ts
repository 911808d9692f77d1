import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const suggestProvider = vi.fn();
const addSecret = vi.fn();
const editSecret = vi.fn();
vi.mock("../lib/api", () => ({
  api: {
    suggestProvider: (...a: unknown[]) => suggestProvider(...a),
    addSecret: (...a: unknown[]) => addSecret(...a),
    editSecret: (...a: unknown[]) => editSecret(...a),
  },
}));

import type { ProviderInfo, SecretSummary } from "../lib/api";
import SecretDialog from "./SecretDialog.svelte";

const providers: ProviderInfo[] = [
  { id: "generic", display_name: "Unassigned", env_var: "" },
  { id: "openai", display_name: "OpenAI", env_var: "OPENAI_API_KEY" },
  { id: "stripe", display_name: "Stripe", env_var: "STRIPE_SECRET_KEY" },
];

const existing: SecretSummary = {
  id: "s1",
  provider_id: "stripe",
  key_name: "STRIPE_SECRET_KEY",
  environment: "dev",
  project_id: null,
  notes: "test mode",
  tags: ["billing"],
  source_type: "manual",
  source_label: null,
  imported_at: null,
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
  endpoint: "https://stripe.example.test",
};

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e as T;
}

async function type(id: string, value: string) {
  await fireEvent.input(el<HTMLInputElement>(id), { target: { value } });
}

async function settle() {
  await vi.advanceTimersByTimeAsync(200);
  await tick();
}

describe("SecretDialog", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    suggestProvider.mockReset();
    addSecret.mockReset();
    editSecret.mockReset();
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("is a modal that focuses the key name and closes on Escape", async () => {
    const onclose = vi.fn();
    render(SecretDialog, { props: { providers, onclose, onsaved: vi.fn() } });
    const dialog = screen.getByTestId("secret-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement?.id).toBe("secret-key-name");
    await fireEvent.keyDown(window, { key: "Escape" });
    expect(onclose).toHaveBeenCalledOnce();
  });

  it("pre-selects the suggested provider as the key name is typed", async () => {
    suggestProvider.mockResolvedValue("openai");
    render(SecretDialog, { props: { providers, onclose: vi.fn(), onsaved: vi.fn() } });
    await type("secret-key-name", "OPENAI_API_KEY");
    await settle();
    expect(suggestProvider).toHaveBeenCalledWith("OPENAI_API_KEY");
    expect(el<HTMLSelectElement>("secret-provider").value).toBe("openai");
  });

  it("keeps the provider the user picked", async () => {
    suggestProvider.mockResolvedValue("openai");
    render(SecretDialog, { props: { providers, onclose: vi.fn(), onsaved: vi.fn() } });
    const select = el<HTMLSelectElement>("secret-provider");
    select.value = "stripe";
    await fireEvent.change(select);
    await type("secret-key-name", "OPENAI_API_KEY");
    await settle();
    expect(suggestProvider).not.toHaveBeenCalled();
    expect(select.value).toBe("stripe");
  });

  it("adds a secret with parsed tags and reports it", async () => {
    suggestProvider.mockResolvedValue("openai");
    const saved = { secret: { ...existing, key_name: "OPENAI_API_KEY", provider_id: "openai" }, warnings: [] };
    addSecret.mockResolvedValue(saved);
    const onsaved = vi.fn();
    render(SecretDialog, { props: { providers, onclose: vi.fn(), onsaved } });
    await type("secret-key-name", "OPENAI_API_KEY");
    await settle();
    await type("secret-value", "sk-abc");
    el<HTMLSelectElement>("secret-environment").value = "prod";
    await fireEvent.change(el("secret-environment"));
    await type("secret-tags", "ci, billing,,ci");
    await fireEvent.click(screen.getByTestId("secret-dialog-submit"));
    await settle();
    expect(addSecret).toHaveBeenCalledWith({
      key_name: "OPENAI_API_KEY",
      value: "sk-abc",
      provider_id: "openai",
      environment: "prod",
      notes: null,
      tags: ["ci", "billing"],
      endpoint: null,
    });
    expect(onsaved).toHaveBeenCalledWith(saved, false);
  });

  it("shows a duplicate inline and stays open", async () => {
    suggestProvider.mockResolvedValue("generic");
    addSecret.mockRejectedValue({ code: "secret.already_exists", message: "a secret with this name exists", suggestion: "edit the existing one" });
    const onsaved = vi.fn();
    render(SecretDialog, { props: { providers, onclose: vi.fn(), onsaved } });
    await type("secret-key-name", "DUP");
    await type("secret-value", "v");
    await fireEvent.click(screen.getByTestId("secret-dialog-submit"));
    await settle();
    const error = screen.getByTestId("form-error");
    expect(error.textContent).toContain("A secret with this name exists.");
    expect(error.textContent).toContain("Edit the existing one.");
    expect(el("secret-key-name").getAttribute("aria-invalid")).toBe("true");
    expect(onsaved).not.toHaveBeenCalled();
    expect(screen.getByTestId("secret-dialog")).toBeTruthy();
  });

  it("edits: key name locked, empty value keeps the current one", async () => {
    const saved = { secret: existing, warnings: [] };
    editSecret.mockResolvedValue(saved);
    const onsaved = vi.fn();
    render(SecretDialog, { props: { secret: existing, providers, onclose: vi.fn(), onsaved } });
    expect(el<HTMLInputElement>("secret-key-name").disabled).toBe(true);
    expect(el<HTMLInputElement>("secret-value").placeholder).toMatch(/keep the current value/);
    expect(document.activeElement?.id).toBe("secret-value");
    expect(el<HTMLInputElement>("secret-tags").value).toBe("billing");
    await type("secret-notes", "live mode");
    await fireEvent.click(screen.getByTestId("secret-dialog-submit"));
    await settle();
    expect(suggestProvider).not.toHaveBeenCalled();
    expect(editSecret).toHaveBeenCalledWith("STRIPE_SECRET_KEY", "stripe", {
      value: null,
      provider_id: "stripe",
      environment: "dev",
      notes: "live mode",
      tags: ["billing"],
      endpoint: "https://stripe.example.test",
    });
    expect(onsaved).toHaveBeenCalledWith(saved, true);
  });
});
