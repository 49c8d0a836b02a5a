// The sandbox in a real Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no
// browser is ever downloaded). Screenshots land in tests/sandbox/artifacts/ (docs/sandbox.md).
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PATHS, sendOver, sha256, startRemoteServer, startSandbox } from "./support.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(here, "artifacts");
const CHROMIUM = process.env.MAILPATH_CHROMIUM ?? "/usr/bin/chromium";
const POLL = { timeout: 5_000 };
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Waits until `locator`'s element has the keyboard focus. */
const expectFocus = (locator) =>
  expect.poll(() => locator.evaluate((node) => node === document.activeElement), POLL).toBe(true);

describe("the sandbox in Chromium", () => {
  let emulator;
  let remote;
  let browser;
  let page;
  // An attachment of random bytes: the download must hash the same.
  const attachment = Buffer.from(
    Array.from({ length: 20_000 }, (_, index) => (index * 7919) % 256),
  );

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set MAILPATH_CHROMIUM)`,
      );
    }
    await mkdir(ARTIFACTS, { recursive: true });
    [emulator, remote] = await Promise.all([startSandbox(), startRemoteServer()]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page.on("dialog", (dialog) => dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([emulator?.stop(), remote?.close()]);
  });

  it("shows mail sent over each path in the open list within 1 s, without reloading", async () => {
    await page.goto(emulator.web.url);
    await expect
      .poll(() => page.locator("#messages").textContent(), POLL)
      .toContain("No messages yet");
    // Marks this document: a reload or navigation would lose the mark.
    await page.evaluate(() => {
      window.sandboxTestMark = "kept";
    });
    for (const { transport, sentItems } of PATHS) {
      const subject = `Live over ${transport}`;
      await sendOver(emulator, transport, { subject, text: `sent over ${transport}` });
      // send() resolves once the emulator accepted (and stored) the message.
      const accepted = performance.now();
      const row = page.locator("#messages tr", { hasText: subject });
      await row.waitFor({ state: "visible", timeout: 1_000 });
      const shownAfterMs = performance.now() - accepted;
      expect(shownAfterMs).toBeLessThan(1_000);
      if (sentItems)
        await expect
          .poll(() => row.locator(".badge.sent").textContent(), POLL)
          .toMatch("Sent Items copy");
      else await expect.poll(() => row.locator(".badge.sent").count(), POLL).toBe(0);
    }
    expect(await page.evaluate(() => window.sandboxTestMark)).toBe("kept");
    // Newest first.
    await expect
      .poll(() => page.locator("#messages tr").first().textContent(), POLL)
      .toContain("Live over graph");
  });

  it("searches by sender, recipient and subject", async () => {
    await page.goto(`${emulator.web.url}?q=${encodeURIComponent("subject:relay")}`);
    await expect.poll(() => page.locator("#messages tr").count(), POLL).toBe(1);
    await expect
      .poll(() => page.locator("#messages tr").textContent(), POLL)
      .toContain("Live over relay");
    await page.goto(`${emulator.web.url}?q=${encodeURIComponent("to:ada@contoso.com")}`);
    await expect.poll(() => page.locator("#messages tr").count(), POLL).toBe(3);
    await page.goto(`${emulator.web.url}?q=${encodeURIComponent("from:nobody@example.com")}`);
    await expect
      .poll(() => page.locator("#messages").textContent(), POLL)
      .toContain("No messages yet");
  });

  it("opens a message: the HTML renders, its script does not run, remote content waits for a click, the attachment downloads intact, the analysis shows SPF/DKIM/DMARC pass", async () => {
    const html = `<h1 id="greeting">Hello from the sandbox</h1>
<p>An image from far away: <img id="remote" alt="remote pixel" src="${remote.origin}/remote.png"></p>
<script>document.body.dataset.ran = "yes"; new Image().src = "${remote.origin}/script-ran";</script>`;
    const sent = await sendOver(emulator, "smtp", {
      subject: "Rich message",
      text: "Hello from the sandbox (text part)",
      html,
      attachments: [
        { filename: "report.bin", content: attachment, contentType: "application/octet-stream" },
      ],
    });
    await page.goto(emulator.web.url);
    await page.locator("#messages a.open", { hasText: "Rich message" }).click();
    await expect.poll(() => page.locator("h1").textContent(), POLL).toMatch("Rich message");
    await page.screenshot({ path: join(ARTIFACTS, "sandbox-message.png"), fullPage: true });
    // The reply shown is the one the client got.
    expect(await page.locator("#exchange-reply").textContent()).toBe(sent.response);

    const frame = page.frameLocator("#html-body");
    await expect
      .poll(() => frame.locator("#greeting").textContent(), POLL)
      .toMatch("Hello from the sandbox");
    expect(await frame.locator("body").getAttribute("data-ran")).toBeNull();
    expect(remote.hits("/script-ran")).toBe(0);
    expect(remote.hits("/remote.png")).toBe(0);
    const sandbox = await page.locator("#html-body").getAttribute("sandbox");
    expect(sandbox).toBe("");

    await page.getByRole("button", { name: "Load remote content" }).click();
    await expect
      .poll(() => frame.locator("#greeting").textContent(), POLL)
      .toMatch("Hello from the sandbox");
    await expect.poll(() => remote.hits("/remote.png"), { timeout: 5_000 }).toBe(1);
    expect(await frame.locator("body").getAttribute("data-ran")).toBeNull();
    expect(remote.hits("/script-ran")).toBe(0);

    await expect
      .poll(() => page.locator("pre.text").textContent(), POLL)
      .toContain("Hello from the sandbox (text part)");
    await expect
      .poll(() => page.locator(".attachments").textContent(), POLL)
      .toContain("application/octet-stream · 19.5 kB");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "report.bin" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("report.bin");
    expect(sha256(await readFile(await download.path()))).toBe(sha256(attachment));

    const [eml] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download .eml" }).click(),
    ]);
    const raw = await readFile(await eml.path(), "utf8");
    expect(raw).toContain("Subject: Rich message");

    for (const method of ["spf", "dkim", "dmarc"]) {
      await expect
        .poll(() => page.locator(`.verdict[data-method="${method}"]`).first().textContent(), POLL)
        .toBe("pass");
    }
    expect(await page.locator("#overall-verdict").textContent()).toBe("pass");
    await expect
      .poll(() => page.locator("table.headers").textContent(), POLL)
      .toContain("Message-ID");
  });

  it("deletes one message and then all of them", async () => {
    await page.goto(emulator.web.url);
    await page.screenshot({ path: join(ARTIFACTS, "sandbox-list.png") });
    await page.locator("#messages a.open", { hasText: "Live over relay" }).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.waitForURL(emulator.web.url);
    await expect
      .poll(() => page.locator("#messages tr", { hasText: "Live over relay" }).count(), POLL)
      .toBe(0);
    expect(emulator.messages().map((message) => message.subject)).not.toContain("Live over relay");
    expect(emulator.messages()).toHaveLength(3);

    await page.getByRole("button", { name: "Delete all" }).click();
    await page.waitForURL(emulator.web.url);
    await expect
      .poll(() => page.locator("#messages").textContent(), POLL)
      .toContain("No messages yet");
    expect(emulator.messages()).toHaveLength(0);
  });

  it("compares the same message sent over two paths side by side", async () => {
    const message = {
      subject: "Same message, two paths",
      cc: "grace@contoso.com",
      text: "Parity",
      html: "<p>Parity</p>",
      attachments: [{ filename: "a.txt", content: "same bytes" }],
    };
    await sendOver(emulator, "relay", message);
    await sendOver(emulator, "graph", message);
    await page.goto(emulator.web.url);
    for (const path of ["Relay / direct send", "Graph sendMail"]) {
      await page.getByLabel(`Compare Same message, two paths (${path})`).check();
    }
    await page.getByRole("button", { name: "Compare two selected" }).click();
    await page.locator("#parity-summary").waitFor();
    const row = (name) => page.locator("table.parity tr", { hasText: name }).first();
    expect(await row("Path").getAttribute("class")).toBe("differs expected");
    expect(await row("Sent Items copy").getAttribute("class")).toBe("differs");
    expect(await row("Subject").getAttribute("class")).toBe("same");
    expect(await row("Attachments").getAttribute("class")).toBe("same");
    expect(await row("Text body").getAttribute("class")).toBe("same");
    await page.getByLabel("Show only the fields that differ").check();
    expect(await row("Subject").isVisible()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, "sandbox-parity.png") });
  });

  it("moves through the list with the keyboard", async () => {
    await sendOver(emulator, "smtp", { subject: "Keyboard one", text: "1" });
    await sendOver(emulator, "smtp", { subject: "Keyboard two", text: "2" });
    await page.goto(emulator.web.url);
    await page.keyboard.press("j");
    await expectFocus(page.locator("#messages a.open").first());
    await page.keyboard.press("j");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("h1").textContent(), POLL).toMatch("Keyboard one");
    await page.goto(emulator.web.url);
    await page.keyboard.press("/");
    await expectFocus(page.getByLabel("Search sender, recipient or subject"));
  });
});
