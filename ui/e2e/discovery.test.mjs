// Alerts in the real window, against fake sources this test starts on
// 127.0.0.1 (added as the user's own sources; the built-in ones of the
// provider are switched off, so nothing leaves the machine): with the
// Discovery network off nothing is fetched; turning it on lists the hosts;
// "Check now" shows the findings by urgency; one is marked reviewed with a
// note and one dismissed, and the CLI sees both.
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, screenshot, tempHome, textOf, unlockAs, visible } from "./harness.mjs";

const PASS = "discovery passphrase for tests";
const KEY = "sk-e2eDiscoveryNeverSent000000000000000";

let app;
let home;
let pf;
let server;
const seen = [];

const base = () => `http://127.0.0.1:${server.address().port}`;

function inDays(n) {
  const d = new Date(Date.now() + n * 86_400_000);
  return d.toISOString().slice(0, 10);
}

before(async () => {
  server = await new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      seen.push(req.url);
      const now = new Date().toISOString();
      if (req.url === "/api/v2/summary.json") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            page: { name: "OpenAI" },
            incidents: [
              {
                id: "e2e1",
                name: "Elevated error rates on the Responses API",
                status: "identified",
                impact: "major",
                shortlink: `${base()}/incidents/e2e1`,
                created_at: now,
                updated_at: now,
                components: [{ name: "API" }],
                incident_updates: [{ body: "We have identified the cause of elevated 5xx errors and are rolling out a fix." }],
              },
            ],
          }),
        );
      } else if (req.url === "/changelog.atom") {
        res.writeHead(200, { "content-type": "application/atom+xml" });
        res.end(`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Changelog</title><id>urn:e2e</id><updated>${now}</updated>
<entry><title>Deprecation of the Assistants API v1</title><link href="${base()}/changelog/assistants-v1"/><id>urn:e2e:1</id><updated>${now}</updated>
<summary>The Assistants API v1 will be shut down on ${inDays(40)}. Migrate to the Responses API.</summary></entry>
<entry><title>New pricing for batch embeddings</title><link href="${base()}/changelog/batch-pricing?utm_source=rss"/><id>urn:e2e:2</id><updated>${now}</updated>
<summary>Batch embeddings now cost $0.01 per 1M tokens.</summary></entry>
</feed>`);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
  home = tempHome();
  pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  const as = ["--passphrase-file", pf, "--profile", "Alerts"];
  await cli(home, ["--passphrase-file", pf, "profile", "create", "Alerts", "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
  await cli(home, [...as, "secret", "add", "OPENAI_API_KEY", "--env", "prod"], KEY);
  const sources = JSON.parse(await cli(home, [...as, "--json", "discovery", "source", "list"]));
  for (const s of sources.filter((s) => s.builtin)) await cli(home, [...as, "discovery", "source", "disable", s.id]);
  await cli(home, [...as, "discovery", "source", "add", "openai", `${base()}/api/v2/summary.json`, "--kind", "statuspage"]);
  await cli(home, [...as, "discovery", "source", "add", "openai", `${base()}/changelog.atom`, "--kind", "feed"]);
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  server?.close();
  removeHome(home);
});

test("switch on, check now, findings by urgency, mark one reviewed with a note, dismiss one", async () => {
  const b = app.browser;
  await unlockAs(b, "Alerts", PASS);
  await click(b, '[data-testid="nav-alerts"]');
  await visible(b, '[data-testid="discovery-off"]');
  assert.equal(await b.$('[data-testid="discovery-check"]').isEnabled(), false, "off: no check");
  await screenshot(b, "alerts-off");
  assert.equal(seen.length, 0, "nothing was fetched while the switch was off");

  // The switch lists exactly the hosts it will contact.
  await click(b, '[data-testid="discovery-switch"]');
  const hosts = await textOf(b, '[data-testid="discovery-hosts"]');
  assert.ok(hosts.includes(`127.0.0.1:${server.address().port}`), hosts);
  assert.ok(!hosts.includes("status.openai.com"), `the disabled built-in sources are not listed: ${hosts}`);
  await screenshot(b, "discovery-hosts");
  await click(b, '[data-testid="discovery-confirm"]');
  await b.waitUntil(async () => (await b.$('[data-testid="discovery-switch"]').getAttribute("aria-checked")) === "true", { timeout: 5000 });
  assert.equal(seen.length, 0, "turning it on fetches nothing by itself");

  await click(b, '[data-testid="discovery-check"]');
  await b.waitUntil(async () => (await b.$$('[data-testid="finding"]')).length === 3, { timeout: 20000, timeoutMsg: "three findings did not show" });
  assert.equal(seen.length, 2, "one fetch per source");
  const urgencies = await b.execute(() => [...document.querySelectorAll('[data-testid="finding"]')].map((e) => e.getAttribute("data-urgency")));
  assert.deepEqual(urgencies, ["critical", "advisory", "advisory"], "most urgent first");
  const first = await textOf(b, '[data-testid="finding"]');
  assert.ok(first.includes("Critical") && first.includes("Elevated error rates") && first.includes("prod key"), first);
  assert.equal(await textOf(b, '[data-testid="alerts-badge"]'), "3");
  await screenshot(b, "alerts-findings");

  // Mark the outage reviewed with a note.
  await click(b, '[data-testid="finding"][data-urgency="critical"] [data-testid="mark-reviewed"]');
  await visible(b, '[data-testid="mark-dialog"]');
  await fill(b, '[data-testid="mark-note"]', "Retries with backoff are on; watching");
  await screenshot(b, "mark-dialog");
  await click(b, '[data-testid="mark-confirm"]');
  await b.waitUntil(async () => (await b.$$('[data-testid="finding"][data-status="reviewed"]')).length === 1, { timeout: 5000 });
  const reviewed = await textOf(b, '[data-testid="finding"][data-status="reviewed"]');
  assert.ok(reviewed.includes("Retries with backoff are on") && reviewed.includes("Reviewed"), reviewed);
  assert.equal(await textOf(b, '[data-testid="alerts-badge"]'), "2");

  // Dismiss the pricing one (keyboard: Enter on its button).
  const pricing = await b.execute(() => {
    const cards = [...document.querySelectorAll('[data-testid="finding"]')];
    const i = cards.findIndex((c) => c.textContent.includes("batch embeddings"));
    cards[i].querySelector('[data-testid="mark-dismissed"]').focus();
    return i;
  });
  assert.ok(pricing >= 0);
  await b.keys(["Enter"]);
  await click(b, '[data-testid="mark-confirm"]');
  await b.waitUntil(async () => (await b.$$('[data-testid="finding"]')).length === 2, { timeout: 5000, timeoutMsg: "the dismissed finding is still listed" });
  assert.equal(await textOf(b, '[data-testid="alerts-badge"]'), "1");
  await screenshot(b, "alerts-after-marking");
  await (await b.$('[data-testid="filter-status"]')).selectByAttribute("value", "dismissed");
  await b.waitUntil(async () => (await b.$$('[data-testid="finding"]')).length === 1, { timeout: 5000 });
  assert.ok((await textOf(b, '[data-testid="finding"]')).includes("batch embeddings"));
  await screenshot(b, "alerts-dismissed");

  const page = await b.getPageSource();
  assert.ok(!page.includes(KEY), "a key value is in the page");
  const listed = JSON.parse(await cli(home, ["--passphrase-file", pf, "--profile", "Alerts", "--json", "discovery", "list"]));
  const by = (s) => listed.filter((f) => f.user_status === s);
  assert.equal(by("reviewed")[0].user_notes, "Retries with backoff are on; watching");
  assert.ok(by("dismissed")[0].source_url.endsWith("/changelog/batch-pricing"), "utm_ dropped");
  assert.equal(by("new").length, 1);
});
