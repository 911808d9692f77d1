// The whole everyday flow in the real app window, as a person would do it:
// first run → create profile → add three secrets → search → reveal (shown,
// then hidden again) → copy → lock → wrong passphrase → unlock → edit →
// delete → audit → auto-lock with a short timeout.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { clearByKeyboard, click, fill, launch, removeHome, row, rows, screenshot, tempHome, textOf, visible } from "./harness.mjs";

const PASS = "violet staple lantern grows quietly";
const SECRETS = [
  { key: "GH_TOKEN", value: "ghp_E2eToken0123456789abcdefghijklmnopq", provider: "github" },
  { key: "OPENAI_API_KEY", value: "sk-proj-e2eOpenAiValue0123456789", provider: "openai", env: "prod", notes: "summariser service" },
  { key: "STRIPE_SECRET_KEY", value: "sk_test_e2eStripeValue012345", provider: "stripe", tags: "billing, payments" },
];

let app;
let home;

before(async () => {
  home = tempHome();
  app = await launch(home, { readySelector: '[data-testid="create-profile-form"]' });
});

after(async () => {
  await app?.close();
  removeHome(home);
});

async function pageHasNoSecret(browser) {
  const html = await browser.getPageSource();
  for (const s of SECRETS) assert.ok(!html.includes(s.value), `${s.key}'s value is in the DOM`);
  assert.ok(!html.includes(PASS), "the passphrase is in the DOM");
}

