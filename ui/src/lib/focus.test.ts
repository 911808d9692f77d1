import { beforeEach, describe, expect, it } from "vitest";
import { autofocus, focusFirst, focusables, trapTab } from "./focus";

function tab(shiftKey = false): KeyboardEvent {
  return new KeyboardEvent("keydown", { key: "Tab", shiftKey, cancelable: true });
}

describe("focus helpers", () => {
  let root: HTMLElement;
  beforeEach(() => {
    document.body.innerHTML = `
      <button id="outside">outside</button>
      <div id="root">
        <h2>Title</h2>
        <button id="close">x</button>
        <input id="disabled" disabled />
        <input id="name" />
        <select id="sel"><option>a</option></select>
        <button id="ok">OK</button>
      </div>`;
    root = document.getElementById("root") as HTMLElement;
  });

  it("lists focusable, enabled elements in order", () => {
    expect(focusables(root).map((e) => e.id)).toEqual(["close", "name", "sel", "ok"]);
  });

  it("focuses the first field rather than a button", () => {
    expect(focusFirst(root)).toBe(true);
    expect(document.activeElement?.id).toBe("name");
  });

  it("wraps Tab at the last element and Shift+Tab at the first", () => {
    (document.getElementById("ok") as HTMLElement).focus();
    const forward = tab();
    trapTab(forward, root);
    expect(forward.defaultPrevented).toBe(true);
    expect(document.activeElement?.id).toBe("close");

    const back = tab(true);
    trapTab(back, root);
    expect(back.defaultPrevented).toBe(true);
    expect(document.activeElement?.id).toBe("ok");
  });

  it("lets Tab move normally in the middle and pulls focus back in from outside", () => {
    (document.getElementById("name") as HTMLElement).focus();
    const mid = tab();
    trapTab(mid, root);
    expect(mid.defaultPrevented).toBe(false);

    (document.getElementById("outside") as HTMLElement).focus();
    const e = tab();
    trapTab(e, root);
    expect(document.activeElement?.id).toBe("close");
  });

  it("autofocus focuses after mount", async () => {
    const input = document.getElementById("name") as HTMLElement;
    autofocus(input);
    await Promise.resolve();
    expect(document.activeElement).toBe(input);
    const other = document.getElementById("ok") as HTMLElement;
    autofocus(other, false);
    await Promise.resolve();
    expect(document.activeElement).toBe(input);
  });
});
