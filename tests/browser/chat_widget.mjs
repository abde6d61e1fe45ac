// The visitor's side of the widget test: a page of another origin embeds the widget with
// one script tag; this drives Debian's chromium through it while the Python test plays the
// agent through the API. Prints progress on stderr and one "RESULT {json}" line on stdout.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [pageUrl, agentText] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "ccengine-chromium-"));
const step = (what) => process.stderr.write(`step: ${what}\n`);
const result = {};
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});
try {
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.setDefaultTimeout(60000);
  await page.goto(pageUrl);
  step("page loaded");
  await page.locator(".launcher").click();
  await page.locator("input[name=name]").fill("Web Visitor");
  await page.locator("input[name=phone]").fill("07700 900777");
  await page.getByRole("textbox", { name: "How can we help? (optional)" })
    .fill("Is my parcel coming?");
  await page.locator("form.start button").click();
  step("chat asked for");
  await page.locator(".status", { hasText: "Chatting with Alice" }).waitFor();
  step("agent joined");
  await page.locator("textarea[name=text]").fill("Hello from the browser");
  await page.locator("textarea[name=text]").press("Enter");
  await page.locator(".msg.visitor:not(.pending)", { hasText: "Hello from the browser" }).waitFor();
  step("message acknowledged");
  const agentMsg = page.locator(".msg.agent").first();
  await agentMsg.waitFor();
  result.agentText = await agentMsg.textContent();
  result.imagesInWidget = await page.evaluate(() =>
    document.querySelector("#ccengine-chat").shadowRoot.querySelectorAll("img,script,b").length);
  result.pwned = await page.evaluate(() => window.__pwned === 1);
  step("agent message shown");
  await page.reload();
  step("page reloaded");
  await page.locator(".status", { hasText: "Chatting with Alice" }).waitFor();
  await page.locator(".msg.agent").first().waitFor();
  result.afterReload = await page.locator(".msg:not(.system)").allTextContents();
  await page.locator("textarea[name=text]").fill("after reload");
  await page.locator("button.send").click();
  await page.locator(".msg.visitor:not(.pending)", { hasText: "after reload" }).waitFor();
  step("resumed after reload");
  await page.locator(".status", { hasText: "The agent ended the chat." }).waitFor();
  result.againVisible = await page.locator("button.again").isVisible();
  result.stored = await page.evaluate(() => Object.keys(sessionStorage));
  result.pwned = result.pwned || await page.evaluate(() => window.__pwned === 1);
  result.pageErrors = errors;
  result.expectedAgentText = agentText;
  step("ended");
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
