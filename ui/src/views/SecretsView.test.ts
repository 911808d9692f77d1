import { cleanup, fireEvent, render, screen, within } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const api = vi.hoisted(() => ({
  listProviders: vi.fn(),
  listSecrets: vi.fn(),
  revealSecret: vi.fn(),
  copySecret: vi.fn(),
  deleteSecret: vi.fn(),
}));
vi.mock("../lib/api", () => ({ api }));

import type { SecretSummary } from "../lib/api";
import { MASK } from "../lib/reveal";
import { session } from "../lib/session.svelte";
import { toasts } from "../lib/toasts.svelte";
import SecretsView from "./SecretsView.svelte";

function s(key_name: string, provider_id: string, extra: Partial<SecretSummary> = {}): SecretSummary {
  return {
    id: `${provider_id}/${key_name}`,
    provider_id,
    key_name,
    environment: null,
    project_id: null,
    notes: null,
    tags: [],
    source_type: "manual",
    source_label: null,
    imported_at: null,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-01T00:00:00Z",
    ...extra,
  };
}

const providers = [
  { id: "generic", display_name: "Unassigned", env_var: "" },
  { id: "openai", display_name: "OpenAI", env_var: "OPENAI_API_KEY" },
  { id: "github", display_name: "GitHub", env_var: "GITHUB_TOKEN" },
];

async function settle(ms = 0) {
  await vi.advanceTimersByTimeAsync(ms);
  await tick();
}

function row(key: string): HTMLElement {
  const r = screen.getAllByTestId("secret-row").find((e) => e.dataset.keyName === key);
  if (!r) throw new Error(`no row ${key}`);
  return r;
}

