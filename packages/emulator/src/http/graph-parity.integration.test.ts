import type { DeliveredMessage } from "@mailpath/core/testing";
import { createTransport } from "nodemailer";
import { describe, expect, it } from "vitest";
import { DEFAULT_PASSWORD, DEFAULT_SENDER } from "../tenant.js";
import { useEmulatorSuite } from "./test-support/emulator-suite.js";
import { fileAttachment } from "./test-support/graph-json.js";

const suite = useEmulatorSuite({ resetTenantAfterEach: false });

const pdf = Buffer.from("%PDF-1.7 parity document\n");
const png = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489",
  "hex",
);
const csv = Buffer.from("region,total\nnorth,42\n");
const html = '<p>Grüße, see <img src="cid:logo@contoso"></p>';

interface Person {
  readonly name?: string;
  readonly address: string;
}

/** Who the message is from and to, written once and rendered for each path. */
const people: Record<"from" | "replyTo", Person> & Record<"to" | "cc" | "bcc", Person[]> = {
  from: { name: "Contoso Notifications", address: DEFAULT_SENDER },
  to: [{ name: "Ada Lovelace", address: "ada@contoso.com" }, { address: "someone@example.org" }],
  cc: [{ name: "Grace Hopper", address: "grace@contoso.com" }],
  bcc: [{ address: "alan@contoso.com" }],
  replyTo: { name: "Reports", address: "reports@contoso.com" },
};

/** The attachments, written once and rendered for each path. */
const files: { name: string; bytes: Buffer; contentType?: string; contentId?: string }[] = [
  { name: "report.pdf", bytes: pdf, contentType: "application/pdf" },
  { name: "logo.png", bytes: png, contentType: "image/png", contentId: "logo@contoso" },
  // No contentType: typed by its name on both paths.
  { name: "notes.csv", bytes: csv },
];

/** A Graph recipient for a person. */
const recipient = (person: Person) => ({ emailAddress: person });

/** The fields a user compares between paths, normalized. */
function fields(message: DeliveredMessage | undefined) {
  if (!message) throw new Error("message not delivered");
  const attachments = [...message.attachments]
    .map(({ filename, contentType, size, sha256, contentId, inline }) => ({
      filename,
      contentType,
      size,
      sha256,
      contentId,
      inline,
    }))
    .sort((left, right) => String(left.filename).localeCompare(String(right.filename)));
  const { from, to, cc, bcc, replyTo, subject, text, html, importance, messageId, envelope } =
    message;
  const campaign = message.headers["x-campaign"];
  return {
    from,
    to,
    cc,
    bcc,
    replyTo,
    subject,
    text,
    html,
    importance,
    messageId,
    campaign,
    envelope,
    attachments,
  };
}

describe("Graph JSON rendering parity with SMTP", () => {
  it("delivers the same fields for the same message sent by SMTP AUTH and by Graph sendMail (JSON)", async () => {
    const smtp = createTransport({
      host: suite.emulator.smtp.host,
      port: suite.emulator.smtp.port,
      secure: false,
      requireTLS: true,
      tls: { ca: suite.emulator.ca, minVersion: "TLSv1.2" },
      auth: { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
    });
    await smtp.sendMail({
      ...people,
      subject: "Parity: Grüße",
      html,
      priority: "high",
      messageId: "<parity-smtp@contoso.com>",
      headers: { "X-Campaign": "q4" },
      attachments: files.map((file) => ({
        filename: file.name,
        content: file.bytes,
        ...(file.contentType !== undefined && { contentType: file.contentType }),
        ...(file.contentId !== undefined && { cid: file.contentId }),
      })),
    });
    smtp.close();

    const reply = await suite.graph("POST", `/v1.0/users/${DEFAULT_SENDER}/sendMail`, {
      json: {
        message: {
          from: recipient(people.from),
          toRecipients: people.to.map(recipient),
          ccRecipients: people.cc.map(recipient),
          bccRecipients: people.bcc.map(recipient),
          replyTo: [recipient(people.replyTo)],
          subject: "Parity: Grüße",
          body: { contentType: "HTML", content: html },
          importance: "high",
          internetMessageId: "<parity-graph@contoso.com>",
          internetMessageHeaders: [{ name: "X-Campaign", value: "q4" }],
          attachments: files.map((file) =>
            fileAttachment(file.name, file.bytes, {
              ...(file.contentType !== undefined && { contentType: file.contentType }),
              ...(file.contentId !== undefined && { isInline: true, contentId: file.contentId }),
            }),
          ),
        },
      },
    });
    expect(reply.status).toBe(202);

    const [viaSmtp, viaGraph] = await suite.emulator.waitForMessages(2);
    expect(viaSmtp?.path).toBe("smtp");
    expect(viaGraph?.path).toBe("graph");
    const { messageId: smtpId, ...smtpFields } = fields(viaSmtp);
    const { messageId: graphId, ...graphFields } = fields(viaGraph);
    expect(graphFields).toEqual(smtpFields);
    expect(graphFields.attachments.map((attachment) => attachment.contentType)).toEqual([
      "image/png",
      "text/csv",
      "application/pdf",
    ]);
    expect([smtpId, graphId]).toEqual(["<parity-smtp@contoso.com>", "<parity-graph@contoso.com>"]);
  });
});
