import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SecretSummary } from "../lib/api";
import { MASK } from "../lib/reveal";
import SecretRow from "./SecretRow.svelte";

const secret: SecretSummary = {
  id: "s1",
  provider_id: "openai",
  key_name: "OPENAI_API_KEY",
  environment: "prod",
  project_id: null,
  notes: "Billing account of the team",
  tags: ["billing", "ci"],
  source_type: "manual",
  source_label: null,
  imported_at: null,
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
};

function handlers() {
  return { onreveal: vi.fn(), onhide: vi.fn(), oncopy: vi.fn(), onedit: vi.fn(), ondelete: vi.fn() };
}

describe("SecretRow", () => {
  afterEach(() => cleanup());

  it("shows the metadata and a masked value", () => {
    render(SecretRow, { props: { secret, ...handlers() } });
    const row = screen.getByTestId("secret-row");
    expect(row.dataset.keyName).toBe("OPENAI_API_KEY");
    expect(row.dataset.provider).toBe("openai");
    expect(screen.getByTestId("secret-value").textContent).toBe(MASK);
    expect(screen.getByTestId("secret-env").textContent).toBe("prod");
    expect(row.textContent).toContain("billing");
    expect(row.textContent).toContain("Billing account of the team");
  });

  it("asks to reveal, copy, edit and delete this secret", async () => {
    const h = handlers();
    render(SecretRow, { props: { secret, ...h } });
    await fireEvent.click(screen.getByRole("button", { name: "Reveal OPENAI_API_KEY" }));
    expect(h.onreveal).toHaveBeenCalledWith(secret);
    await fireEvent.click(screen.getByTestId("copy-button"));
    expect(h.oncopy).toHaveBeenCalledWith(secret);
    await fireEvent.click(screen.getByRole("button", { name: "Edit OPENAI_API_KEY" }));
    expect(h.onedit).toHaveBeenCalledWith(secret);
    await fireEvent.click(screen.getByRole("button", { name: "Delete OPENAI_API_KEY" }));
    expect(h.ondelete).toHaveBeenCalledWith(secret);
    expect(h.onhide).not.toHaveBeenCalled();
  });

  it("shows a revealed value and offers Hide", async () => {
    const h = handlers();
    render(SecretRow, { props: { secret, revealed: "sk-live-123", ...h } });
    expect(screen.getByTestId("secret-value").textContent).toBe("sk-live-123");
    const hide = screen.getByTestId("reveal-button");
    expect(hide.getAttribute("aria-label")).toBe("Hide OPENAI_API_KEY");
    await fireEvent.click(hide);
    expect(h.onhide).toHaveBeenCalledWith(secret);
    expect(h.onreveal).not.toHaveBeenCalled();
  });

  it("disables Reveal while a reveal is pending", () => {
    render(SecretRow, { props: { secret, pending: true, ...handlers() } });
    expect((screen.getByTestId("reveal-button") as HTMLButtonElement).disabled).toBe(true);
  });
});
