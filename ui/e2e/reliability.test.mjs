// The vault on a bad day, in the real window: while the app has the
// profile open, a key rotation from the CLI is refused with vault.busy
// (and the CLI's own writes go through, seen in the window after a
// refresh); Settings writes a diagnostics package that holds none of the
// profile's values, key names or its name.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { cli, cliBinary, click, fill, launch, removeHome, row, screenshot, tempHome, unlockAs, visible } from "./harness.mjs";

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

/** Run the CLI without failing the test on a non-zero exit: the writers count. */
function cliResult(args, input) {
  return new Promise((resolve) => {
    const p = spawn(cliBinary, ["--home", home, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (status) => resolve({ status, out, err }));
    p.stdin.end(input ?? "");
  });
}

test("the window and two CLI processes write at once: no update is lost, nobody sees `database is locked`", async () => {
  const b = app.browser;
  await click(b, '[data-testid="nav-secrets"]');
  await visible(b, '[data-testid="add-secret"]');
  const M = 6;
  const expected = new Map();
  const failures = [];

  // Two CLI writers, each adding M keys and then editing every one, while the window adds its own.
  const writer = async (w) => {
    for (let j = 0; j < M; j++) {
      const key = `CLI${w}_CONC_${j}_KEY`;
      const r = await cliResult(["--passphrase-file", pf, "secret", "add", key], `first-${w}-${j}`);
      if (r.status !== 0 || /database is locked/i.test(r.err)) failures.push(`${key} add: ${r.err}`);
    }
    for (let j = 0; j < M; j++) {
      const key = `CLI${w}_CONC_${j}_KEY`;
      const r = await cliResult(["--passphrase-file", pf, "secret", "edit", key, "--value-stdin"], `second-${w}-${j}`);
      if (r.status !== 0 || /database is locked/i.test(r.err)) failures.push(`${key} edit: ${r.err}`);
      expected.set(key, `second-${w}-${j}`);
    }
  };
  const writers = [writer(0), writer(1)];
  for (let j = 0; j < M; j++) {
    const key = `WINDOW_CONC_${j}_KEY`;
    await click(b, '[data-testid="add-secret"]');
    await visible(b, '[data-testid="secret-dialog"]');
    await fill(b, "#secret-key-name", key);
    await fill(b, "#secret-value", `window-${j}`);
    await click(b, '[data-testid="secret-dialog-submit"]');
    await (await b.$('[data-testid="secret-dialog"]')).waitForDisplayed({ reverse: true, timeout: 15000 });
    expected.set(key, `window-${j}`);
  }
  await Promise.all(writers);
  assert.deepEqual(failures, [], "a writer was refused or saw the lock");
  await screenshot(b, "secrets-after-concurrent-writers");

  // Every value reads back as last written: the CLI's through the CLI, the window's rows in the window.
  const listed = JSON.parse((await cliResult(["--passphrase-file", pf, "--json", "secret", "list"])).out);
  const names = new Set(listed.items.map((s) => s.key_name));
  let lost = 0;
  for (const [key, value] of expected) {
    const r = await cliResult(["--passphrase-file", pf, "secret", "reveal", key]);
    if (!names.has(key) || r.out.trim() !== value) lost++;
  }
  assert.equal(lost, 0, `${lost} of ${expected.size} updates lost`);
  await click(b, '[data-testid="nav-settings"]');
  await click(b, '[data-testid="nav-secrets"]');
  for (let j = 0; j < M; j++) await row(b, `WINDOW_CONC_${j}_KEY`);
  await row(b, "CLI1_CONC_5_KEY");
  console.log(`concurrency (e2e): 1 window × ${M} adds + 2 CLI processes × ${2 * M} writes; ${expected.size} values expected, ${lost} lost`);
});
