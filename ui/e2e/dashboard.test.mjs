// The key dashboard in the real window, against fake provider APIs this
// test starts on 127.0.0.1 (each key's endpoint points there): Online Mode
// is off at first and nothing is sent; turning it on lists the hosts it
// will contact; a refresh shows one valid key (scopes, expiry) and one
// invalid; a key's details show its history chart. Then, with a provider
// that answers in 5 s, the window still lists and searches at once during
// the refresh, and Ctrl+L stops it with nothing half-written.
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, screenshot, tempHome, textOf, unlockAs, visible } from "./harness.mjs";

const PASS = "dashboard passphrase for tests";
const GOOD = "ghp_E2eDashboardGood0123456789abcdefgh";
const BAD = "ghp_E2eDashboardRevoked0123456789abcd";
const SLOW = "ghp_E2eDashboardSlow0123456789abcdefg";

let app;
let home;
let pf;
let fast;
let slow;
const seen = [];

function serve(handler) {
  return new Promise((resolve) => {
    const s = http.createServer(handler);
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

const url = (s) => `http://127.0.0.1:${s.address().port}`;

before(async () => {
  const expires = new Date(Date.now() + 9 * 86_400_000).toISOString().slice(0, 19).replace("T", " ") + " UTC";
  fast = await serve((req, res) => {
    seen.push({ path: req.url, auth: req.headers.authorization ?? "" });
    if (req.url === "/user" && req.headers.authorization === `Bearer ${GOOD}`) {
      res.writeHead(200, {
        "content-type": "application/json",
        "x-oauth-scopes": "repo, read:org, gist",
        "github-authentication-token-expiration": expires,
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "3100",
      });
      res.end(JSON.stringify({ login: "octocat", plan: { name: "pro" } }));
    } else {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Bad credentials" }));
    }
  });
  slow = await serve((req, res) => {
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ login: "slowpoke" }));
    }, 5000);
  });
  home = tempHome();
  pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  const cheap = ["--kdf-memory-kib", "256", "--kdf-iterations", "1"];
  const as = (profile) => ["--passphrase-file", pf, "--profile", profile];
  await cli(home, ["--passphrase-file", pf, "profile", "create", "Dash", ...cheap]);
  await cli(home, [...as("Dash"), "secret", "add", "GITHUB_TOKEN", "--env", "prod", "--endpoint", url(fast)], GOOD);
  await cli(home, [...as("Dash"), "secret", "add", "GH_OLD_TOKEN", "--provider", "github", "--endpoint", url(fast)], BAD);
  await cli(home, [...as("Dash"), "secret", "add", "PERPLEXITY_API_KEY"], "pplx-e2edashboard0000000000000");
  await cli(home, ["--passphrase-file", pf, "profile", "create", "Slow", ...cheap]);
  const lines = [];
  for (let i = 0; i < 40; i++) lines.push(`SERVICE_${String(i).padStart(2, "0")}_TOKEN=tok-${i}-e2edashboard`);
  await cli(home, [...as("Slow"), "import", "-", "--format", "dotenv"], `${lines.join("\n")}\n`);
  for (const k of ["GITHUB_TOKEN", "GH_CI_TOKEN", "GH_DEPLOY_TOKEN"]) {
    await cli(home, [...as("Slow"), "secret", "add", k, "--provider", "github", "--endpoint", url(slow)], SLOW);
  }
  await cli(home, [...as("Slow"), "settings", "set", "online-mode", "on"]);
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  fast?.close();
  slow?.closeAllConnections?.();
  slow?.close();
  removeHome(home);
});

