// The sandbox's /api/v1 through the `mailpit-api` client, unchanged: what works against
// Mailpit works against the emulator. Also: --data-dir keeps the inbox across a restart.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MailpitClient } from "mailpit-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendOver, sha256, startSandbox } from "./support.mjs";

describe("the Mailpit API client against the sandbox", () => {
  let emulator;
  let mailpit;
  const attachment = Buffer.from("a,b\n1,2\n");

  beforeAll(async () => {
    emulator = await startSandbox();
    mailpit = new MailpitClient(emulator.web.url);
    await sendOver(emulator, "smtp", {
      subject: "Invoice 42",
      from: "notifications@contoso.com",
      to: "ada@contoso.com",
      cc: "grace@contoso.com",
      text: "Your invoice",
      html: "<p>Your <b>invoice</b></p>",
      attachments: [{ filename: "invoice.csv", content: attachment, contentType: "text/csv" }],
    });
    await sendOver(emulator, "graph", { subject: "Welcome", to: "alan@contoso.com", text: "Hi" });
  });

  afterAll(() => emulator?.stop());

  it("lists messages newest first with Mailpit's summary fields", async () => {
    const list = await mailpit.listMessages();
    expect(list.total).toBe(2);
    expect(list.messages_count).toBe(2);
    expect(list.messages.map((message) => message.Subject)).toEqual(["Welcome", "Invoice 42"]);
    const invoice = list.messages[1];
    expect(invoice.From.Address).toBe("notifications@contoso.com");
    expect(invoice.To).toEqual([{ Name: "", Address: "ada@contoso.com" }]);
    expect(invoice.Cc).toEqual([{ Name: "", Address: "grace@contoso.com" }]);
    expect(invoice.Attachments).toBe(1);
    expect(invoice.Snippet).toBe("Your invoice");
    expect(invoice.Tags).toEqual(["smtp", "sent-items"]);
    expect(new Date(invoice.Created).getTime()).not.toBeNaN();
    const page = await mailpit.listMessages(1, 1);
    expect(page.messages.map((message) => message.Subject)).toEqual(["Invoice 42"]);
  });

  it("searches by sender, recipient and subject", async () => {
    const bySubject = await mailpit.searchMessages({ query: "subject:invoice" });
    expect(bySubject.messages.map((message) => message.Subject)).toEqual(["Invoice 42"]);
    const byRecipient = await mailpit.searchMessages({ query: "to:alan@contoso.com" });
    expect(byRecipient.messages.map((message) => message.Subject)).toEqual(["Welcome"]);
    const bySender = await mailpit.searchMessages({ query: "from:notifications@contoso.com" });
    expect(bySender.messages_count).toBe(2);
    const found = await mailpit.waitForMessage({ query: "subject:Welcome" }, { timeout: 1_000 });
    expect(found.Subject).toBe("Welcome");
  });

  it("gets a message, its headers, its source and its attachment", async () => {
    const message = await mailpit.getMessageSummary();
    expect(message.Subject).toBe("Welcome");
    const invoiceId = (await mailpit.searchMessages({ query: "subject:invoice" })).messages[0].ID;
    const invoice = await mailpit.getMessageSummary(invoiceId);
    expect(invoice.Text.trim()).toBe("Your invoice");
    expect(invoice.HTML).toContain("<b>invoice</b>");
    expect(invoice.ReturnPath).toBe("notifications@contoso.com");
    expect(invoice.Attachments).toHaveLength(1);
    const [part] = invoice.Attachments;
    expect(part.FileName).toBe("invoice.csv");
    expect(part.ContentType).toBe("text/csv");
    expect(part.Size).toBe(attachment.length);
    expect(part.Checksums.SHA256).toBe(sha256(attachment));
    const blob = await mailpit.getMessageAttachment(invoiceId, part.PartID);
    expect(sha256(Buffer.from(await blob.arrayBuffer()))).toBe(sha256(attachment));

    const headers = await mailpit.getMessageHeaders(invoiceId);
    expect(headers.Subject).toEqual(["Invoice 42"]);
    expect(headers["Message-ID"]?.[0]).toMatch(/^<.+>$/);
    const source = await mailpit.getMessageSource(invoiceId);
    expect(source).toContain("Subject: Invoice 42");
    expect(source).toBe(emulator.messages({ subject: "Invoice 42" })[0].raw);
  });

  it("deletes by id, by search and all", async () => {
    await sendOver(emulator, "relay", { subject: "Relay one", text: "1" });
    await sendOver(emulator, "relay", { subject: "Relay two", text: "2" });
    const welcome = (await mailpit.searchMessages({ query: "subject:Welcome" })).messages[0];
    await mailpit.deleteMessages({ IDs: [welcome.ID] });
    expect(emulator.messages().map((message) => message.subject)).not.toContain("Welcome");
    await mailpit.deleteMessagesBySearch({ query: "subject:relay" });
    expect(emulator.messages().map((message) => message.subject)).toEqual(["Invoice 42"]);
    await mailpit.deleteMessages();
    expect((await mailpit.listMessages()).total).toBe(0);
    await expect(mailpit.getMessageSummary(welcome.ID)).rejects.toThrow(/404/);
  });
});

describe("the sandbox with a data directory", () => {
  let directory;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "mailpath-sandbox-"));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it("keeps one .eml per message plus an index, shows them after a restart, and forgets the deleted ones", async () => {
    const first = await startSandbox({ dataDir: directory });
    try {
      await sendOver(first, "smtp", { subject: "Kept", text: "kept" });
      await sendOver(first, "graph", { subject: "Deleted", text: "deleted" });
      const client = new MailpitClient(first.web.url);
      const deleted = (await client.searchMessages({ query: "subject:Deleted" })).messages[0];
      await client.deleteMessages({ IDs: [deleted.ID] });
    } finally {
      await first.stop();
    }
    const second = await startSandbox({ dataDir: directory });
    try {
      const client = new MailpitClient(second.web.url);
      const list = await client.listMessages();
      expect(list.messages.map((message) => message.Subject)).toEqual(["Kept"]);
      const page = await (await fetch(second.web.url)).text();
      expect(page).toContain("Kept");
      expect(page).not.toContain("Deleted");
      expect(await client.getMessageSource(list.messages[0].ID)).toContain("Subject: Kept");
      // One .eml per message plus the index (mailbox.jsonl, sources left out).
      const id = list.messages[0].ID;
      expect(await readdir(join(directory, "messages"))).toEqual([`${id}.eml`]);
      expect(await readFile(join(directory, "messages", `${id}.eml`), "utf8")).toBe(
        second.messages()[0].raw,
      );
      const index = (await readFile(join(directory, "mailbox.jsonl"), "utf8")).trim().split("\n");
      expect(index.map((line) => JSON.parse(line).id)).toEqual([id]);
      expect(JSON.parse(index[0]).raw).toBeUndefined();
    } finally {
      await second.stop();
    }
  });
});
