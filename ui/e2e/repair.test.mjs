// index.db damaged: the start screen says so and offers to rebuild the
// profile list from the profile folders; after the rebuild the profile
// unlocks with its passphrase and every key is there.
import assert from "node:assert/strict";
import { readdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { cli, click, launch, removeHome, screenshot, tempHome, textOf, unlockAs, visible } from "./harness.mjs";

const PASS = "repair passphrase for tests";
const PROFILE = "Mended";

let app;
let home;

before(async () => {
  home = tempHome();
  const pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  await cli(home, ["--passphrase-file", pf, "profile", "create", PROFILE, "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
  await cli(home, ["--passphrase-file", pf, "secret", "add", "ZQXREPAIR_KEY"], "zqxrepair-value-0123456789");
  const index = path.join(home, "index.db");
  writeFileSync(index, Buffer.alloc(Math.max(4096, statSync(index).size), 0x5a));
  for (const f of readdirSync(home)) if (/^index\.db-(wal|shm)$/.test(f)) unlinkSync(path.join(home, f));
  app = await launch(home, { readySelector: '[data-testid="repair-index"]' });
});

after(async () => {
  await app?.close();
  removeHome(home);
});

test("a damaged profile list is rebuilt from the start screen", async () => {
  const b = app.browser;
  assert.match(await textOf(b, '[role="alert"]'), /list of profiles \(index\.db\) is damaged/i);
  await screenshot(b, "index-damaged");
  await click(b, '[data-testid="repair-index"]');
  await visible(b, '[data-testid="unlock-screen"]', 15000);
  await screenshot(b, "rebuilt-unlock");
  await unlockAs(b, PROFILE, PASS);
  await visible(b, '[data-testid="secret-row"][data-key-name="ZQXREPAIR_KEY"]', 15000);
  assert.ok(readdirSync(home).some((f) => f.startsWith("index.db.damaged-")), "the damaged file is kept");
});
