// A read-only data folder (a backup on a write-protected disk): the window
// unlocks it, says so in a banner, lists and reveals the keys, and refuses a
// change with one clear error; nothing is written there.
//
// Mounting needs a private mount namespace: outside one, this file runs
// itself again under `unshare --user --map-root-user --mount`, so the
// read-only bind mount is private to it and gone when it ends. The outer
// test passes only if the inner run passed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, row, screenshot, tempHome, textOf, unlockAs, visible } from "./harness.mjs";

const PASS = "read-only passphrase for tests";
const PROFILE = "Backup";
const VALUE = "zqxreadonly-value-0123456789";
const INSIDE = "KEYCLAVE_E2E_IN_MOUNT_NAMESPACE";

function mount(args) {
  const r = spawnSync("mount", args, { encoding: "utf8" });
  assert.equal(r.status, 0, `mount ${args.join(" ")}: ${r.stderr}`);
}

/** Every file under dir (relative), with its size and change time. */
function snapshot(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.push(`${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

if (!process.env[INSIDE]) {
  test("a read-only data folder (run in its own mount namespace)", () => {
    const self = fileURLToPath(import.meta.url);
    // Run as a plain script (node:test reports by itself), not under the
    // runner again, which refuses to nest.
    const env = { ...process.env, [INSIDE]: "1" };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync("unshare", ["--user", "--map-root-user", "--mount", "--", process.execPath, self], {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const text = `${r.stdout}${r.stderr}`;
    process.stderr.write(text);
    assert.equal(r.status, 0, "the run in the namespace failed");
    assert.match(text, /pass 1/, "the test did not run in the namespace");
  });
} else {
  let app;
  let home;
  let before_;

  before(async () => {
    home = tempHome();
    const pf = path.join(home, "pass.txt");
    writeFileSync(pf, `${PASS}\n`);
    await cli(home, ["--passphrase-file", pf, "profile", "create", PROFILE, "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
    await cli(home, ["--passphrase-file", pf, "secret", "add", "ZQXRO_API_KEY"], VALUE);
    await cli(home, ["--passphrase-file", pf, "secret", "add", "ZQXRO_OTHER_TOKEN"], "zqxreadonly-other-9876543210");
    mount(["--bind", home, home]);
    mount(["-o", "remount,bind,ro", home, home]);
    before_ = snapshot(home);
    app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
  });

  after(async () => {
    await app?.close();
    // Lazily: a process of the app's tree may still be exiting. The mount
    // goes with the namespace anyway; this frees the folder to be removed.
    spawnSync("umount", ["-l", home]);
    removeHome(home);
  });

  test("the window reads a read-only data folder and refuses changes clearly", async () => {
    const b = app.browser;
    await unlockAs(b, PROFILE, PASS);
    await visible(b, '[data-testid="read-only-banner"]', 15000);
    assert.match(await textOf(b, '[data-testid="read-only-banner"]'), /read-only/i);
    await visible(b, '[data-testid="secret-row"][data-key-name="ZQXRO_API_KEY"]');
    await visible(b, '[data-testid="secret-row"][data-key-name="ZQXRO_OTHER_TOKEN"]');
    const valueText = async (key) =>
      (await (await row(b, key)).$('[data-testid="secret-value"]')).getProperty("textContent");
    await (await (await row(b, "ZQXRO_API_KEY")).$('[data-testid="reveal-button"]')).click();
    await b.waitUntil(async () => (await valueText("ZQXRO_API_KEY")) === VALUE, {
      timeout: 5000,
      timeoutMsg: "the value was not revealed",
    });
    await screenshot(b, "banner-list-revealed");

    await click(b, '[data-testid="add-secret"]');
    await visible(b, '[data-testid="secret-dialog"]');
    await fill(b, "#secret-key-name", "ZQXRO_NEW_KEY");
    await fill(b, "#secret-value", "zqxreadonly-new-value");
    await click(b, '[data-testid="secret-dialog-submit"]');
    const alert = '[data-testid="secret-dialog"] [role="alert"]';
    await visible(b, alert, 15000);
    assert.match(await textOf(b, alert), /read-only/i);
    await screenshot(b, "change-refused");
    const page = await b.getPageSource();
    assert.ok(!page.includes("zqxreadonly-other"), "a value not revealed is not in the page");

    assert.deepEqual(snapshot(home), before_, "nothing was written in the data folder");
  });
}
