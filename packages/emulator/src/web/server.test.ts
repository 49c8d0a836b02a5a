import type { DeliveredMessage } from "@mailpath/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createMailStore } from "../store.js";
import { matchesQuery } from "./model.js";
import { startWebInbox, type WebInbox } from "./server.js";

const RAW = [
  "From: Ada <ada@contoso.com>",
  "To: grace@contoso.com",
  "Subject: Weekly report",
  "Message-ID: <r1@contoso.com>",
  "Content-Type: text/html; charset=utf-8",
  "",
  '<p>Hi<img src="https://tracker.example/p.png"><script>alert(1)</script></p>',
  "",
].join("\r\n");

async function inboxWithOneMessage() {
  const store = createMailStore();
  const listeners = new Set<() => void>();
  const message = await store.deliver({
    path: "smtp",
    envelope: { from: "ada@contoso.com", to: ["grace@contoso.com"] },
    raw: RAW,
    savedToSentItems: true,
  });
  const inbox = await startWebInbox({
    list: () => store.list(),
    remove(ids) {
      store.remove(ids);
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  return { store, message, inbox };
}

describe("the sandbox web server", () => {
  let inbox: WebInbox | undefined;
  afterEach(async () => {
    await inbox?.close();
    inbox = undefined;
  });

  it("serves the HTML body with a CSP that allows no script and no remote fetch until asked", async () => {
    const started = await inboxWithOneMessage();
    inbox = started.inbox;
    const body = await fetch(`${inbox.url}message/${started.message.id}/html`);
    const policy = body.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("img-src data:;");
    expect(policy).not.toContain("script-src");
    const remote = await fetch(`${inbox.url}message/${started.message.id}/html?remote=1`);
    const remotePolicy = remote.headers.get("content-security-policy") ?? "";
    expect(remotePolicy).toContain("img-src data: http: https:");
    expect(remotePolicy).toContain("default-src 'none'");
    expect(remotePolicy).not.toContain("script-src");
    const page = await (await fetch(`${inbox.url}message/${started.message.id}`)).text();
    expect(page).toMatch(/<iframe id="html-body"[^>]* sandbox=""/);
    expect(page).toContain(
      '<code id="exchange-reply">250 2.0.0 OK &lt;r1@contoso.com&gt; [Hostname=',
    );
  });

  it("refuses a delete posted from another site and accepts one from its own pages", async () => {
    const started = await inboxWithOneMessage();
    inbox = started.inbox;
    const foreign = await fetch(`${inbox.url}delete-all`, {
      method: "POST",
      headers: { origin: "http://evil.example" },
      redirect: "manual",
    });
    expect(foreign.status).toBe(403);
    expect(started.store.list()).toHaveLength(1);
    const own = await fetch(`${inbox.url}delete-all`, {
      method: "POST",
      headers: { origin: inbox.url.replace(/\/$/, "") },
      redirect: "manual",
    });
    expect(own.status).toBe(303);
    expect(started.store.list()).toHaveLength(0);
  });

  it("escapes what the message carries in the list", async () => {
    const store = createMailStore();
    await store.deliver({
      path: "relay",
      envelope: { from: "x@contoso.com", to: ["grace@contoso.com"] },
      raw: "From: x@contoso.com\r\nSubject: <img src=x onerror=alert(1)>\r\n\r\nhi\r\n",
    });
    inbox = await startWebInbox({
      list: () => store.list(),
      remove() {},
      subscribe: () => () => {},
    });
    const page = await (await fetch(inbox.url)).text();
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page).not.toContain("<img src=x");
  });
});

describe("the sandbox search", () => {
  const message = {
    id: "1",
    path: "smtp",
    envelope: { from: "ada@contoso.com", to: ["grace@contoso.com", "alan@contoso.com"] },
    headers: {},
    subject: "Weekly report",
    from: { address: "ada@contoso.com", name: "Ada Lovelace" },
    to: [{ address: "grace@contoso.com" }],
    cc: [],
    bcc: [{ address: "alan@contoso.com" }],
    replyTo: [],
    attachments: [],
    receivedAt: new Date(0),
  } as DeliveredMessage;

  it.each([
    ["", true],
    ["weekly", true],
    ["from:ada", true],
    ["from:grace", false],
    ["to:alan@contoso.com", true],
    ['subject:"weekly report"', true],
    ["subject:monthly", false],
    ["lovelace report", true],
    ["lovelace monthly", false],
  ])("%j matches: %s", (query, expected) => {
    expect(matchesQuery(message, query)).toBe(expected);
  });
});
