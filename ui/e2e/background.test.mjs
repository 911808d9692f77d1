// Work beside the user, in the real window: a scan of a 20,000-file tree
// runs as a background job while the user searches the secrets and reveals
// one (each answer painted while the scan still runs, timed in the page),
// the status bar shows the scan, and Ctrl+L locks during it — the scan
// stops and leaves nothing behind. Then, with "code required to reveal" on,
// copying a value and writing a .env ask for a two-factor code first.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, repo, row, screenshot, tempHome, textOf, unlockAs, visible, totpCode } from "./harness.mjs";

const PASS = "background passphrase for tests";
const STRIPE = "sk_test_E2eBackgroundStripe01234";
const GH = "ghp_E2eBackgroundGithub0123456789ab";

let app;
let home;
let tree;
let project;
let recovery = [];


before(async () => {
  home = tempHome();
  const pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  const cheap = ["--kdf-memory-kib", "256", "--kdf-iterations", "1"];
  const lines = [`STRIPE_SECRET_KEY=${STRIPE}`, `GITHUB_TOKEN=${GH}`];
  for (let i = 0; i < 60; i++) lines.push(`SERVICE_${String(i).padStart(2, "0")}_TOKEN=tok-${i}-e2ebackground`);
  for (const name of ["Busy", "Guarded"]) {
    await cli(home, ["--passphrase-file", pf, "profile", "create", name, ...cheap]);
    await cli(home, ["--passphrase-file", pf, "--profile", name, "import", "-", "--format", "dotenv"], `${PASS}\n${lines.join("\n")}\n`);
  }
  // Guarded: TOTP on, and a code required to reveal (so also to copy and
  // to write a .env); the window uses recovery codes.
  const g = ["--passphrase-file", pf, "--profile", "Guarded", "--json"];
  const enrolled = JSON.parse(await cli(home, [...g, "totp", "enroll"]));
  const confirmed = JSON.parse(await cli(home, [...g, "totp", "confirm", totpCode(enrolled.secret_base32)]));
  recovery = confirmed.recovery_codes;
  await cli(home, [...g, "totp", "policy", "--reveal", "on", "--code", recovery.shift()]);

  // The scan benchmark's tree: 20,000 Markdown files, ~200 MB.
  tree = path.join(home, "big-tree");
  const gen = spawnSync("python3", [path.join(repo, "scripts", "gen-md-tree.py"), tree, "20000", "10000"], { stdio: "ignore" });
  assert.equal(gen.status, 0, "the tree was generated");
  project = path.join(home, "guarded-project");
  mkdirSync(project);
  writeFileSync(path.join(project, ".env"), "PORT=8080\n");
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  removeHome(home);
});

async function unlock(b, profile) {
  await unlockAs(b, profile, PASS);
}

async function scanRunning(b) {
  return (await b.$('[data-testid="status-jobs"] [data-job-kind="scan"]').isExisting());
}

