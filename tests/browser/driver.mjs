// A browser the Python tests drive step by step: Debian's chromium through playwright-core,
// commands as JSON lines on stdin ({"id", "op", ...}), one answer per command on stdout
// ({"id", "ok", "result"|"error"}). tests/browser/driver.py is the Python side.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import readline from "node:readline";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const pages = new Map();   // name -> {context, page, errors, console, responses}
let browser = null;

const out = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");

async function launch({ args = [], fakeUi = true }) {
  // fakeUi: media permission prompts say yes by themselves; without it (and without a
  // grant) the page is refused the microphone, as when a person says no
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
      ...(fakeUi ? ["--use-fake-ui-for-media-stream"] : []), "--use-fake-device-for-media-stream",
      "--allow-loopback-in-peer-connection",
      "--disable-features=WebRtcHideLocalIpsWithMdns",
      "--autoplay-policy=no-user-gesture-required", ...args],
  });
  return browser.version();
}

async function newPage({ name, baseURL, permissions = ["microphone", "notifications"],
                         viewport = { width: 1280, height: 800 } }) {
  const context = await browser.newContext({ baseURL, viewport });
  if (permissions.length) await context.grantPermissions(permissions, { origin: baseURL });
  const page = await context.newPage();
  const entry = { context, page, errors: [], console: [], responses: [], sizing: new Set() };
  page.on("pageerror", (e) => entry.errors.push(String(e)));
  page.on("console", (m) => entry.console.push(`${m.type()}: ${m.text()}`));
  // every HTTP request the page made, once finished or failed (websockets are not requests)
  const logRequest = (request, failure) => {
    const done = (async () => {
      const response = failure ? null : await request.response();
      const sizes = failure ? null : await request.sizes();
      entry.responses.push({ url: request.url(), method: request.method(),
        type: request.resourceType(), status: response ? response.status() : null,
        bodyBytes: sizes ? sizes.responseBodySize : 0,
        headerBytes: sizes ? sizes.responseHeadersSize : 0, failure: failure || null });
    })().catch(() => {}).finally(() => entry.sizing.delete(done));
    entry.sizing.add(done);
  };
  page.on("requestfinished", (r) => logRequest(r, null));
  page.on("requestfailed", (r) => logRequest(r, (r.failure() || {}).errorText || "failed"));
  page.setDefaultTimeout(20000);
  pages.set(name, entry);
  return true;
}

function pageOf(name) {
  const entry = pages.get(name);
  if (!entry) throw new Error(`no page ${name}`);
  return entry;
}

const ops = {
  launch,
  newPage,
  // waitUntil: "load" (the default), "domcontentloaded", "networkidle" or "commit"
  async goto({ page, url, waitUntil = "load" }) {
    await pageOf(page).page.goto(url, { waitUntil });
    return pageOf(page).page.url();
  },
  // a script run in the page before its own, on every navigation from now on
  async initScript({ page, script }) { await pageOf(page).page.addInitScript(script); return true; },
  // the requests the page made so far: {url, method, type, status, bodyBytes (the response
  // body as transferred), headerBytes, failure}; clear: start a new log after this one
  async responses({ page, clear = false }) {
    const entry = pageOf(page);
    await Promise.all([...entry.sizing]);
    const log = entry.responses;
    if (clear) entry.responses = [];
    return log;
  },
  async reload({ page }) { await pageOf(page).page.reload(); return true; },
  async click({ page, selector }) { await pageOf(page).page.locator(selector).click(); return true; },
  async fill({ page, selector, value }) { await pageOf(page).page.locator(selector).fill(value); return true; },
  async select({ page, selector, value }) {
    return pageOf(page).page.locator(selector).selectOption(value);
  },
  async press({ page, selector, key }) {
    const p = pageOf(page).page;
    if (selector) await p.locator(selector).press(key); else await p.keyboard.press(key);
    return true;
  },
  async type({ page, text }) { await pageOf(page).page.keyboard.type(text); return true; },
  async wait({ page, selector, state = "visible", ms }) {
    await pageOf(page).page.locator(selector).first().waitFor({ state, timeout: ms });
    return true;
  },
  async texts({ page, selector }) { return pageOf(page).page.locator(selector).allTextContents(); },
  async count({ page, selector }) { return pageOf(page).page.locator(selector).count(); },
  async attr({ page, selector, name }) {
    return pageOf(page).page.locator(selector).first().getAttribute(name);
  },
  async evaluate({ page, expression, arg }) {
    // expression: the source of a function, called with arg in the page
    return pageOf(page).page.evaluate(`(${expression})(${JSON.stringify(arg ?? null)})`);
  },
  async focused({ page }) {
    return pageOf(page).page.evaluate(() => {
      const el = document.activeElement;
      return el ? { tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || "").trim().slice(0, 80),
        label: el.getAttribute("aria-label") } : null;
    });
  },
  async screenshot({ page, path, fullPage = false }) {
    await pageOf(page).page.screenshot({ path, fullPage });
    return path;
  },
  // answers to requests matching `pattern` are read from the server at once but given to
  // the page only at releaseResponses: what the page then gets predates what came between
  async holdResponses({ page, pattern }) {
    const entry = pageOf(page);
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    const held = [];
    entry.held = { pattern, release, held };
    await entry.page.route(pattern, (route) => {
      held.push((async () => {
        const response = await route.fetch();
        await released;
        await route.fulfill({ response });
      })().catch((e) => entry.errors.push(`held response: ${e}`)));
    });
    return true;
  },
  async releaseResponses({ page }) {
    const entry = pageOf(page);
    const { pattern, release, held } = entry.held;
    release();
    await Promise.all(held);
    await entry.page.unroute(pattern);
    return held.length;
  },
  async offline({ page, offline }) { await pageOf(page).context.setOffline(offline); return true; },
  async axe({ page, selector = null }) {
    const p = pageOf(page).page;
    if (!(await p.evaluate(() => typeof window.axe !== "undefined"))) {
      // the desk's CSP forbids inline scripts: axe is evaluated through the debugger
      await p.evaluate(AXE);
    }
    return p.evaluate(async (sel) => {
      const result = await window.axe.run(sel ? document.querySelector(sel) : document,
        { resultTypes: ["violations"] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
    }, selector);
  },
  async errors({ page }) { return pageOf(page).errors; },
  async console({ page }) { return pageOf(page).console; },
  async closePage({ page }) { await pageOf(page).context.close(); pages.delete(page); return true; },
  async quit() { if (browser) await browser.close(); browser = null; return true; },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  let msg;
  try { msg = JSON.parse(line); } catch { return; }
  const op = ops[msg.op];
  try {
    if (!op) throw new Error(`unknown op ${msg.op}`);
    out({ id: msg.id, ok: true, result: (await op(msg)) ?? null });
  } catch (e) {
    out({ id: msg.id, ok: false, error: String((e && e.message) || e) });
  }
  if (msg.op === "quit") process.exit(0);
});
rl.on("close", async () => { if (browser) await browser.close(); process.exit(0); });
