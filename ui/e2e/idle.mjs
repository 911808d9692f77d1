// Desktop idle CPU with the dashboard scheduler on (run with `make bench-idle`):
// a profile with 20 keys pointed at a fake provider on 127.0.0.1, Online
// and Autonomous Mode on, unlocked in the real window. After the catch-up
// refresh at unlock has finished, the app's CPU time (the Rust process and
// every WebKit process) is read from /proc over 60 s; once with the default
// interval (3600 s: the scheduler only waits) and once with 60 s (every
// key is refreshed in the window, staggered). Target: < 1 % of a core.
import http from "node:http";
import path from "node:path";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { cli, launch, removeHome, repo, tempHome, unlockAs } from "./harness.mjs";

const PASS = "idle passphrase for the scheduler bench";
const WINDOW_S = Number(process.env.KEYCLAVE_IDLE_SECONDS ?? 60);
const TICKS = 100; // USER_HZ on Linux
let served = 0;

const server = await new Promise((resolve) => {
  const s = http.createServer((req, res) => {
    served++;
    res.writeHead(200, { "content-type": "application/json", "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4000" });
    res.end(JSON.stringify({ login: "idle" }));
  });
  s.listen(0, "127.0.0.1", () => resolve(s));
});
const endpoint = `http://127.0.0.1:${server.address().port}`;

/** utime + stime, in ticks, of every process whose command line matches. */
function cpuTicks(pattern) {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!pattern.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"))) continue;
      // Fields after the command name in parentheses: utime is the 14th, stime the 15th.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* process went away */
    }
  }
  return total;
}

async function measure(intervalSeconds) {
  const home = tempHome();
  const pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  const as = ["--passphrase-file", pf, "--profile", "Idle"];
  await cli(home, ["--passphrase-file", pf, "profile", "create", "Idle", "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
  for (let i = 0; i < 20; i++) {
    const key = `GH_IDLE_${String(i).padStart(2, "0")}_TOKEN`;
    await cli(home, [...as, "secret", "add", key, "--provider", "github", "--endpoint", endpoint], `ghp_IdleBench${String(i).padStart(2, "0")}0123456789abcdefghij`);
  }
  for (const [k, v] of [["online-mode", "on"], ["autonomous-mode", "on"], ["quiet-hours", "off"], ["dashboard-refresh-interval", String(intervalSeconds)]]) {
    await cli(home, [...as, "settings", "set", k, v]);
  }
  const app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
  try {
    await unlockAs(app.browser, "Idle", PASS);
    // The catch-up pass at unlock (staggered, ~5 s apart): wait until every
    // key has been collected once.
    const deadline = Date.now() + 180_000;
    while (served < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 5000));
    const before = { app: cpuTicks(/keyclave-desktop/), web: cpuTicks(/WebKit(Web|Network)Process/), served };
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    const seconds = (Date.now() - t0) / 1000;
    const app_ = cpuTicks(/keyclave-desktop/) - before.app;
    const web = cpuTicks(/WebKit(Web|Network)Process/) - before.web;
    return {
      refresh_interval_s: intervalSeconds,
      window_s: Math.round(seconds),
      requests_in_window: served - before.served,
      app_cpu_percent: +((app_ / TICKS / seconds) * 100).toFixed(2),
      webkit_cpu_percent: +((web / TICKS / seconds) * 100).toFixed(2),
      total_cpu_percent: +(((app_ + web) / TICKS / seconds) * 100).toFixed(2),
    };
  } finally {
    await app.close();
    removeHome(home);
  }
}

const results = [];
for (const interval of [3600, 60]) {
  served = 0;
  results.push(await measure(interval));
}
server.close();
console.log(JSON.stringify(results, null, 2));
writeFileSync(path.join(repo, "target", "idle.json"), JSON.stringify(results, null, 2));
