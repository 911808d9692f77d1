// Unlocking a profile made by the CLI: keyboard lock (Ctrl+L), and the
// back-off countdown after repeated wrong passphrases.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { cli, click, fill, launch, removeHome, row, screenshot, tempHome, textOf, visible } from "./harness.mjs";

const PASS = "another fine passphrase";
let app;
let home;

before(async () => {
  home = tempHome();
  const pf = path.join(home, "pass.txt");
  writeFileSync(pf, `${PASS}\n`);
  // A cheap KDF keeps five wrong attempts quick; the rules are the same.
  await cli(home, ["--passphrase-file", pf, "profile", "create", "Scripts", "--kdf-memory-kib", "256", "--kdf-iterations", "1"]);
  await cli(home, ["--passphrase-file", pf, "secret", "add", "SENDGRID_API_KEY", "--env", "prod"], "SG.cliValue.0123456789");
  app = await launch(home, { readySelector: '[data-testid="unlock-screen"]' });
});

after(async () => {
  await app?.close();
  removeHome(home);
});

test("Ctrl+L locks; repeated wrong passphrases get a growing, visible delay", async () => {
  const b = app.browser;
  await fill(b, "#unlock-passphrase", PASS);
  await click(b, '[data-testid="unlock-submit"]');
  await row(b, "SENDGRID_API_KEY");
  assert.match(await textOf(b, '[data-testid="status-profile"]'), /Scripts/);

  await b.keys(["Control", "l"]);
  await visible(b, '[data-testid="unlock-screen"]');

  // Seven wrong attempts, each made once the button is enabled again: five
  // are free, then the delays are 1 s, 2 s, and after the seventh 4 s.
  const submit = await b.$('[data-testid="unlock-submit"]');
  for (let i = 0; i < 7; i++) {
    await b.waitUntil(async () => !(await (await b.$('[data-testid="backoff-countdown"]')).isDisplayed()), {
      timeout: 10000,
      timeoutMsg: `attempt ${i}: the countdown did not end`,
    });
    await fill(b, "#unlock-passphrase", `wrong attempt ${i}`);
    // The button is enabled once there is a passphrase and no delay.
    await b.waitUntil(() => submit.isEnabled(), { timeout: 5000, timeoutMsg: `attempt ${i}: button stayed disabled` });
    await submit.click();
    await b.waitUntil(async () => /wrong passphrase/i.test(await textOf(b, '[data-testid="unlock-error"]')), {
      timeout: 10000,
      timeoutMsg: `attempt ${i}: no wrong-passphrase error`,
    });
  }
  const countdown = await visible(b, '[data-testid="backoff-countdown"]', 3000);
  assert.match(await countdown.getProperty("textContent"), /[1-4]/);
  assert.equal(await submit.isEnabled(), false, "the button waits for the countdown");
  await screenshot(b, "backoff-countdown");

  // When it has passed, the right passphrase opens the vault.
  await b.waitUntil(async () => !(await (await b.$('[data-testid="backoff-countdown"]')).isDisplayed()), {
    timeout: 15000,
    timeoutMsg: "the countdown did not end",
  });
  await fill(b, "#unlock-passphrase", PASS);
  await click(b, '[data-testid="unlock-submit"]');
  await row(b, "SENDGRID_API_KEY");
});
