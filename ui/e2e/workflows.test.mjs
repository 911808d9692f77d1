// The everyday key workflows in the real window: import pasted keys (with
// a line that cannot be read), scan a project's Markdown (requirements with
// citations, a recommendation, one requirement rejected), write the
// project's .env from what it needs (masked preview, apply, backup), export
// a bundle, and import it into a second profile.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, row, screenshot, tempHome, textOf, unlockAs, visible } from "./harness.mjs";

const PASS = "workflow passphrase for tests";
const BUNDLE_PASS = "bundle password 42";
const KEYS = {
  GITHUB_TOKEN: "ghp_E2eWorkflowGithub0123456789abcdef",
  OPENAI_API_KEY: "sk-proj-E2eWorkflowOpenai0123456789",
  STRIPE_SECRET_KEY: "sk_test_E2eWorkflowStripe012345",
};

let app;
let home;
let project;

before(async () => {
  home = tempHome();
  const pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  const cheap = ["--kdf-memory-kib", "256", "--kdf-iterations", "1"];
  await cli(home, ["--passphrase-file", pf, "profile", "create", "Alpha", ...cheap]);
  await cli(home, ["--passphrase-file", pf, "profile", "create", "Beta", ...cheap]);
  project = path.join(home, "project");
  mkdirSync(project);
  writeFileSync(path.join(project, ".env"), "# local settings\nPORT=3000\nGITHUB_TOKEN=stale-value\n");
  writeFileSync(
    path.join(project, "README.md"),
    [
      "# Demo app",
      "",
      "Summaries come from the OpenAI API.",
      "",
      "```sh",
      "export OPENAI_API_KEY=...",
      "```",
      "",
      "Releases are published with `GITHUB_TOKEN`.",
      "Stripe billing is planned, not built.",
      "Password resets require transactional email.",
      "",
    ].join("\n"),
  );
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  removeHome(home);
});

async function unlock(b, profile) {
  await unlockAs(b, profile, PASS);
}

async function pageHasNoValue(b) {
  const html = await b.getPageSource();
  for (const [k, v] of Object.entries(KEYS)) assert.ok(!html.includes(v), `${k}'s value is in the DOM`);
  assert.ok(!html.includes("stale-value"), "the file's old value is in the DOM");
  assert.ok(!html.includes(BUNDLE_PASS), "the bundle password is in the DOM");
}