test("Online Mode, a refresh, one valid and one invalid key, and a key's history chart", async () => {
  const b = app.browser;
  await unlockAs(b, "Dash", PASS);
  await click(b, '[data-testid="nav-dashboard"]');
  await visible(b, '[data-testid="offline-notice"]');
  try {
    await visible(b, '[data-testid="dashboard-table"]');
  } catch (e) {
    await screenshot(b, "dashboard-did-not-load");
    throw e;
  }
  assert.equal(await b.$('[data-testid="refresh-all"]').isEnabled(), false, "offline: no refresh");
  await screenshot(b, "dashboard-offline");
  assert.equal(seen.length, 0, "nothing was sent while offline");

  // Turning Online Mode on lists exactly the hosts it will contact.
  await click(b, '[data-testid="online-switch"]');
  const hosts = await textOf(b, '[data-testid="online-hosts"]');
  assert.ok(hosts.includes(`127.0.0.1:${fast.address().port}`), hosts);
  assert.ok(!hosts.includes("api.github.com"), "a key with its own endpoint goes only there");
  await screenshot(b, "online-mode-hosts");
  await click(b, '[data-testid="online-confirm"]');
  await b.waitUntil(async () => (await b.$('[data-testid="online-switch"]').getAttribute("aria-checked")) === "true", { timeout: 5000 });
  assert.equal(seen.length, 0, "turning it on sends nothing by itself");

  await click(b, '[data-testid="refresh-all"]');
  await b.waitUntil(async () => (await textOf(b, '[data-testid="card-invalid"]')) === "1", { timeout: 15000, timeoutMsg: "no invalid key after the refresh" });
  assert.equal(await textOf(b, '[data-testid="card-valid"]'), "1");
  assert.equal(await textOf(b, '[data-testid="card-expiring"]'), "1", "the token expires in 9 days");
  const good = await textOf(b, '[data-testid="dash-row"][data-key="GITHUB_TOKEN"]');
  assert.ok(good.includes("Valid") && good.includes("repo") && (good.includes("in 8 days") || good.includes("in 9 days")), good);
  const bad = await textOf(b, '[data-testid="dash-row"][data-key="GH_OLD_TOKEN"]');
  assert.ok(bad.includes("Invalid"), bad);
  const px = await textOf(b, '[data-testid="dash-row"][data-key="PERPLEXITY_API_KEY"]');
  assert.ok(px.includes("Not checkable"), px);
  assert.equal(seen.length, 2, "one request per checkable key");
  assert.ok(seen.some((r) => r.auth === `Bearer ${GOOD}`) && seen.some((r) => r.auth === `Bearer ${BAD}`));
  await screenshot(b, "dashboard-refreshed");

  // A key's details: facts, warnings and the history chart (keyboard: Enter on the row).
  await b.execute(() => document.querySelector('[data-testid="dash-row"][data-key="GITHUB_TOKEN"]').focus());
  await b.keys(["Enter"]);
  await visible(b, '[data-testid="key-detail"]');
  const detail = await textOf(b, '[data-testid="key-detail"]');
  assert.ok(detail.includes("octocat") && detail.includes("read:org") && detail.includes("3100 of 5000 left"), detail);
  assert.ok((await textOf(b, '[data-testid="key-warnings"]')).includes("expires in"));
  try {
    await b.waitUntil(() => b.$('[data-testid="history-chart"] canvas').isExisting(), { timeout: 10000, timeoutMsg: "no chart was drawn" });
  } catch (e) {
    await b.execute(() => document.querySelector('[data-testid="key-detail"]').scrollIntoView({ block: "end" }));
    console.log("# detail:", await textOf(b, '[data-testid="key-detail"]'));
    await screenshot(b, "no-chart");
    throw e;
  }
  await b.execute(() => document.querySelector('[data-testid="key-detail"]').scrollIntoView());
  await screenshot(b, "key-history-chart");
  const page = await b.getPageSource();
  for (const v of [GOOD, BAD]) assert.ok(!page.includes(v), "a key value is in the page");

  // Settings: background refresh every 30 minutes, quiet from 23:00 to 06:00.
  await click(b, '[data-testid="nav-settings"]');
  await visible(b, '[data-testid="background-settings"]');
  await click(b, '[data-testid="setting-autonomous"]');
  await fill(b, "#setting-refresh-interval", "30");
  await click(b, '[data-testid="setting-quiet"]');
  await (await b.$("#setting-quiet-start")).selectByAttribute("value", "23");
  await (await b.$("#setting-quiet-end")).selectByAttribute("value", "6");
  await click(b, '[data-testid="background-save"]');
  await visible(b, '[data-testid="background-saved"]');
  await b.execute(() => document.querySelector('[data-testid="background-settings"]').scrollIntoView());
  await screenshot(b, "background-settings");
  const get = async (name) => (await cli(home, ["--passphrase-file", pf, "--profile", "Dash", "settings", "get", name])).trim();
  assert.equal(await get("dashboard-refresh-interval"), "1800");
  assert.equal(await get("quiet-hours"), "23-6");
  assert.equal(await get("autonomous-mode"), "on");
  assert.equal(await get("online-mode"), "on", "saving the form kept the dashboard's switch");
  await b.keys(["Control", "l"]);
  await visible(b, '[data-testid="unlock-screen"]');
});

test("during a slow refresh the window lists and searches at once, and Ctrl+L stops it", async () => {
  const b = app.browser;
  await unlockAs(b, "Slow", PASS);
  await click(b, '[data-testid="nav-dashboard"]');
  await click(b, '[data-testid="refresh-all"]');
  await b.waitUntil(() => b.$('[data-testid="status-jobs"] [data-job-kind="refresh"]').isExisting(), { timeout: 5000, timeoutMsg: "the status bar shows no refresh" });
  await screenshot(b, "slow-refresh-running");

  await click(b, '[data-testid="nav-secrets"]');
  await visible(b, '[data-testid="secret-row"]');
  // Time in the page from the keystroke to the frame showing the matches
  // (the search box debounces typing by 120 ms).
  await b.execute(() => {
    const w = window;
    w.__search = null;
    const input = document.getElementById("secret-search");
    input.addEventListener("input", () => {
      const typed = performance.now();
      const check = () => {
        const rows = document.querySelectorAll('[data-testid="secret-row"]');
        if (rows.length === 3) requestAnimationFrame(() => (w.__search = performance.now() - typed));
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    });
  });
  await fill(b, "#secret-search", "github");
  await b.waitUntil(() => b.execute(() => window.__search !== null), { timeout: 5000, timeoutMsg: "the search never painted" });
  const searchMs = await b.execute(() => window.__search);
  assert.ok(await b.$('[data-testid="status-jobs"] [data-job-kind="refresh"]').isExisting(), "the refresh still ran");
  assert.ok(searchMs < 300, `search took ${searchMs} ms during the refresh`);
  console.log(`# during a 5 s refresh: search painted ${searchMs.toFixed(0)} ms after typing (120 ms of it debounce)`);
  await screenshot(b, "search-during-refresh");

  await b.keys(["Control", "l"]);
  await visible(b, '[data-testid="unlock-screen"]');
  // Let the slow answers arrive: nothing may be written after the lock.
  await b.pause(5500);
  const as = ["--passphrase-file", pf, "--profile", "Slow", "--json"];
  const dash = JSON.parse(await cli(home, [...as, "dashboard"]));
  const collected = dash.filter((r) => r.collected_at !== null);
  assert.equal(collected.length, 0, `written after the lock: ${JSON.stringify(collected.map((r) => r.key_name))}`);
  const events = JSON.parse(await cli(home, [...as, "audit", "--type", "dashboard.refresh"]));
  assert.equal(events.length, 0, "no refresh was recorded");
  await screenshot(b, "locked-during-refresh");
});
