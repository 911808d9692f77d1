// Browser automation in the real window, against a fake provider
// dashboard this test serves on 127.0.0.1 (usage page with its own
// selectors, billing page; the key's endpoint points there). The runtime
// is set up first (`keyclave automation setup --yes`: a venv with the
// pinned Playwright from PyPI, driving Debian's Chromium). A
// dashboard_scrape run stops at the `account` checkpoint, is approved, and
// its figures reach the dashboard; a billing_restriction run stops at
// `financial`, whose Approve waits for a TOTP code (a recovery code here),
// is modified from $50 to $20 → the page receives 20; another is rejected →
// aborted, and the page receives nothing.
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, screenshot, tempHome, textOf, unlockAs, visible, totpCode, textNow } from "./harness.mjs";

const PASS = "browser automation passphrase";
let app;
let home;
let pf;
let server;
let scrapeId;
let billingId;
let rotateId;
let recovery = [];
const limits = [];


const USAGE = `<html><body><h1>Usage</h1>
<p>Spend this month: <span id="spend">$5.10</span> of <span id="budget">$50.00</span></p></body></html>`;
const KEYS = `<html><body><h1>API keys</h1><p>Old key: sk-...old</p>
<button id="create-key" onclick="document.getElementById('new-key').textContent = ['sk', 'proj', 'E2eRotatedInWindow', '0123456789abcdefABCD'].join('-')">Create key</button>
<code id="new-key"></code>
<button id="revoke-old-key" onclick="fetch('/revoke', {method: 'POST'})">Revoke old key</button>
</body></html>`;
const ROTATED = "sk-proj-E2eRotatedInWindow-0123456789abcdefABCD";
const revoked = [];
const BILLING = `<html><body><h1>Billing</h1>
<label>Monthly limit <input id="monthly-limit"></label>
<button id="save-limit" onclick="fetch('/limit', {method: 'POST', body: document.getElementById('monthly-limit').value})">Save limit</button>
</body></html>`;

