// Automation in the real window: a script that sets a monthly spending
// limit on a fake billing page this test serves on 127.0.0.1 (the key's
// endpoint points there, so the proxy lets it through). The run asks first
// (script review), then stops at a financial checkpoint in the global
// approval dialog; Enter does not approve it; the person changes $50 to
// $20 and approves → the page receives 20. A second run is rejected → it
// ends aborted and the page receives nothing.
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, screenshot, tempHome, textOf, unlockAs, visible, textNow } from "./harness.mjs";

const PASS = "automation passphrase for tests";
let app;
let home;
let pf;
let billing;
let scriptId;
const received = [];

before(async () => {
  billing = await new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        if (req.method === "POST") received.push(body);
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("saved");
      });
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
  const page = `http://127.0.0.1:${billing.address().port}`;
  home = tempHome();
  pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`, { mode: 0o600 });
  const as = ["--passphrase-file", pf];
  await cli(home, [...as, "profile", "create", "Auto", "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
  await cli(home, [...as, "secret", "add", "OPENAI_API_KEY", "--endpoint", page], "sk-proj-E2eAutomationKey0123456789abcdefABCD");
  const script = path.join(home, "limit.py");
  writeFileSync(
    script,
    `import keyclave_runtime as kc
import urllib.request

PAGE = "${page}/limit"
amount = "50"
d = kc.checkpoint("financial", "Set the monthly spending limit", "$50", {"page": PAGE, "currency": "USD"})
if not d.approved:
    kc.abort("limit rejected")
if d.modified_action:
    amount = d.modified_action.strip().lstrip("$")
urllib.request.urlopen(urllib.request.Request(PAGE, data=amount.encode(), method="POST"), timeout=10)
kc.result({"monthly_limit": amount})
`,
  );
  scriptId = (
    await cli(home, [...as, "automation", "new", "--provider", "openai", "--task", "billing_restriction", "--from-file", script, "--title", "Set monthly limit"])
  ).trim();
  await cli(home, [...as, "automation", "approve", scriptId]);
  // The script's POST goes through the Online Mode gate.
  await cli(home, [...as, "settings", "set", "online-mode", "on"]);
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  billing?.close();
  removeHome(home);
});

/** Wait until the approval dialog shows a checkpoint of `kind`. */
async function dialogShows(b, kind) {
  // Poll the text only: the dialog element is replaced between two
  // checkpoints, and a handle to the old one goes stale.
  await b.waitUntil(
    async () => (await textNow(b, '[data-testid="approval-kind"]')) === kind,
    { timeout: 30000, timeoutMsg: `the dialog shows a ${kind} checkpoint` },
  );
}

async function dialogGone(b) {
  await b.waitUntil(async () => !(await b.$('[data-testid="approval-dialog"]').isExisting()), { timeout: 10000 });
}

test("a financial checkpoint is modified from $50 to $20 in the dialog, and a rejected run sends nothing", async () => {
  const b = app.browser;
  await unlockAs(b, "Auto", PASS);
  await click(b, '[data-testid="nav-automation"]');
  await click(b, `[data-testid="script-${scriptId}"]`);
  await visible(b, '[data-testid="automation-source"]', 20000);
  assert.match(await textOf(b, '[data-testid="automation-check"]'), /Passes its checks/);
  await screenshot(b, "automation-review");

  await click(b, '[data-testid="automation-run"]');
  await dialogShows(b, "Run script");
  await screenshot(b, "dialog-run-confirmation");
  await click(b, '[data-testid="approval-approve"]');

  await dialogShows(b, "Financial");
  // The figure for the note: checkpoint line handled in core → dialog painted.
  const form = await b.$('[data-testid="approval-dialog"] form');
  await b
    .waitUntil(async () => (await form.getAttribute("data-painted-at")) !== null, { timeout: 5000 })
    .catch(async (e) => {
      console.log(await b.execute(() => document.querySelector('[data-testid="approval-dialog"]')?.outerHTML.slice(0, 400)));
      throw e;
    });
  const latency = Number(await form.getAttribute("data-painted-at")) - Date.parse(await form.getAttribute("data-asked-at"));
  console.log(`bench: checkpoint → dialog painted ${latency} ms`);
  assert.equal(await textOf(b, '[data-testid="approval-proposed"]'), "$50");
  assert.match(await textOf(b, '[data-testid="approval-context"]'), /USD/);
  await fill(b, '[data-testid="approval-modify"]', "$20");
  // Enter in the form never approves a financial step.
  await b.keys(["Enter"]);
  await b.pause(500);
  assert.ok(await b.$('[data-testid="approval-dialog"]').isExisting(), "Enter did not approve");
  assert.deepEqual(received, []);
  await screenshot(b, "dialog-financial-modified");
  await click(b, '[data-testid="approval-approve"]');
  await dialogGone(b);
  await b.waitUntil(async () => received.length === 1, { timeout: 20000, timeoutMsg: "the page got the limit" });
  assert.deepEqual(received, ["20"]);
  await b.waitUntil(async () => (await textNow(b, '[data-testid="automation-runs"]')).includes("success"), { timeout: 20000 });
  await screenshot(b, "automation-run-succeeded");

  // A second run, rejected at the financial step.
  await click(b, '[data-testid="automation-run"]');
  await dialogShows(b, "Run script");
  await click(b, '[data-testid="approval-approve"]');
  await dialogShows(b, "Financial");
  await click(b, '[data-testid="approval-reject"]');
  await dialogGone(b);
  await b.waitUntil(async () => (await textNow(b, '[data-testid="automation-runs"]')).includes("aborted"), { timeout: 20000 });
  assert.deepEqual(received, ["20"], "the rejected run sent nothing");
  await screenshot(b, "automation-run-rejected");

  // An edit is a new version, pending review again: Run is off until then.
  await click(b, '[data-testid="automation-edit"]');
  const editor = await visible(b, '[data-testid="automation-editor"]');
  await editor.addValue('kc.log("version 2")\n');
  await click(b, '[data-testid="automation-save-version"]');
  await b.waitUntil(async () => (await textNow(b, '[data-testid="automation-view"]')).includes("version 2"), { timeout: 20000 });
  assert.equal(await b.$('[data-testid="automation-run"]').isEnabled(), false, "version 2 is not approved");
  await screenshot(b, "automation-edited-version-2");

  const history = JSON.parse(await cli(home, ["--passphrase-file", pf, "--json", "automation", "history", scriptId]));
  assert.deepEqual(history.map((r) => r.status), ["aborted", "success"]);
  assert.equal(history[1].result.monthly_limit, "20");
});
