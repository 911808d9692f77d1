// Focus helpers for modals and screens: find focusable elements, keep Tab
// inside a container, focus an element when it mounts.

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

/** Focusable elements inside `root`, in DOM order (hidden ones skipped). */
export function focusables(root: ParentNode): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hidden && !el.closest("[inert]"));
}

/** Focus the first form field (else the first focusable) inside `root`; true when something got focus. */
export function focusFirst(root: HTMLElement): boolean {
  const all = focusables(root);
  const field = all.find((el) => el.matches("input, select, textarea")) ?? all[0];
  if (!field) return false;
  field.focus();
  return true;
}

/** On Tab / Shift+Tab at the edges of `root`, wrap around instead of leaving it. */
export function trapTab(e: KeyboardEvent, root: HTMLElement): void {
  if (e.key !== "Tab") return;
  const all = focusables(root);
  const first = all[0];
  const last = all[all.length - 1];
  if (!first || !last) {
    e.preventDefault();
    return;
  }
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !root.contains(active))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !root.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

/** Svelte action: focus the element once it is in the document (unless `enabled` is false). */
export function autofocus(node: HTMLElement, enabled: boolean = true): void {
  if (enabled) queueMicrotask(() => node.focus());
}
