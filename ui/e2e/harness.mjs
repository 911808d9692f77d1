// End-to-end harness: starts tauri-driver (which drives WebKitWebDriver) with
// a fresh KEYCLAVE_HOME, opens a WebDriver session on the built app, and
// saves screenshots under target/e2e-screenshots/.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";
import { saveWindowPng } from "./xshot.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repo, "target");
export const appBinary = process.env.KEYCLAVE_APP ?? path.join(targetDir, "debug", "keyclave-desktop");
export const cliBinary = process.env.KEYCLAVE_CLI ?? path.join(targetDir, "debug", "keyclave");
export const screenshotDir = path.join(repo, "target", "e2e-screenshots");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port}`);
}

function appPids(binary) {
  const pids = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] === binary) pids.push(Number(pid));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

async function waitForExit(binary, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (appPids(binary).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of appPids(binary)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

/** A fresh data directory for one app instance. */
export function tempHome() {
  return mkdtempSync(path.join(os.tmpdir(), "keyclave-e2e-"));
}

/**
 * Launch the app with KEYCLAVE_HOME=home and return { browser, close }.
 * `launchMs` is the time from the session request to the first `readySelector`.
 */
export async function launch(home, { readySelector } = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: { ...process.env, KEYCLAVE_HOME: home, KEYCLAVE_LOG: process.env.KEYCLAVE_LOG ?? "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitForPort(port, 15000);
  const started = performance.now();
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "warn",
    connectionRetryCount: 0,
    // WebKitWebDriver speaks classic WebDriver only (no BiDi).
    capabilities: { "tauri:options": { application: appBinary }, "wdio:enforceWebDriverClassic": true },
  });
  let launchMs = null;
  if (readySelector) {
    await (await browser.$(readySelector)).waitForDisplayed({ timeout: 30000 });
    launchMs = performance.now() - started;
  }
  const close = async () => {
    try {
      await browser.deleteSession();
    } catch {
      /* the app may already be gone */
    }
    driver.kill();
    // The app is single-instance: a launch while the last one is still
    // exiting would hand over to it and quit. Wait until it is gone.
    await waitForExit(appBinary, 10000);
  };
  return { browser, close, launchMs };
}

let shotCounter = 0;
/** Save a screenshot named NN-name.png and return its path. */
export async function screenshot(browser, name) {
  mkdirSync(screenshotDir, { recursive: true });
  // The window can lag the DOM by a frame or two: let it paint.
  await browser.execute(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
  await browser.pause(250);
  shotCounter += 1;
  // node --test runs each file in its own process: name shots after the file.
  const suite = path.basename(process.argv[1] ?? "e2e", ".test.mjs");
  const file = path.join(screenshotDir, `${suite}-${String(shotCounter).padStart(2, "0")}-${name}.png`);
  await saveWindowPng("KeyClave", file);
  return file;
}

/** Run the CLI against a home (e.g. to seed a profile). */
export function cli(home, args, input) {
  return new Promise((resolve, reject) => {
    const p = spawn(cliBinary, ["--home", home, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`keyclave ${args.join(" ")}: ${err}`))));
    p.stdin.end(input ?? "");
  });
}

export function removeHome(home) {
  rmSync(home, { recursive: true, force: true });
}

/** Type into an input identified by CSS selector (clearing it first). */
export async function fill(browser, selector, value) {
  const el = await browser.$(selector);
  await el.waitForDisplayed({ timeout: 10000 });
  await el.clearValue();
  await el.setValue(value);
}

/** Empty an input the way a person does (select all, delete), so the page
 * gets its input event — WebKitWebDriver's element clear fires none. */
export async function clearByKeyboard(browser, selector) {
  const el = await browser.$(selector);
  await el.click();
  await browser.keys(["Control", "a"]);
  await browser.keys(["Backspace"]);
}

export async function click(browser, selector) {
  const el = await browser.$(selector);
  await el.waitForClickable({ timeout: 10000 });
  try {
    await el.click();
  } catch (e) {
    // Say what covers the element, so a failure names the overlay.
    const cover = await browser.execute((sel) => {
      const r = document.querySelector(sel)?.getBoundingClientRect();
      const top = r && document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      return top ? top.outerHTML.slice(0, 160) : null;
    }, selector).catch(() => null);
    if (cover) e.message = `${e.message} (${selector} is covered by ${cover})`;
    throw e;
  }
}

export async function visible(browser, selector, timeout = 10000) {
  const el = await browser.$(selector);
  await el.waitForDisplayed({ timeout });
  return el;
}

/** An element's text content (WebKitWebDriver's visible text can omit
 * text in clipped flex items). */
export async function textOf(browser, selector) {
  return (await visible(browser, selector)).getProperty("textContent");
}

export async function rows(browser) {
  return browser.$$('[data-testid="secret-row"]');
}

/** The row of a key name. */
export async function row(browser, keyName) {
  return visible(browser, `[data-testid="secret-row"][data-key-name="${keyName}"]`);
}

/** Pick `profile` on the unlock screen, type `passphrase`, wait for the main screen. */
export async function unlockAs(browser, profile, passphrase) {
  const select = await visible(browser, "#unlock-profile");
  await select.selectByVisibleText(profile);
  await fill(browser, "#unlock-passphrase", passphrase);
  await click(browser, '[data-testid="unlock-submit"]');
  await visible(browser, '[data-testid="nav-secrets"]', 30000);
}

/** RFC 6238 code (SHA-1, 30 s, 6 digits) for a base32 secret. */
export function totpCode(base32, unix = Math.floor(Date.now() / 1000)) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of base32.replace(/=+$/, "")) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unix / 30)));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** Text of an element, or "" while the page re-renders it: for polls,
 * where a handle to a replaced element would go stale. */
export async function textNow(browser, selector) {
  try {
    return await browser.execute((sel) => document.querySelector(sel)?.textContent ?? "", selector);
  } catch {
    return "";
  }
}