test("search and reveal answer during a 20,000-file scan, and Ctrl+L stops it", async () => {
  const b = app.browser;
  await unlock(b, "Busy");
  await click(b, '[data-testid="nav-projects"]');
  await fill(b, '[data-testid="projects-dir"]', tree);
  await click(b, '[data-testid="projects-scan"]');
  await visible(b, '[data-testid="projects-progress"]');
  try {
    await b.waitUntil(() => scanRunning(b), { timeout: 10000, timeoutMsg: "the status bar shows no scan" });
  } catch (e) {
    await screenshot(b, "no-scan-in-status-bar");
    throw e;
  }
  await b.waitUntil(async () => /\d+ docs?:/.test(await textOf(b, '[data-testid="projects-progress"]')), { timeout: 10000 });
  await screenshot(b, "scan-progress");

  // While it runs: go to the secrets and search.
  await click(b, '[data-testid="nav-secrets"]');
  await row(b, "STRIPE_SECRET_KEY");
  // Time in the page, from the keystroke's input event to the frame that
  // shows only the match (the search box debounces typing by 120 ms).
  await b.execute(() => {
    const w = window;
    w.__search = null;
    const input = document.getElementById("secret-search");
    input.addEventListener("input", () => {
      const typed = performance.now();
      const check = () => {
        const rows = document.querySelectorAll('[data-testid="secret-row"]');
        if (rows.length === 1 && rows[0].dataset.keyName === "STRIPE_SECRET_KEY") {
          requestAnimationFrame(() => (w.__search = performance.now() - typed));
        } else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    }, { once: false });
  });
  await fill(b, "#secret-search", "stripe");
  await b.waitUntil(() => b.execute(() => window.__search !== null), { timeout: 10000, timeoutMsg: "the search never painted" });
  const searchMs = await b.execute(() => window.__search);
  assert.ok(await scanRunning(b), "the search answered while the scan still ran");
  await screenshot(b, "search-during-scan");

  // Reveal it: from the click to the frame showing the value.
  await b.execute(() => {
    const w = window;
    w.__reveal = null;
    const r = document.querySelector('[data-testid="secret-row"][data-key-name="STRIPE_SECRET_KEY"]');
    const button = r.querySelector('[data-testid="reveal-button"]');
    button.addEventListener("click", () => {
      const clicked = performance.now();
      const check = () => {
        if (r.querySelector('[data-testid="secret-value"]').dataset.revealed === "true") {
          requestAnimationFrame(() => (w.__reveal = performance.now() - clicked));
        } else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    }, { once: true });
  });
  await click(b, '[data-testid="secret-row"][data-key-name="STRIPE_SECRET_KEY"] [data-testid="reveal-button"]');
  await b.waitUntil(() => b.execute(() => window.__reveal !== null), { timeout: 10000, timeoutMsg: "the value never painted" });
  const revealMs = await b.execute(() => window.__reveal);
  assert.equal(await textOf(b, '[data-testid="secret-row"][data-key-name="STRIPE_SECRET_KEY"] [data-testid="secret-value"]'), STRIPE);
  assert.ok(await scanRunning(b), "the reveal answered while the scan still ran");
  // Open it too (the edit dialog), then close it.
  await click(b, '[data-testid="secret-row"][data-key-name="STRIPE_SECRET_KEY"] [data-testid="edit-button"]');
  await visible(b, '[data-testid="secret-dialog-submit"]');
  await screenshot(b, "open-during-scan");
  await b.keys(["Escape"]);
  assert.ok(await scanRunning(b), "the scan still runs");
  console.log(`# during the scan: search painted ${searchMs.toFixed(0)} ms after typing (120 ms of it debounce), reveal ${revealMs.toFixed(0)} ms after the click`);

  // Lock with Ctrl+L during the scan.
  const lockStart = Date.now();
  await b.keys(["Control", "l"]);
  await visible(b, '[data-testid="unlock-screen"]');
  const lockMs = Date.now() - lockStart;
  console.log(`# Ctrl+L during the scan: unlock screen after ${lockMs} ms (WebDriver round trips included)`);
  assert.ok(!(await b.getPageSource()).includes(STRIPE), "nothing of the vault stays in the page");
  assert.ok(!(await b.$('[data-testid="status-jobs"]').isExisting()), "no job is shown once locked");
  await screenshot(b, "locked-during-scan");

  // Unlock again: the scan stopped with the lock and registered nothing.
  await unlock(b, "Busy");
  await click(b, '[data-testid="nav-projects"]');
  await visible(b, '[data-testid="projects-dir"]');
  await b.pause(500);
  assert.ok(!(await b.$('[data-testid="projects-list"]').isExisting()) || !(await textOf(b, '[data-testid="projects-list"]')).includes("big-tree"), "the interrupted scan left a project behind");
  assert.ok(!(await scanRunning(b)));
  await screenshot(b, "after-unlock-no-project");
  await b.keys(["Control", "l"]);
  await visible(b, '[data-testid="unlock-screen"]');
});

test("with a code required to reveal, copy and writing a .env ask for it", async () => {
  const b = app.browser;
  await unlock(b, "Guarded");
  await click(b, '[data-testid="secret-row"][data-key-name="GITHUB_TOKEN"] [data-testid="copy-button"]');
  await visible(b, '[data-testid="code-prompt"]');
  await screenshot(b, "copy-asks-for-a-code");
  await fill(b, "#code-prompt-input", recovery.shift());
  await click(b, '[data-testid="code-prompt"] button[type="submit"]');
  await b.waitUntil(async () => !(await b.$('[data-testid="code-prompt"]').isExisting()), { timeout: 10000, timeoutMsg: "the code was not accepted" });
  await b.waitUntil(async () => /Copied/.test(await b.getPageSource()), { timeout: 10000 });
  // The copy warning sits over the bottom right for 6 s; close it as a person would.
  await click(b, '[data-testid="toast"] button[aria-label="Dismiss notification"]');

  // .env: preview needs no code (values masked); writing asks for one.
  await click(b, '[data-testid="nav-dotenv"]');
  await fill(b, '[data-testid="dotenv-dir"]', project);
  await click(b, '[data-testid="dotenv-keys"] [data-testid="pick-GITHUB_TOKEN"]');
  await click(b, '[data-testid="dotenv-preview"]');
  assert.match(await textOf(b, '[data-testid="dotenv-diff"]'), /\+GITHUB_TOKEN=/);
  await click(b, '[data-testid="dotenv-apply"]');
  await visible(b, '[data-testid="code-prompt"]');
  assert.equal(readFileSync(path.join(project, ".env"), "utf8"), "PORT=8080\n", "nothing written without a code");
  await screenshot(b, "dotenv-asks-for-a-code");
  await fill(b, "#code-prompt-input", "000000");
  await click(b, '[data-testid="code-prompt"] button[type="submit"]');
  await visible(b, '[data-testid="code-prompt"] [data-testid="form-error"]');
  await fill(b, "#code-prompt-input", recovery.shift());
  await click(b, '[data-testid="code-prompt"] button[type="submit"]');
  await visible(b, '[data-testid="dotenv-backups"] li');
  const written = readFileSync(path.join(project, ".env"), "utf8");
  assert.ok(written.includes(`GITHUB_TOKEN=${GH}`), written);
  assert.ok(!(await b.getPageSource()).includes(GH), "the value never entered the page");
  await screenshot(b, "dotenv-written-with-code");
  assert.ok(existsSync(project));
});