test("first run, secrets, reveal, copy, lock, unlock, edit, delete, auto-lock", async () => {
  const b = app.browser;

  // First run: create a profile.
  await screenshot(b, "first-run");
  await fill(b, "#profile-name", "Work");
  await fill(b, "#new-passphrase", PASS);
  await fill(b, "#confirm-passphrase", PASS);
  const meter = await visible(b, '[data-testid="strength-meter"]');
  // The meter asks the backend after a 150 ms pause in typing: wait for it.
  await b.waitUntil(async () => /strong/i.test(await meter.getProperty("textContent")), { timeout: 5000 });
  assert.match(await meter.getProperty("textContent"), /strong/i);
  await screenshot(b, "first-run-filled");
  await click(b, '[data-testid="create-profile-submit"]');
  await visible(b, '[data-testid="empty-state"]', 30000);
  assert.match(await textOf(b, '[data-testid="status-profile"]'), /Work/);
  assert.match(await textOf(b, '[data-testid="status-lock"]'), /Unlocked/);
  await screenshot(b, "empty-vault");

  // Add three secrets; the provider is suggested from the key name.
  for (const [i, s] of SECRETS.entries()) {
    await click(b, '[data-testid="add-secret"]');
    await visible(b, '[data-testid="secret-dialog"]');
    await fill(b, "#secret-key-name", s.key);
    await fill(b, "#secret-value", s.value);
    await b.waitUntil(async () => (await (await b.$("#secret-provider")).getValue()) === s.provider, {
      timeout: 5000,
      timeoutMsg: `provider for ${s.key} was not suggested`,
    });
    if (s.env) await (await b.$("#secret-environment")).selectByAttribute("value", s.env);
    if (s.notes) await fill(b, "#secret-notes", s.notes);
    if (s.tags) await fill(b, "#secret-tags", s.tags);
    if (i === 0) await screenshot(b, "add-dialog");
    await click(b, '[data-testid="secret-dialog-submit"]');
    await row(b, s.key);
  }
  assert.equal((await rows(b)).length, 3);
  await pageHasNoSecret(b);
  await screenshot(b, "three-secrets");

  // A name that exists already for that provider is refused inline
  // (secret.already_exists): the dialog stays open, nothing is added.
  await click(b, '[data-testid="add-secret"]');
  await visible(b, '[data-testid="secret-dialog"]');
  await fill(b, "#secret-key-name", SECRETS[0].key);
  await fill(b, "#secret-value", "ghp_E2eDuplicate0123456789abcdefghijklm");
  await b.waitUntil(async () => (await (await b.$("#secret-provider")).getValue()) === SECRETS[0].provider, {
    timeout: 5000,
    timeoutMsg: "provider for the duplicate was not suggested",
  });
  await click(b, '[data-testid="secret-dialog-submit"]');
  await visible(b, '[data-testid="form-error"]');
  assert.match(await textOf(b, '[data-testid="form-error"]'), /already exists/i);
  assert.ok(await (await b.$("#secret-key-name")).isFocused(), "the key field is marked and focused");
  await screenshot(b, "duplicate-refused");
  await b.keys(["Escape"]);
  await (await b.$('[data-testid="secret-dialog"]')).waitForDisplayed({ reverse: true, timeout: 5000 });
  assert.equal((await rows(b)).length, 3, "nothing was added");

  // Search with the keyboard shortcut.
  await b.keys(["Control", "k"]);
  const search = await b.$("#secret-search");
  assert.ok(await search.isFocused(), "Ctrl+K focuses the search box");
  await search.setValue("billing");
  await b.waitUntil(async () => (await rows(b)).length === 1, { timeout: 5000, timeoutMsg: "search did not filter" });
  assert.equal(await (await rows(b))[0].getAttribute("data-key-name"), "STRIPE_SECRET_KEY");
  await screenshot(b, "search");
  await clearByKeyboard(b, "#secret-search");
  await b.waitUntil(async () => (await rows(b)).length === 3, { timeout: 5000 });

  // Reveal: the value is shown, then hidden again after 10 s. Elements are
  // looked up afresh each time: the list re-renders as data arrives.
  const valueText = async (key) =>
    (await (await row(b, key)).$('[data-testid="secret-value"]')).getProperty("textContent");
  await b.pause(400); // let the cleared search's debounce settle
  await (await (await row(b, "GH_TOKEN")).$('[data-testid="reveal-button"]')).click();
  await b.waitUntil(async () => (await valueText("GH_TOKEN")) === SECRETS[0].value, {
    timeout: 5000,
    timeoutMsg: "the value was not revealed",
  });
  await screenshot(b, "revealed");
  await b.waitUntil(async () => !(await valueText("GH_TOKEN")).includes("ghp_"), {
    timeout: 13000,
    interval: 250,
    timeoutMsg: "the revealed value did not hide again",
  });
  await pageHasNoSecret(b);

  // Copy: the value goes to the clipboard, with a warning.
  await (await (await row(b, "GH_TOKEN")).$('[data-testid="copy-button"]')).click();
  const toast = await b.$('[data-testid="toast"]*=GH_TOKEN');
  await toast.waitForDisplayed({ timeout: 5000 });
  assert.match(await toast.getProperty("textContent"), /30/);
  await screenshot(b, "copied");

  // Audit log shows what happened, without values.
  await click(b, '[data-testid="nav-audit"]');
  await visible(b, '[data-testid="audit-row"]');
  const auditText = await (await b.$("main")).getProperty("textContent");
  assert.match(auditText, /reveal/i);
  assert.match(auditText, /cop/i);
  await pageHasNoSecret(b);
  await screenshot(b, "audit");
  await click(b, '[data-testid="nav-secrets"]');

  // Lock with the toolbar button: back to the unlock screen, nothing secret left.
  await click(b, '[data-testid="lock-button"]');
  await visible(b, '[data-testid="unlock-screen"]');
  await pageHasNoSecret(b);
  assert.equal((await rows(b)).length, 0);
  await screenshot(b, "locked");

  // Wrong passphrase: an error, still locked.
  await fill(b, "#unlock-passphrase", "definitely not it");
  await click(b, '[data-testid="unlock-submit"]');
  const err = await visible(b, '[data-testid="unlock-error"]', 15000);
  assert.match(await err.getProperty("textContent"), /wrong passphrase/i);
  await screenshot(b, "wrong-passphrase");

  // Right passphrase.
  await fill(b, "#unlock-passphrase", PASS);
  await click(b, '[data-testid="unlock-submit"]');
  await row(b, "GH_TOKEN");
  assert.equal((await rows(b)).length, 3);

  // Edit: environment and notes.
  await b.pause(400);
  await (await (await row(b, "OPENAI_API_KEY")).$('[data-testid="edit-button"]')).click();
  await visible(b, '[data-testid="secret-dialog"]');
  await (await b.$("#secret-environment")).selectByAttribute("value", "stage");
  await fill(b, "#secret-notes", "moved to staging");
  await screenshot(b, "edit-dialog");
  await click(b, '[data-testid="secret-dialog-submit"]');
  await b.waitUntil(async () => /stage/.test(await (await row(b, "OPENAI_API_KEY")).getProperty("textContent")), {
    timeout: 5000,
    timeoutMsg: "the edit did not show",
  });
  assert.match(await (await row(b, "OPENAI_API_KEY")).getProperty("textContent"), /moved to staging/);

  // Delete, with confirmation.
  await (await (await row(b, "STRIPE_SECRET_KEY")).$('[data-testid="delete-button"]')).click();
  await visible(b, '[data-testid="confirm-dialog"]');
  await screenshot(b, "confirm-delete");
  await click(b, '[data-testid="confirm-ok"]');
  await b.waitUntil(async () => (await rows(b)).length === 2, { timeout: 5000, timeoutMsg: "delete did not remove the row" });
  await screenshot(b, "after-delete");

  // Auto-lock: a short timeout returns to the unlock screen by itself.
  await click(b, '[data-testid="nav-settings"]');
  await fill(b, "#setting-auto-lock", "5");
  await click(b, '[data-testid="settings-save"]');
  await screenshot(b, "settings");
  await visible(b, '[data-testid="unlock-screen"]', 15000);
  await pageHasNoSecret(b);
  await screenshot(b, "auto-locked");
});
