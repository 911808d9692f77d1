import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import ConfirmDialog from "./ConfirmDialog.svelte";

describe("ConfirmDialog (on Modal)", () => {
  afterEach(() => cleanup());

  it("focuses Cancel, keeps Tab inside and confirms only on the button", async () => {
    const onconfirm = vi.fn();
    const oncancel = vi.fn();
    render(ConfirmDialog, {
      props: { title: "Delete secret", message: "Delete K? This cannot be undone.", confirmLabel: "Delete", onconfirm, oncancel },
    });
    const dialog = screen.getByTestId("confirm-dialog");
    expect(dialog.textContent).toContain("Delete K? This cannot be undone.");
    expect(document.activeElement?.textContent?.trim()).toBe("Cancel");

    const ok = screen.getByTestId("confirm-ok");
    ok.focus();
    await fireEvent.keyDown(window, { key: "Tab" });
    await tick();
    expect(dialog.contains(document.activeElement)).toBe(true);
    expect(document.activeElement).not.toBe(ok);

    await fireEvent.click(ok);
    expect(onconfirm).toHaveBeenCalledOnce();
    expect(oncancel).not.toHaveBeenCalled();
  });

  it("cancels on Escape and on the close button", async () => {
    const oncancel = vi.fn();
    render(ConfirmDialog, { props: { title: "T", message: "M", confirmLabel: "OK", onconfirm: vi.fn(), oncancel } });
    await fireEvent.keyDown(window, { key: "Escape" });
    await fireEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(oncancel).toHaveBeenCalledTimes(2);
  });

  it("shows an error and disables confirm while busy", () => {
    render(ConfirmDialog, {
      props: { title: "T", message: "M", confirmLabel: "OK", busy: true, error: "Not found.", onconfirm: vi.fn(), oncancel: vi.fn() },
    });
    expect((screen.getByTestId("confirm-ok") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("form-error").textContent).toBe("Not found.");
  });
});