describe("SecretsView", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    for (const f of Object.values(api)) f.mockReset();
    api.listProviders.mockResolvedValue(providers);
    toasts.clear();
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("paints a short first page, grows to 100, and shows more on request", async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => s(`KEY_${String(i).padStart(3, "0")}`, "github"));
    api.listSecrets.mockImplementation(async (q: { limit: number }) => ({ total: 250, items: rows(q.limit) }));
    render(SecretsView);
    await settle();
    expect(api.listSecrets).toHaveBeenLastCalledWith({ provider_id: null, environment: null, search: null, offset: 0, limit: 20 });
    expect(screen.getByTestId("secret-count").textContent).toContain("Showing 20 of 250");
    await settle(1500);
    expect(screen.getByTestId("secret-count").textContent).toContain("Showing 100 of 250");
    const more = screen.getByTestId("show-more");
    expect(more.textContent).toContain("Show 100 more");
    await fireEvent.click(more);
    await settle();
    expect(api.listSecrets).toHaveBeenLastCalledWith({ provider_id: null, environment: null, search: null, offset: 0, limit: 200 });
  });

  it("shows the page prefetched at unlock without asking again, once", async () => {
    api.listSecrets.mockResolvedValue({ total: 1, items: [s("GITHUB_TOKEN", "github")] });
    await session.prefetchSecrets(20);
    expect(api.listSecrets).toHaveBeenCalledTimes(1);
    render(SecretsView);
    await settle();
    expect(screen.getAllByTestId("secret-row").map((r) => r.dataset.keyName)).toEqual(["GITHUB_TOKEN"]);
    expect(api.listSecrets).toHaveBeenCalledTimes(1);
    expect(api.listProviders).toHaveBeenCalledTimes(1);
    cleanup();
    // The next time the view opens, it loads for itself.
    render(SecretsView);
    await settle();
    expect(api.listSecrets).toHaveBeenCalledTimes(2);
  });

  it("groups by provider, sorted, and counts", async () => {
    api.listSecrets.mockResolvedValue({
      total: 3,
      items: [s("OPENAI_ORG", "openai"), s("GITHUB_TOKEN", "github"), s("OPENAI_API_KEY", "openai")],
    });
    render(SecretsView);
    await settle();
    expect(api.listSecrets).toHaveBeenCalledWith({ provider_id: null, environment: null, search: null, offset: 0, limit: 20 });
    expect(screen.queryByTestId("show-more")).toBeNull();
    const groups = screen.getAllByTestId("secret-group");
    expect(groups.map((g) => g.querySelector("h2")?.textContent?.replace(/\s+/g, " ").trim())).toEqual(["GitHub 1", "OpenAI 2"]);
    expect(screen.getAllByTestId("secret-row").map((r) => r.dataset.keyName)).toEqual(["GITHUB_TOKEN", "OPENAI_API_KEY", "OPENAI_ORG"]);
    expect(screen.getByTestId("secret-count").textContent).toContain("3 secrets");
    const options = [...(document.getElementById("filter-provider") as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).toEqual(["All", "GitHub", "OpenAI"]);
  });

  it("says how to start when the vault is empty", async () => {
    api.listSecrets.mockResolvedValue({ total: 0, items: [] });
    render(SecretsView);
    await settle();
    expect(screen.getByTestId("empty-state").textContent).toContain("No secrets yet — add your first API key with Add secret");
  });

  it("searches after 120 ms and says when nothing matches", async () => {
    api.listSecrets.mockResolvedValueOnce({ total: 1, items: [s("A", "openai")] }).mockResolvedValue({ total: 0, items: [] });
    render(SecretsView);
    await settle();
    await fireEvent.input(document.getElementById("secret-search") as HTMLInputElement, { target: { value: "zzz" } });
    await settle(100);
    expect(api.listSecrets).toHaveBeenCalledTimes(1);
    await settle(20);
    expect(api.listSecrets).toHaveBeenLastCalledWith(expect.objectContaining({ search: "zzz" }));
    expect(screen.getByTestId("empty-state").textContent).toContain("No secret matches “zzz”");
  });

  it("shows a row count when the list is cut", async () => {
    api.listSecrets.mockResolvedValue({ total: 812, items: [s("A", "openai")] });
    render(SecretsView);
    await settle();
    expect(screen.getByTestId("secret-count").textContent).toContain("Showing 1 of 812");
  });

  it("reveals a value for exactly 10 s", async () => {
    api.listSecrets.mockResolvedValue({ total: 1, items: [s("OPENAI_API_KEY", "openai")] });
    api.revealSecret.mockResolvedValue("sk-secret");
    render(SecretsView);
    await settle();
    await fireEvent.click(within(row("OPENAI_API_KEY")).getByTestId("reveal-button"));
    await settle();
    expect(api.revealSecret).toHaveBeenCalledWith("OPENAI_API_KEY", "openai", null);
    expect(within(row("OPENAI_API_KEY")).getByTestId("secret-value").textContent).toBe("sk-secret");
    await settle(9_999);
    expect(within(row("OPENAI_API_KEY")).getByTestId("secret-value").textContent).toBe("sk-secret");
    await settle(1);
    expect(within(row("OPENAI_API_KEY")).getByTestId("secret-value").textContent).toBe(MASK);
  });

  it("forgets a revealed value when the view goes away", async () => {
    api.listSecrets.mockResolvedValue({ total: 1, items: [s("K", "openai")] });
    api.revealSecret.mockResolvedValue("sk-gone");
    const view = render(SecretsView);
    await settle();
    await fireEvent.click(within(row("K")).getByTestId("reveal-button"));
    await settle();
    expect(document.body.textContent).toContain("sk-gone");
    view.unmount();
    expect(document.body.textContent).not.toContain("sk-gone");
  });

  it("asks for a two-factor code when the profile requires one, then reveals", async () => {
    api.listSecrets.mockResolvedValue({ total: 1, items: [s("OPENAI_API_KEY", "openai")] });
    api.revealSecret
      .mockRejectedValueOnce({ code: "totp.required", message: "a code is required", suggestion: "Enter a code." })
      .mockRejectedValueOnce({ code: "totp.invalid", message: "that code is not valid", suggestion: "Try the next one." })
      .mockResolvedValueOnce("sk-after-code");
    render(SecretsView);
    await settle();
    await fireEvent.click(within(row("OPENAI_API_KEY")).getByTestId("reveal-button"));
    await settle();
    const dialog = screen.getByTestId("code-prompt");
    await fireEvent.input(within(dialog).getByLabelText(/Code from your authenticator/), { target: { value: "000000" } });
    await fireEvent.submit(within(dialog).getByLabelText(/Code from your authenticator/).closest("form")!);
    await settle();
    expect(api.revealSecret).toHaveBeenLastCalledWith("OPENAI_API_KEY", "openai", "000000");
    expect(within(screen.getByTestId("code-prompt")).getByTestId("form-error").textContent).toContain("not valid");
    const input = within(screen.getByTestId("code-prompt")).getByLabelText(/Code from your authenticator/);
    await fireEvent.input(input, { target: { value: "123456" } });
    await fireEvent.submit(input.closest("form")!);
    await settle();
    expect(screen.queryByTestId("code-prompt")).toBeNull();
    expect(within(row("OPENAI_API_KEY")).getByTestId("secret-value").textContent).toBe("sk-after-code");
  });

  it("warns when a value is copied", async () => {
    api.listSecrets.mockResolvedValue({ total: 1, items: [s("GITHUB_TOKEN", "github")] });
    api.copySecret.mockResolvedValue({ clear_after_seconds: 30 });
    render(SecretsView);
    await settle();
    await fireEvent.click(within(row("GITHUB_TOKEN")).getByTestId("copy-button"));
    await settle();
    expect(api.copySecret).toHaveBeenCalledWith("GITHUB_TOKEN", "github", null);
    expect(toasts.items.at(-1)?.message).toBe("Copied GITHUB_TOKEN — anyone can paste it until the clipboard clears in 30 s.");
  });

  it("deletes after confirmation and reloads", async () => {
    api.listSecrets.mockResolvedValueOnce({ total: 1, items: [s("OLD", "generic")] }).mockResolvedValue({ total: 0, items: [] });
    api.deleteSecret.mockResolvedValue(s("OLD", "generic"));
    render(SecretsView);
    await settle();
    await fireEvent.click(within(row("OLD")).getByTestId("delete-button"));
    expect(screen.getByTestId("confirm-dialog").textContent).toContain("Delete OLD? This cannot be undone.");
    expect(api.deleteSecret).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("confirm-ok"));
    await settle();
    expect(api.deleteSecret).toHaveBeenCalledWith("OLD", "generic");
    expect(screen.queryByTestId("confirm-dialog")).toBeNull();
    expect(screen.getByTestId("empty-state")).toBeTruthy();
  });
});