test("import, scan a project, .env from what it needs, then a bundle into a second profile", async () => {
  const b = app.browser;
  await unlock(b, "Alpha");
  await visible(b, '[data-testid="empty-state"]');

  // Import: paste dotenv text with a comment, an export line, a quoted
  // value and a line that is not an assignment.
  await click(b, '[data-testid="nav-import"]');
  await visible(b, '[data-testid="import-text"]');
  const pasted = [
    "# keys from the old laptop",
    `export GITHUB_TOKEN=${KEYS.GITHUB_TOKEN}`,
    `OPENAI_API_KEY="${KEYS.OPENAI_API_KEY}"`,
    "this line is not an assignment",
    `STRIPE_SECRET_KEY=${KEYS.STRIPE_SECRET_KEY} # test mode`,
  ].join("\n");
  // A paste: WebKitWebDriver's typing drops newlines in a textarea.
  await b.execute((text) => {
    const el = document.querySelector('[data-testid="import-text"]');
    el.value = text;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, pasted);
  await click(b, '[data-testid="import-preview"]');
  await b.waitUntil(async () => (await b.$('[data-testid="import-entries"]').isExisting()) || (await b.$('[data-testid="form-error"]').isExisting()), { timeout: 10000 });
  if (await b.$('[data-testid="form-error"]').isExisting()) {
    await screenshot(b, "import-error");
    assert.fail(`import preview failed: ${await textOf(b, '[data-testid="form-error"]')}`);
  }
  const entries = await textOf(b, '[data-testid="import-entries"]');
  for (const k of Object.keys(KEYS)) assert.match(entries, new RegExp(k));
  assert.match(await textOf(b, '[data-testid="import-skipped"]'), /Line 4/);
  assert.ok(!(await textOf(b, '[data-testid="import-preview-panel"]')).includes(KEYS.OPENAI_API_KEY));
  await screenshot(b, "import-preview");
  await click(b, '[data-testid="import-submit"]');
  await b.waitUntil(async () => (await b.getPageSource()).includes("3 added"), { timeout: 10000 });
  await pageHasNoValue(b);
  await click(b, '[data-testid="nav-secrets"]');
  await row(b, "GITHUB_TOKEN");
  await row(b, "STRIPE_SECRET_KEY");

  // Projects: scan the folder's docs.
  await click(b, '[data-testid="nav-projects"]');
  await fill(b, '[data-testid="projects-dir"]', project);
  await click(b, '[data-testid="projects-scan"]');
  await b.waitUntil(async () => (await b.$('[data-testid="requirement-openai"]').isExisting()) || (await b.$('[data-testid="form-error"]').isExisting()), { timeout: 30000 });
  if (await b.$('[data-testid="form-error"]').isExisting()) {
    await screenshot(b, "scan-error");
    assert.fail(`scan failed: ${await textOf(b, '[data-testid="form-error"]')}`);
  }
  assert.match(await textOf(b, '[data-testid="projects-summary"]'), /1 doc: 1 read/);
  const openai = await textOf(b, '[data-testid="requirement-openai"]');
  assert.match(openai, /OPENAI_API_KEY\s*In vault/);
  assert.match(openai, /README\.md:5–7/, "the fenced block is cited");
  assert.match(await textOf(b, '[data-testid="requirement-github"]'), /GITHUB_TOKEN\s*In \.env/);
  assert.match(await textOf(b, '[data-testid="recommendation-transactional_email"]'), /Postmark/);
  // Required (its env var is set in code), and the strongest citation, the
  // fenced block, comes first and opens its excerpt (values redacted).
  assert.equal(await textOf(b, '[data-testid="necessity-openai"]'), "Required");
  assert.equal(await textOf(b, '[data-testid="necessity-stripe"]'), "Mentioned");
  await click(b, '[data-testid="requirement-openai"] .citations li:nth-child(1) button');
  assert.match(await textOf(b, '[data-testid="requirement-openai"] .excerpt'), /export OPENAI_API_KEY=/);
  await pageHasNoValue(b);
  await screenshot(b, "projects-scanned");
  // Stripe is only named: not needed.
  await click(b, '[data-testid="reject-stripe"]');
  await b.waitUntil(async () => /Rejected/.test(await textOf(b, '[data-testid="requirement-stripe"]')), { timeout: 10000 });
  await screenshot(b, "projects-reviewed");

  // .env: write what the project needs (no key picked), overwriting the stale value.
  await click(b, '[data-testid="projects-write-env"]');
  assert.equal(await (await visible(b, '[data-testid="dotenv-dir"]')).getValue(), project);
  await (await visible(b, '[data-testid="dotenv-decision"]')).selectByAttribute("value", "overwrite");
  await click(b, '[data-testid="dotenv-preview"]');
  const diff = await textOf(b, '[data-testid="dotenv-diff"]');
  assert.match(diff, /\+OPENAI_API_KEY=/);
  assert.match(diff, /-GITHUB_TOKEN=/);
  assert.match(await textOf(b, '[data-testid="dotenv-preview-panel"] h2'), /1 added, 1 updated/);
  await pageHasNoValue(b);
  await screenshot(b, "dotenv-preview");
  await click(b, '[data-testid="dotenv-apply"]');
  await visible(b, '[data-testid="dotenv-backups"] li');
  const written = readFileSync(path.join(project, ".env"), "utf8");
  assert.ok(written.startsWith(`# local settings\nPORT=3000\nGITHUB_TOKEN=${KEYS.GITHUB_TOKEN}\n`), written);
  assert.ok(written.includes(`OPENAI_API_KEY=${KEYS.OPENAI_API_KEY}\n`), written);
  assert.ok(!written.includes("STRIPE_SECRET_KEY"), `rejected requirement written: ${written}`);
  assert.equal(readdirSync(project).filter((f) => f.startsWith(".env.keyclave-backup-")).length, 1);
  await pageHasNoValue(b);
  await screenshot(b, "dotenv-written");

  // Bundle: export two keys with a password.
  const bundle = path.join(home, "handover.kcbundle");
  await click(b, '[data-testid="nav-bundles"]');
  await click(b, '[data-testid="bundle-keys"] [data-testid="pick-OPENAI_API_KEY"]');
  await click(b, '[data-testid="bundle-keys"] [data-testid="pick-STRIPE_SECRET_KEY"]');
  await fill(b, '[data-testid="bundle-out"]', bundle);
  await fill(b, "#bundle-password", BUNDLE_PASS);
  await fill(b, "#bundle-password-confirm", BUNDLE_PASS);
  await screenshot(b, "bundle-export");
  await click(b, '[data-testid="bundle-export-submit"]');
  await b.waitUntil(() => existsSync(bundle), { timeout: 30000, timeoutMsg: "the bundle was not written" });
  await b.waitUntil(async () => (await b.getPageSource()).includes("Exported 2 secrets"), { timeout: 10000 });
  assert.ok(!readFileSync(bundle).includes(Buffer.from(KEYS.OPENAI_API_KEY)), "the bundle holds a plaintext value");

  // Second profile: read the header, preview, import.
  await b.keys(["Control", "l"]);
  await visible(b, '[data-testid="unlock-screen"]');
  await unlock(b, "Beta");
  await visible(b, '[data-testid="empty-state"]');
  await click(b, '[data-testid="nav-bundles"]');
  // An empty profile opens on Import.
  await fill(b, '[data-testid="bundle-in"]', bundle);
  await click(b, '[data-testid="bundle-inspect"]');
  assert.match(await textOf(b, '[data-testid="bundle-header"]'), /Secrets\s*2/);
  await fill(b, "#bundle-in-password", "not the password");
  await click(b, '[data-testid="bundle-preview"]');
  await b.waitUntil(async () => (await textOf(b, '[data-testid="form-error"]')).length > 0, { timeout: 30000 });
  assert.equal(await (await b.$('[data-testid="form-error"]')).getAttribute("data-code"), "import.bundle_wrong_password_or_tampered");
  await screenshot(b, "bundle-wrong-password");
  await fill(b, "#bundle-in-password", BUNDLE_PASS);
  await click(b, '[data-testid="bundle-preview"]');
  const bundled = await textOf(b, '[data-testid="bundle-entries"]');
  assert.match(bundled, /OPENAI_API_KEY/);
  assert.match(bundled, /STRIPE_SECRET_KEY/);
  await screenshot(b, "bundle-import-preview");
  await click(b, '[data-testid="bundle-import-submit"]');
  await b.waitUntil(async () => (await b.getPageSource()).includes("2 added"), { timeout: 30000 });
  await pageHasNoValue(b);

  await click(b, '[data-testid="nav-secrets"]');
  await row(b, "OPENAI_API_KEY");
  await row(b, "STRIPE_SECRET_KEY");
  assert.equal((await b.$$('[data-testid="secret-row"]')).length, 2);
  await screenshot(b, "second-profile-imported");
});
