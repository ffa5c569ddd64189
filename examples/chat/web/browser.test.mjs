// browser.test.mjs drives the chat page in headless Chromium with playwright-core, as two
// users in two browser contexts. TestBrowser (browser_test.go) runs it against the chat
// server it started, with:
//
//   CHAT_URL     the server's base URL
//   CONTROL_URL  POST /stop and /start stop and start that server (same port)
//   CHROMIUM     the browser binary (default /usr/bin/chromium)
//   OUT_DIR      where screenshots of every page are written when a step fails
//   SCREENSHOT   where the screenshot of the page for the README is written
//
// It exits 0 when every step passed, 1 otherwise, printing the failed step.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = must("CHAT_URL");
const control = must("CONTROL_URL");
const outDir = must("OUT_DIR");
const screenshot = process.env.SCREENSHOT || "";
const executable = process.env.CHROMIUM || "/usr/bin/chromium";
const timeout = 15_000;

function must(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return v;
}

// launch starts Chromium. Playwright gives it a fresh temporary profile (its own
// --user-data-dir, removed on close) and ends the whole process group on close.
async function launch() {
  const browser = await chromium.launch({
    executablePath: executable,
    headless: true,
    timeout: 60_000,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  return { browser, close: () => browser.close() };
}

const users = new Map(); // name -> { page, errors: [] }

async function open(browser, name) {
  const context = await browser.newContext({ viewport: { width: 960, height: 620 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  const u = { page, errors: [] };
  page.on("pageerror", (err) => u.errors.push(String(err)));
  // Failed requests (the favicon, connections refused while the server is down) are
  // expected; anything else the page logs as an error is not.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) u.errors.push(m.text());
  });
  users.set(name, u);
  await page.goto(`${base}/?user=${encodeURIComponent(name)}`);
  await state(page, "connected");
  return page;
}

// state waits for the page's connection state.
function state(page, want) {
  return page.waitForSelector(`#state[data-state="${want}"]`);
}

// line waits for a line of the messages containing text.
function line(page, text) {
  return page.locator("#messages li", { hasText: text }).first().waitFor();
}

async function lines(page) {
  return page.locator("#messages li").allTextContents();
}

async function say(page, text, room = "") {
  await page.selectOption("#target", room);
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

async function post(path) {
  const res = await fetch(control + path, { method: "POST" });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
}

let step = "";
async function run(browser) {
  step = "both users connect";
  const alice = await open(browser, "alice");
  const bob = await open(browser, "bob");

  step = "bob sees alice typing";
  await alice.locator("#text").pressSequentially("hel", { delay: 30 });
  await bob.locator("#typing", { hasText: "alice is typing" }).waitFor();

  step = "a message reaches the other user";
  await alice.fill("#text", "hello bob");
  await alice.press("#text", "Enter");
  await line(bob, "alice: hello bob");
  await line(alice, "you: hello bob");
  await bob.locator("#typing", { hasText: "alice" }).waitFor({ state: "detached" }); // she stopped

  step = "text the server sanitized reads as typed, markup removed";
  await say(alice, `Tom & "J" <b>bold</b> <script>alert(1)</script>`);
  await line(bob, `alice: Tom & "J" bold`);
  if ((await bob.locator("#messages b, #messages script").count()) !== 0) {
    throw new Error("markup from a message reached the page");
  }

  step = "a room message reaches only the room";
  await alice.fill("#room-name", "lobby");
  await alice.press("#room-name", "Enter");
  await alice.locator('#rooms li[data-room="lobby"]').waitFor();
  await say(alice, "for the lobby only", "lobby");
  await line(alice, "[lobby] you: for the lobby only");
  await say(alice, "to everyone again");
  await line(bob, "alice: to everyone again"); // sent after the room message, so it came first
  if ((await lines(bob)).some((l) => l.includes("for the lobby only"))) {
    throw new Error("bob, outside the room, received the room message");
  }
  await bob.fill("#room-name", "lobby");
  await bob.press("#room-name", "Enter");
  await bob.locator('#rooms li[data-room="lobby"]').waitFor();
  await line(alice, "bob joined a room you are in");
  await say(alice, "welcome to the lobby", "lobby");
  await line(bob, "[lobby] alice: welcome to the lobby");
  await bob.click('#rooms li[data-room="lobby"] button');
  await bob.locator('#rooms li[data-room="lobby"]').waitFor({ state: "detached" });
  await line(alice, "bob left a room you are in");
  await say(alice, "bob has gone", "lobby");
  await say(alice, "marker after bob left");
  await line(bob, "alice: marker after bob left");
  if ((await lines(bob)).some((l) => l.includes("bob has gone"))) {
    throw new Error("bob received a message of a room he had left");
  }

  step = "an invalid message shows the server's error";
  await say(alice, "x".repeat(1001));
  const err = alice.locator('#errors li[data-code="invalid_argument"]').first();
  await err.waitFor();
  const text = await err.textContent();
  if (!text.includes("message:") || !/text/i.test(text)) throw new Error(`error shown: ${JSON.stringify(text)}`);

  if (screenshot) {
    step = "screenshot for the README";
    await bob.locator("#text").pressSequentially("see you", { delay: 30 });
    await alice.locator("#typing", { hasText: "bob is typing" }).waitFor();
    await mkdir(join(screenshot, ".."), { recursive: true });
    await alice.screenshot({ path: screenshot });
    await bob.fill("#text", "");
  }

  step = "a dropped connection is recovered";
  await alice.evaluate(() => socket.io.engine.close());
  await say(bob, "while alice was away");
  await state(alice, "recovered");
  await line(alice, "bob: while alice was away");
  await say(alice, "back again");
  await line(bob, "alice: back again");

  step = "a flood shows the server's rate limit";
  await alice.evaluate(() => {
    for (let i = 0; i < 101; i++) socket.emit("message", { text: "flood " + i });
  });
  await alice.locator('#errors li[data-code="resource_exhausted"]').first().waitFor();

  step = "the browser goes offline and comes back";
  await bob.context().setOffline(true);
  await state(bob, "offline");
  await bob.context().setOffline(false);
  await bob.waitForSelector('#state:is([data-state="recovered"], [data-state="connected"], [data-state="reconnecting"])');

  step = "the server stops: both pages are reconnecting";
  await post("/stop");
  await Promise.all([state(alice, "reconnecting"), state(bob, "reconnecting")]);

  step = "the server starts again: both pages reconnect and keep working";
  await post("/start");
  await Promise.all([state(alice, "connected"), state(bob, "connected")]);
  await say(bob, "after the restart");
  await line(alice, "you: to everyone again"); // history is still on the page
  await line(alice, "bob: after the restart");
  // alice's page joined its room again on the new server.
  await say(alice, "lobby after the restart", "lobby");
  await line(alice, "[lobby] you: lobby after the restart");

  for (const [name, u] of users) {
    if (u.errors.length) throw new Error(`${name}'s page logged errors: ${u.errors.join("; ")}`);
  }
}

// Stopped from outside (the Go test's timeout): close the browser first.
let b = null;
process.on("SIGTERM", () => {
  console.error(`stopped at step "${step}"`);
  (b ? b.close() : Promise.resolve()).finally(() => process.exit(1));
});
b = await launch();
let failed = false;
try {
  await run(b.browser);
  console.log("browser test passed");
} catch (err) {
  failed = true;
  console.error(`FAILED at step "${step}": ${err.stack || err}`);
  await mkdir(outDir, { recursive: true });
  for (const [name, u] of users) {
    const path = join(outDir, `${name}-failure.png`);
    await u.page.screenshot({ path, fullPage: true }).then(() => console.error(`screenshot: ${path}`), () => {});
    if (u.errors.length) console.error(`${name}'s page errors: ${u.errors.join("; ")}`);
  }
} finally {
  await b.close();
}
process.exit(failed ? 1 : 0);
