import { createHash } from "node:crypto";
import nodemailer, { type SendMailOptions } from "nodemailer";
import { describe, expect, it } from "vitest";
import { createMailStore, parseDelivery } from "./store.js";

/** Builds raw MIME exactly as nodemailer would put it on the wire. */
async function compose(message: SendMailOptions) {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await transport.sendMail(message);
  return { raw: info.message as Buffer, envelope: info.envelope as { from: string; to: string[] } };
}

const png = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082",
  "hex",
);
const binary = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 37) % 256));

describe("parseDelivery", () => {
  it("parses addresses, bodies, headers, importance and attachments with their sha256", async () => {
    const { raw, envelope } = await compose({
      from: { name: "Ada Lovelace", address: "ada@contoso.com" },
      to: [{ name: "Grâce Hopper", address: "grace@contoso.com" }],
      cc: "alan@contoso.com",
      bcc: "secret@fabrikam.com",
      replyTo: "replies@contoso.com",
      subject: "Rapport trimestriel — été",
      text: "Bonjour — voici le rapport.",
      html: '<p>Bonjour <img src="cid:logo@contoso"></p>',
      priority: "high",
      headers: { "X-Campaign": "q3" },
      messageId: "<q3-report@contoso.com>",
      attachments: [
        { filename: "report.bin", content: binary, contentType: "application/octet-stream" },
        { filename: "logo.png", content: png, cid: "logo@contoso", contentType: "image/png" },
      ],
    });
    const message = await parseDelivery(
      { path: "smtp", envelope, raw, submittedBy: "ada@contoso.com" },
      new Date(0),
    );
    expect(message.path).toBe("smtp");
    expect(message.submittedBy).toBe("ada@contoso.com");
    expect(message.messageId).toBe("<q3-report@contoso.com>");
    expect(message.subject).toBe("Rapport trimestriel — été");
    expect(message.from).toEqual({ address: "ada@contoso.com", name: "Ada Lovelace" });
    expect(message.to).toEqual([{ address: "grace@contoso.com", name: "Grâce Hopper" }]);
    expect(message.cc).toEqual([{ address: "alan@contoso.com" }]);
    expect(message.bcc).toEqual([{ address: "secret@fabrikam.com" }]);
    expect(message.replyTo).toEqual([{ address: "replies@contoso.com" }]);
    expect(message.text?.trim()).toBe("Bonjour — voici le rapport.");
    expect(message.html).toContain('src="cid:logo@contoso"');
    expect(message.importance).toBe("high");
    expect(message.headers["x-campaign"]).toBe("q3");
    expect(message.raw).toContain("X-Campaign: q3");
    const byName = [...message.attachments].sort((left, right) =>
      (left.filename ?? "").localeCompare(right.filename ?? ""),
    );
    expect(byName).toEqual([
      {
        filename: "logo.png",
        contentType: "image/png",
        size: png.length,
        sha256: createHash("sha256").update(png).digest("hex"),
        contentId: "logo@contoso",
        inline: true,
      },
      {
        filename: "report.bin",
        contentType: "application/octet-stream",
        size: binary.length,
        sha256: createHash("sha256").update(binary).digest("hex"),
        inline: false,
      },
    ]);
  });

  it("reads importance from an Importance header and leaves it unset when absent", async () => {
    const low = await compose({
      from: "a@contoso.com",
      to: "b@contoso.com",
      subject: "s",
      text: "t",
      headers: { Importance: "Low" },
    });
    const plain = await compose({
      from: "a@contoso.com",
      to: "b@contoso.com",
      subject: "s",
      text: "t",
    });
    expect((await parseDelivery({ path: "smtp", ...low }, new Date())).importance).toBe("low");
    expect(
      (await parseDelivery({ path: "smtp", ...plain }, new Date())).importance,
    ).toBeUndefined();
  });
});

describe("createMailStore", () => {
  it("resolves waitFor once enough messages arrived and times out otherwise", async () => {
    const store = createMailStore(() => Date.UTC(2026, 0, 1));
    const waiting = store.waitFor(2, { timeoutMs: 2_000 });
    const first = await compose({
      from: "a@contoso.com",
      to: "b@contoso.com",
      subject: "1",
      text: "1",
    });
    const second = await compose({
      from: "a@contoso.com",
      to: "b@contoso.com",
      subject: "2",
      text: "2",
    });
    await store.deliver({ path: "relay", ...first });
    await store.deliver({ path: "relay", ...second });
    const delivered = await waiting;
    expect(delivered.map((message) => message.subject)).toEqual(["1", "2"]);
    expect(delivered[0]?.receivedAt.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    await expect(store.waitFor(3, { timeoutMs: 20 })).rejects.toThrow(
      "waited 20 ms for 3 delivered message(s), got 2",
    );
    store.clear();
    expect(store.list()).toEqual([]);
  });
});
