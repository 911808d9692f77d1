// The vault's two ways around a password, in the real window: a bundle
// sent to a person (the profile's age recipient, shown on Bundles ›
// Import; export to a recipient; import with no password asked), and
// unlock with the OS keychain against a real gnome-keyring-daemon started
// on this test's D-Bus session (the suite runs inside dbus-run-session).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, screenshot, tempHome, textOf, unlockAs, visible } from "./harness.mjs";

const PASS = "keychain passphrase for tests";
const APP_PROFILE = "Desk";
const OTHER = "Laptop";
const FROM_CLI = { ZQXKC_CLI_SENT: "zqxkc-cli-sent-value-41f0b3d8" };
const IN_APP = { ZQXKC_APP_KEY: "zqxkc-app-value-7c2e9a41" };

let app;
let home;
let pf;
let keyring;
let keyringDir;
const toOther = path.join(os.tmpdir(), `keyclave-e2e-to-laptop-${process.pid}.kcbundle`);
const toDesk = path.join(os.tmpdir(), `keyclave-e2e-to-desk-${process.pid}.kcbundle`);

/** gnome-keyring on the session bus, its keyrings in a folder of its own. */
async function startKeyring() {
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, "run inside dbus-run-session (make e2e does)");
  keyringDir = mkdtempSync(path.join(os.tmpdir(), "keyclave-e2e-keyring-"));
  const runtime = path.join(keyringDir, "run");
  mkdirSync(runtime, { mode: 0o700 });
  keyring = spawn("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], {
    env: { ...process.env, HOME: keyringDir, XDG_DATA_HOME: keyringDir, XDG_RUNTIME_DIR: runtime },
    stdio: ["pipe", "ignore", "ignore"],
  });
  keyring.stdin.end("keyring test password");
  const deadline = Date.now() + 20000;
  for (;;) {
    const r = spawnSync("dbus-send", ["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"], { encoding: "utf8" });
    if (r.stdout?.includes("boolean true")) return;
    assert.ok(Date.now() < deadline, "the Secret Service did not start");
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

before(async () => {
  await startKeyring();
  home = tempHome();
  pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  for (const name of [APP_PROFILE, OTHER]) {
    await cli(home, ["--passphrase-file", pf, "profile", "create", name, "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
  }
  const lines = Object.entries(IN_APP).map(([k, v]) => `${k}=${v}`);
  await cli(home, ["--passphrase-file", pf, "--profile", APP_PROFILE, "import", "-", "--format", "dotenv"], `${PASS}\n${lines.join("\n")}\n`);
  const sent = Object.entries(FROM_CLI).map(([k, v]) => `${k}=${v}`);
  await cli(home, ["--passphrase-file", pf, "--profile", OTHER, "import", "-", "--format", "dotenv"], `${PASS}\n${sent.join("\n")}\n`);
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  keyring?.kill();
  removeHome(home);
  if (keyringDir) rmSync(keyringDir, { recursive: true, force: true });
  rmSync(toOther, { force: true });
  rmSync(toDesk, { force: true });
});

test("a bundle to a person's recipient: shown, exported to, imported without a password", async () => {
  const b = app.browser;
  await unlockAs(b, APP_PROFILE, PASS);

  // Bundles › Import shows this profile's recipient.
  await click(b, '[data-testid="nav-bundles"]');
  await click(b, '[data-testid="bundle-tab-import"]');
  await click(b, '[data-testid="bundle-my-recipient-show"]');
  const mine = (await textOf(b, '[data-testid="bundle-my-recipient-value"]')).trim();
  assert.match(mine, /^age1[02-9ac-hj-np-z]{58}$/);
  const cliMine = (await cli(home, ["--passphrase-file", pf, "--profile", APP_PROFILE, "identity", "show"])).trim();
  assert.equal(mine, cliMine, "the window and the CLI show the same identity");
  await screenshot(b, "my-recipient");

  // Export from the window to the other profile's recipient.
  const theirs = (await cli(home, ["--passphrase-file", pf, "--profile", OTHER, "identity", "show"])).trim();
  await click(b, '[data-testid="bundle-tab-export"]');
  await click(b, '[data-testid="bundle-protect-recipients"]');
  await fill(b, '[data-testid="bundle-recipients"]', "age1notarecipient");
  await visible(b, ".field-error");
  assert.ok(!(await b.$('[data-testid="bundle-export-submit"]').isEnabled()), "a typo cannot be exported to");
  await fill(b, '[data-testid="bundle-recipients"]', theirs);
  await fill(b, '[data-testid="bundle-out"]', toOther);
  assert.ok(!(await b.$("#bundle-password").isExisting()), "no password is asked for");
  await screenshot(b, "export-to-recipient");
  await click(b, '[data-testid="bundle-export-submit"]');
  await b.waitUntil(() => existsSync(toOther), { timeout: 15000, timeoutMsg: "the bundle was not written" });
  const header = JSON.parse(await cli(home, ["--json", "bundle", "inspect", toOther]));
  assert.equal(header.mode, "recipients");
  // The other profile opens it with no password; this one is told it is not for it.
  const counts = JSON.parse(await cli(home, ["--passphrase-file", pf, "--profile", OTHER, "--json", "bundle", "import", toOther]));
  assert.equal(counts.added, 1);

  // The CLI sends one to this profile; the window imports it with no password field.
  await cli(home, ["--passphrase-file", pf, "--profile", OTHER, "bundle", "export", toDesk, "--key", "ZQXKC_CLI_SENT", "--recipient", mine]);
  await click(b, '[data-testid="bundle-tab-import"]');
  await fill(b, '[data-testid="bundle-in"]', toDesk);
  await click(b, '[data-testid="bundle-inspect"]');
  assert.match(await textOf(b, '[data-testid="bundle-mode"]'), /identity .*no password/);
  assert.ok(!(await b.$("#bundle-in-password").isExisting()), "no password field for a recipient bundle");
  await click(b, '[data-testid="bundle-preview"]');
  await visible(b, '[data-testid="bundle-entries"]');
  await screenshot(b, "import-recipient-preview");
  await click(b, '[data-testid="bundle-import-submit"]');
  await click(b, '[data-testid="nav-secrets"]');
  await visible(b, '[data-testid="secret-row"][data-key-name="ZQXKC_CLI_SENT"]', 15000);
});

test("keychain unlock: turned on in Settings, offered on the unlock screen, unlocks without the passphrase", async () => {
  const b = app.browser;
  await click(b, '[data-testid="nav-settings"]');
  await visible(b, '[data-testid="keychain-settings"]');
  await b.execute(() => document.querySelector('[data-testid="keychain-settings"]').scrollIntoView());
  assert.match(await textOf(b, '[data-testid="keychain-state"]'), /^Off/);
  await fill(b, "#keychain-passphrase", "not the passphrase");
  await click(b, '[data-testid="keychain-on"]');
  await visible(b, '[data-testid="keychain-settings"] [data-testid="form-error"]');
  assert.match(await textOf(b, '[data-testid="keychain-state"]'), /^Off/, "a wrong passphrase changes nothing");
  await fill(b, "#keychain-passphrase", PASS);
  await click(b, '[data-testid="keychain-on"]');
  await b.waitUntil(async () => /^On — /.test(await textOf(b, '[data-testid="keychain-state"]')), { timeout: 15000, timeoutMsg: "keychain unlock did not turn on" });
  await b.execute(() => document.querySelector('[data-testid="keychain-settings"]').scrollIntoView());
  await screenshot(b, "keychain-on");

  // The CLI sees it as well.
  const status = JSON.parse(await cli(home, ["--passphrase-file", pf, "--profile", APP_PROFILE, "--json", "profile", "keychain", "status"]));
  assert.equal(status.keychain, "ready");

  await click(b, '[data-testid="lock-button"]');
  const select = await visible(b, "#unlock-profile");
  await select.selectByVisibleText(APP_PROFILE);
  await visible(b, '[data-testid="unlock-keychain"]');
  await screenshot(b, "unlock-offers-keychain");
  // The other profile has it off: not offered.
  await select.selectByVisibleText(OTHER);
  assert.ok(!(await b.$('[data-testid="unlock-keychain"]').isExisting()));
  await select.selectByVisibleText(APP_PROFILE);
  await click(b, '[data-testid="unlock-keychain"]');
  await visible(b, '[data-testid="nav-secrets"]', 30000);
  await visible(b, '[data-testid="secret-row"][data-key-name="ZQXKC_APP_KEY"]', 15000);

  // Off again: removed from the keychain, the unlock screen no longer offers it.
  await click(b, '[data-testid="nav-settings"]');
  await visible(b, '[data-testid="keychain-settings"]');
  await b.execute(() => document.querySelector('[data-testid="keychain-settings"]').scrollIntoView());
  await fill(b, "#keychain-passphrase", PASS);
  await click(b, '[data-testid="keychain-off"]');
  await b.waitUntil(async () => /^Off/.test(await textOf(b, '[data-testid="keychain-state"]')), { timeout: 15000, timeoutMsg: "keychain unlock did not turn off" });
  await click(b, '[data-testid="lock-button"]');
  await visible(b, "#unlock-profile");
  assert.ok(!(await b.$('[data-testid="unlock-keychain"]').isExisting()));
});