before(async () => {
  server = await new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        if (req.method === "POST" && req.url === "/revoke") {
          revoked.push(req.url);
          res.writeHead(200, { "content-type": "text/plain" });
          return res.end("revoked");
        }
        if (req.url.startsWith("/api-keys")) {
          res.writeHead(200, { "content-type": "text/html" });
          return res.end(KEYS);
        }
        if (req.method === "POST" && req.url === "/limit") {
          limits.push(body);
          res.writeHead(200, { "content-type": "text/plain" });
          return res.end("saved");
        }
        res.writeHead(200, { "content-type": "text/html" });
        res.end(req.url.startsWith("/billing") ? BILLING : USAGE);
      });
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
  const site = `http://127.0.0.1:${server.address().port}`;
  home = tempHome();
  pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`, { mode: 0o600 });
  const as = ["--passphrase-file", pf];
  await cli(home, [...as, "profile", "create", "Browse", "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
  await cli(home, [...as, "secret", "add", "OPENAI_API_KEY", "--endpoint", site], "sk-proj-E2eBrowserKey0123456789abcdefABCDEF");
  const enrolled = JSON.parse(await cli(home, [...as, "--json", "totp", "enroll"]));
  recovery = JSON.parse(await cli(home, [...as, "--json", "totp", "confirm", totpCode(enrolled.secret_base32)])).recovery_codes;
  // The fake dashboard's own selectors.
  await cli(home, [...as, "selectors", "set", "openai", "credits_used", "css", "#spend"]);
  await cli(home, [...as, "selectors", "set", "openai", "credits_limit", "css", "#budget"]);
  await cli(home, ["automation", "setup", "--yes"]);
  await cli(home, [...as, "settings", "set", "online-mode", "on"]);
  const make = async (task, template, url, title) =>
    (await cli(home, [...as, "automation", "new", "--provider", "openai", "--task", task, "--template", template, "--url", url, "--title", title])).trim();
  scrapeId = await make("dashboard_scrape", "dashboard-scrape", `${site}/usage`, "Read usage");
  billingId = await make("billing_restriction", "set-monthly-limit", `${site}/billing`, "Set monthly limit");
  rotateId = await make("api_key_management", "rotate-key", `${site}/api-keys`, "Rotate OpenAI key");
  for (const id of [scrapeId, billingId, rotateId]) await cli(home, [...as, "automation", "approve", id, "--repeat"]);
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  server?.close();
  removeHome(home);
});

async function dialogShows(b, kind) {
  // Poll the text only: the dialog element is replaced between two
  // checkpoints, and a handle to the old one goes stale.
  await b.waitUntil(
    async () => (await textNow(b, '[data-testid="approval-kind"]')) === kind,
    { timeout: 60000, timeoutMsg: `the dialog shows a ${kind} checkpoint` },
  );
}

async function dialogGone(b) {
  await b.waitUntil(async () => !(await b.$('[data-testid="approval-dialog"]').isExisting()), { timeout: 10000 });
}

async function runsInclude(b, word, count) {
  await b.waitUntil(
    async () => ((await textNow(b, '[data-testid="automation-runs"]')).match(new RegExp(word, "g")) ?? []).length >= count,
    { timeout: 90000, timeoutMsg: `a run ended ${word}` },
  );
}

test("a scrape reaches the dashboard; a limit is modified with a TOTP code; a rejected limit sends nothing", async () => {
  const b = app.browser;
  await unlockAs(b, "Browse", PASS);
  await click(b, '[data-testid="nav-automation"]');

  // dashboard_scrape: the login checkpoint, then the figures.
  await click(b, `[data-testid="script-${scrapeId}"]`);
  await visible(b, '[data-testid="automation-source"]', 20000);
  await screenshot(b, "scrape-review");
  await click(b, '[data-testid="automation-headless"]');
  await click(b, '[data-testid="automation-run"]');
  await dialogShows(b, "Account");
  await screenshot(b, "dialog-account-login");
  await click(b, '[data-testid="approval-approve"]');
  await dialogGone(b);
  await runsInclude(b, "success", 1);
  await click(b, '[data-testid="nav-dashboard"]');
  await visible(b, '[data-testid="dashboard-table"]', 20000);
  await b.waitUntil(async () => (await textNow(b, '[data-testid="dashboard-table"]')).includes("10%"), {
    timeout: 20000,
    timeoutMsg: "the dashboard shows the scraped usage ($5.10 of $50.00)",
  });
  await screenshot(b, "dashboard-scraped-usage");

  // billing_restriction: financial, TOTP, modified to $20.
  await click(b, '[data-testid="nav-automation"]');
  await click(b, `[data-testid="script-${billingId}"]`);
  await visible(b, '[data-testid="automation-source"]', 20000);
  await click(b, '[data-testid="automation-headless"]');
  await click(b, '[data-testid="automation-run"]');
  await dialogShows(b, "Financial");
  await fill(b, '[data-testid="approval-modify"]', "$20");
  assert.equal(await b.$('[data-testid="approval-approve"]').isEnabled(), false, "Approve waits for the code");
  await visible(b, '[data-testid="approval-blocker"]');
  await fill(b, '[data-testid="approval-totp"]', recovery[0]);
  await screenshot(b, "dialog-financial-totp");
  await click(b, '[data-testid="approval-approve"]');
  await dialogGone(b);
  await b.waitUntil(async () => limits.length === 1, { timeout: 60000, timeoutMsg: "the billing page got the limit" });
  assert.deepEqual(limits, ["20"]);
  await runsInclude(b, "success", 1);

  // Another run, rejected: nothing reaches the page.
  await click(b, '[data-testid="automation-run"]');
  await dialogShows(b, "Financial");
  await click(b, '[data-testid="approval-reject"]');
  await dialogGone(b);
  await runsInclude(b, "aborted", 1);
  assert.deepEqual(limits, ["20"], "the rejected run sent nothing");
  await screenshot(b, "billing-runs");

  // api_key_management: the new key lands in the vault, then the old one
  // is revoked after its own (irreversible) checkpoint.
  await click(b, '[data-testid="nav-automation"]');
  await click(b, `[data-testid="script-${rotateId}"]`);
  await visible(b, '[data-testid="automation-source"]', 20000);
  await click(b, '[data-testid="automation-headless"]');
  await click(b, '[data-testid="automation-run"]');
  await dialogShows(b, "API key");
  await screenshot(b, "dialog-api-key");
  await click(b, '[data-testid="approval-approve"]');
  await dialogShows(b, "Irreversible");
  await screenshot(b, "dialog-irreversible-revoke");
  await click(b, '[data-testid="approval-approve"]');
  await dialogGone(b);
  await b.waitUntil(async () => revoked.length === 1, { timeout: 60000, timeoutMsg: "the old key was revoked" });
  await runsInclude(b, "success", 1);
  const value = await cli(home, ["--passphrase-file", pf, "secret", "reveal", "OPENAI_API_KEY"]);
  assert.equal(value.trim(), ROTATED, "the new key is in the vault");
  const rotation = JSON.parse(await cli(home, ["--passphrase-file", pf, "--json", "automation", "history", rotateId]));
  const rotationDetails = await cli(home, ["--passphrase-file", pf, "--json", "automation", "history", "--run", rotation[0].id]);
  assert.ok(!rotationDetails.includes("E2eRotatedInWindow"), "the new key is in no event");
  const audit = await cli(home, ["--passphrase-file", pf, "--json", "audit", "--limit", "200"]);
  assert.ok(!audit.includes("E2eRotatedInWindow"), "nor in the audit log");

  const history = JSON.parse(await cli(home, ["--passphrase-file", pf, "--json", "automation", "history", billingId]));
  assert.deepEqual(history.map((r) => r.status), ["aborted", "success"]);
  const details = JSON.parse(await cli(home, ["--passphrase-file", pf, "--json", "automation", "history", "--run", history[1].id]));
  const financial = details.checkpoints.find((c) => c.checkpoint_type === "financial");
  assert.equal(financial.decision, "modified");
  assert.equal(financial.modified_action, "$20");
  assert.equal(financial.decided_by_totp, true);
});
