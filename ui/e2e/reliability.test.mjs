// The vault on a bad day, in the real window: while the app has the
// profile open, a key rotation from the CLI is refused with vault.busy
// (and the CLI's own writes go through, seen in the window after a
// refresh); Settings writes a diagnostics package that holds none of the
// profile's values, key names or its name.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { cli, cliBinary, click, fill, launch, removeHome, screenshot, tempHome, unlockAs, visible } from "./harness.mjs";

const PASS = "reliability passphrase for tests";
const PROFILE = "Zqxrely Client";
const KEYS = { ZQXRELY_BILLING_TOKEN: "zqxrely-value-7c2e9a41f0b3d8", GITHUB_TOKEN: "ghp_E2eReliabilityGithub0123456789" };

let app;
let home;
let pf;
const out = path.join(os.tmpdir(), `keyclave-e2e-diagnostics-${process.pid}.json`);

before(async () => {
  home = tempHome();
  pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  await cli(home, ["--passphrase-file", pf, "profile", "create", PROFILE, "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
  const lines = Object.entries(KEYS).map(([k, v]) => `${k}=${v}`);
  await cli(home, ["--passphrase-file", pf, "import", "-", "--format", "dotenv"], `${PASS}\n${lines.join("\n")}\n`);
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  removeHome(home);
  rmSync(out, { force: true });
});

test("a rotation is refused while the app has the profile open; diagnostics hold nothing planted", async () => {
  const b = app.browser;
  await unlockAs(b, PROFILE, PASS);

  // Another process: the CLI adds a key (fine) and tries a rotation (refused).
  await cli(home, ["--passphrase-file", pf, "secret", "add", "CLI_ADDED_KEY"], "zqxrely-cli-value");
  const started = Date.now();
  const rotate = spawnSync(cliBinary, ["--home", home, "--passphrase-file", pf, "--json", "profile", "rotate-key"], { encoding: "utf8" });
  assert.notEqual(rotate.status, 0, "the rotation ran behind the app's back");
  const err = JSON.parse(rotate.stderr.trim().split("\n").pop());
  assert.equal(err.code, "vault.busy", rotate.stderr);
  assert.match(err.suggestion, /keyclave lock/);
  assert.ok(Date.now() - started < 30000, "the refusal took too long");

  // The window still works, and sees the CLI's key.
  await click(b, '[data-testid="nav-settings"]');
  await click(b, '[data-testid="nav-secrets"]');
  await visible(b, '[data-testid="secret-row"][data-key-name="CLI_ADDED_KEY"]', 15000);
  await screenshot(b, "secrets-after-cli-write");

  // Settings → Diagnostics.
  await click(b, '[data-testid="nav-settings"]');
  await fill(b, '[data-testid="diagnostics-path"]', out);
  await b.execute(() => document.querySelector('[data-testid="diagnostics-export"]').scrollIntoView());
  await click(b, '[data-testid="diagnostics-export"]');
  await b.waitUntil(
    async () => (await b.$('[data-testid="diagnostics-written"]').isExisting()) || (await b.$('[data-testid="form-error"]').isExisting()),
    { timeout: 15000, timeoutMsg: "no answer from Write diagnostics" },
  );
  if (await b.$('[data-testid="form-error"]').isExisting()) {
    await screenshot(b, "diagnostics-error");
    assert.fail(`Write diagnostics failed: ${await b.$('[data-testid="form-error"]').getText()}`);
  }
  const status = await visible(b, '[data-testid="diagnostics-written"]');
  assert.match(await status.getText(), /integrity checks passed/);
  await screenshot(b, "diagnostics-written");
  assert.ok(existsSync(out), "the package was written");
  const text = readFileSync(out, "utf8");
  for (const planted of [...Object.keys(KEYS), ...Object.values(KEYS), "CLI_ADDED_KEY", "zqxrely", "Zqxrely", PASS, home]) {
    assert.ok(!text.includes(planted), `the package holds ${planted}`);
  }
  const p = JSON.parse(text);
  assert.equal(p.profile_count, 1);
  assert.equal(p.profiles[0].rows.secrets, 3);

  // Writing again to the same file without "replace" is refused, clearly.
  await click(b, '[data-testid="diagnostics-export"]');
  const exists = await visible(b, '[data-testid="form-error"]', 10000);
  assert.match(await exists.getText(), /the file exists already/i);
  await screenshot(b, "diagnostics-exists");
});
