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
  return {
    from: message.from,
    to: message.to,
    cc: message.cc,
    bcc: message.bcc,
    replyTo: message.replyTo,
    subject: message.subject,
    text: message.text,
    html: message.html,
    importance: message.importance,
    messageId: message.messageId,
    campaign: message.headers["x-campaign"],
    envelope: message.envelope,
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
      from: { name: "Contoso Notifications", address: DEFAULT_SENDER },
      to: [{ name: "Ada Lovelace", address: "ada@contoso.com" }, "someone@example.org"],
      cc: [{ name: "Grace Hopper", address: "grace@contoso.com" }],
      bcc: "alan@contoso.com",
      replyTo: { name: "Reports", address: "reports@contoso.com" },
      subject: "Parity: Grüße",
      html,
      priority: "high",
      messageId: "<parity-smtp@contoso.com>",
      headers: { "X-Campaign": "q4" },
      attachments: [
        { filename: "report.pdf", content: pdf, contentType: "application/pdf" },
        { filename: "logo.png", content: png, contentType: "image/png", cid: "logo@contoso" },
        { filename: "notes.csv", content: csv },
      ],
    });
    smtp.close();

    const reply = await suite.graph("POST", `/v1.0/users/${DEFAULT_SENDER}/sendMail`, {
      json: {
        message: {
          from: { emailAddress: { name: "Contoso Notifications", address: DEFAULT_SENDER } },
          toRecipients: [
            { emailAddress: { name: "Ada Lovelace", address: "ada@contoso.com" } },
            { emailAddress: { address: "someone@example.org" } },
          ],
          ccRecipients: [{ emailAddress: { name: "Grace Hopper", address: "grace@contoso.com" } }],
          bccRecipients: [{ emailAddress: { address: "alan@contoso.com" } }],
          replyTo: [{ emailAddress: { name: "Reports", address: "reports@contoso.com" } }],
          subject: "Parity: Grüße",
          body: { contentType: "HTML", content: html },
          importance: "high",
          internetMessageId: "<parity-graph@contoso.com>",
          internetMessageHeaders: [{ name: "X-Campaign", value: "q4" }],
          attachments: [
            fileAttachment("report.pdf", pdf, { contentType: "application/pdf" }),
            fileAttachment("logo.png", png, {
              contentType: "image/png",
              isInline: true,
              contentId: "logo@contoso",
            }),
            // No contentType: typed by its name on both paths.
            fileAttachment("notes.csv", csv),
          ],
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
