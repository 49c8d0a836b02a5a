import { createHash } from "node:crypto";
import { GraphError } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import { DEFAULT_CLIENT_ID, DEFAULT_SENDER, defaultTenant } from "../tenant.js";
import { senderMailboxWith } from "../test-support/tenant.js";
import { GRAPH_AUDIENCE, mailboxObjectId } from "./index.js";
import { graphClient } from "./test-support/clients.js";
import { useEmulatorSuite } from "./test-support/emulator-suite.js";
import { expectGraphError } from "./test-support/graph-fetch.js";
import { fileAttachment } from "./test-support/graph-json.js";
import { BOTH_BODIES, expectBothBodiesDelivered, mime, mimeBody } from "./test-support/mime.js";

const suite = useEmulatorSuite();
const { graph } = suite;

const SEND = `/v1.0/users/${DEFAULT_SENDER}/sendMail`;
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const to = (address: string, name?: string) => ({
  emailAddress: name ? { address, name } : { address },
});
const simple = (overrides: Record<string, unknown> = {}) => ({
  message: {
    subject: "Quarterly report",
    body: { contentType: "Text", content: "Numbers attached." },
    toRecipients: [to("ada@contoso.com")],
    ...overrides,
  },
});

describe("Graph sendMail (JSON)", () => {
  it("answers 202 with an empty body and Graph's request-id / client-request-id headers", async () => {
    const reply = await graph("POST", SEND, {
      json: simple(),
      headers: { "client-request-id": "9d1e2f3a-0000-4000-8000-00000000abcd" },
    });
    expect(reply.status).toBe(202);
    expect(reply.text).toBe("");
    expect(reply.headers.get("content-length")).toBe("0");
    expect(reply.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.headers.get("client-request-id")).toBe("9d1e2f3a-0000-4000-8000-00000000abcd");
    expect(suite.emulator.stats().requests.graph).toBe(1);
  });

  it("delivers the message rendered as Exchange would: headers, one html body, bcc only in the envelope", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex");
    const pdf = Buffer.from("%PDF-1.7 emulator test document\n");
    const reply = await graph("POST", SEND, {
      json: {
        message: {
          subject: "Grüße aus Zürich",
          body: { contentType: "HTML", content: '<p>Hallo <img src="cid:logo@contoso"></p>' },
          from: to(DEFAULT_SENDER, "Contoso Notifications"),
          toRecipients: [to("ada@contoso.com", "Ada Lovelace"), to("someone@example.org")],
          ccRecipients: [to("grace@contoso.com", "Grace Hopper")],
          bccRecipients: [to("alan@contoso.com")],
          replyTo: [to("reports@contoso.com", "Reports")],
          importance: "high",
          internetMessageId: "<quarterly-2026@contoso.com>",
          internetMessageHeaders: [{ name: "X-Campaign", value: "q4" }],
          attachments: [
            fileAttachment("report.pdf", pdf, { contentType: "application/pdf" }),
            fileAttachment("logo.png", png, {
              contentType: "image/png",
              isInline: true,
              contentId: "logo@contoso",
            }),
          ],
        },
      },
    });
    expect(reply.status).toBe(202);
    const [message] = await suite.emulator.waitForMessages(1);
    expect(message).toMatchObject({
      path: "graph",
      submittedBy: DEFAULT_CLIENT_ID,
      savedToSentItems: true,
      messageId: "<quarterly-2026@contoso.com>",
      subject: "Grüße aus Zürich",
      from: { address: DEFAULT_SENDER, name: "Contoso Notifications" },
      to: [
        { address: "ada@contoso.com", name: "Ada Lovelace" },
        { address: "someone@example.org" },
      ],
      cc: [{ address: "grace@contoso.com", name: "Grace Hopper" }],
      bcc: [{ address: "alan@contoso.com" }],
      replyTo: [{ address: "reports@contoso.com", name: "Reports" }],
      importance: "high",
      html: '<p>Hallo <img src="cid:logo@contoso"></p>',
      envelope: {
        from: DEFAULT_SENDER,
        to: ["ada@contoso.com", "someone@example.org", "grace@contoso.com", "alan@contoso.com"],
      },
    });
    expect(message?.text ?? "").not.toContain("<p>");
    expect(message?.headers["x-campaign"]).toBe("q4");
    expect(message?.headers.bcc).toBeUndefined();
    expect(message?.raw).not.toMatch(/^bcc:/im);
    expect(message?.attachments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          filename: "report.pdf",
          contentType: "application/pdf",
          sha256: sha256(pdf),
          inline: false,
        }),
        expect.objectContaining({
          filename: "logo.png",
          sha256: sha256(png),
          contentId: "logo@contoso",
          inline: true,
        }),
      ]),
    );
  });

  it("uses the mailbox as From and an Exchange-style Message-ID when the message names neither", async () => {
    await graph("POST", SEND, { json: simple() });
    const [message] = await suite.emulator.waitForMessages(1);
    expect(message?.from).toEqual({ address: DEFAULT_SENDER, name: "Contoso Notifications" });
    expect(message?.messageId).toMatch(/^<[0-9A-Z]+@[0-9A-Z]+\.namprd\d+\.prod\.outlook\.com>$/);
    expect(message?.text?.trim()).toBe("Numbers attached.");
    expect(message?.html).toBeUndefined();
  });

  it("records saveToSentItems: false", async () => {
    await graph("POST", SEND, { json: { ...simple(), saveToSentItems: false } });
    const [message] = await suite.emulator.waitForMessages(1);
    expect(message?.savedToSentItems).toBe(false);
  });

  // Reference §6 (sendMail body): Graph matches action parameter names case-insensitively, so
  // the docs' `message`/`saveToSentItems` and Kiota's `Message`/`SaveToSentItems` both work.
  it.each([
    ["Message", "SaveToSentItems"],
    ["MESSAGE", "savetosentitems"],
  ])("accepts the parameters spelled %s / %s, as production does", async (message, save) => {
    const reply = await graph("POST", SEND, {
      json: { [message]: simple().message, [save]: false },
    });
    expect(reply.status).toBe(202);
    const [delivered] = await suite.emulator.waitForMessages(1);
    expect(delivered?.subject).toBe("Quarterly report");
    expect(delivered?.savedToSentItems).toBe(false);
  });

  it("still answers 400 'The value of the parameter 'Message' is empty.' when no spelling of it is there", async () => {
    const reply = await graph("POST", SEND, { json: { Mesage: simple().message } });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      error: { message: "The value of the parameter 'Message' is empty." },
    });
  });

  it("accepts the mailbox's object id in place of its UPN", async () => {
    const reply = await graph("POST", `/v1.0/users/${mailboxObjectId(DEFAULT_SENDER)}/sendMail`, {
      json: simple(),
    });
    expect(reply.status).toBe(202);
    expect(suite.emulator.messages()).toHaveLength(1);
  });

  it("works with the Graph client (no RetryHandler, customHosts) and surfaces errors as GraphError", async () => {
    const client = graphClient({
      baseUrl: suite.emulator.graph.baseUrl,
      dispatcher: suite.dispatcher,
      token: () => suite.emulator.issueAccessToken({ audience: GRAPH_AUDIENCE }),
    });
    await client.api(`/users/${DEFAULT_SENDER}/sendMail`).post(simple());
    expect(suite.emulator.messages()).toHaveLength(1);
    const failure = await client
      .api(`/users/${DEFAULT_SENDER}/sendMail`)
      .post(simple({ from: to("grace@contoso.com") }))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GraphError);
    expect(failure).toMatchObject({ statusCode: 403, code: "ErrorSendAsDenied" });
    expect((failure as GraphError).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("Graph sendMail (MIME)", () => {
  it("delivers a base64 MIME message as sent: its Message-ID, both bodies and any header", async () => {
    const raw = await mime({
      ...BOTH_BODIES,
      subject: "MIME path",
      messageId: "<mime-path@contoso.com>",
    });
    const reply = await graph("POST", SEND, mimeBody(raw));
    expect(reply.status).toBe(202);
    expect(reply.text).toBe("");
    const [message] = await suite.emulator.waitForMessages(1);
    expectBothBodiesDelivered(message, "<mime-path@contoso.com>");
  });

  // Both MIME entry points, sendMail and a draft's creation, decode the body alike.
  it.each([
    ["sendMail", SEND],
    ["draft", `/v1.0/users/${DEFAULT_SENDER}/messages`],
  ])(
    "answers 400 ErrorMimeContentInvalidBase64String for a %s body that is not base64",
    async (_case, path) => {
      const reply = await graph("POST", path, {
        body: "From: x@contoso.com\r\n\r\nnot base64!",
        contentType: "text/plain",
      });
      expectGraphError(reply, 400, {
        code: "ErrorMimeContentInvalidBase64String",
        message: "Invalid base64 string for MIME content.",
      });
    },
  );

  it("answers 403 ErrorSendAsDenied when the MIME From is another mailbox", async () => {
    const raw = await mime({ from: "grace@contoso.com" });
    const reply = await graph("POST", SEND, mimeBody(raw));
    expectGraphError(reply, 403, { code: "ErrorSendAsDenied" });
  });
});

describe("Graph bearer validation", () => {
  // Every 401 carries Graph's message for the token's fault and a Bearer challenge.
  it.each<[string, () => Promise<string | null>, string]>([
    ["without a token", async () => null, "Access token is empty."],
    [
      "for a token that is not a JWT",
      async () => "not-a-token",
      "CompactToken parsing failed with error code: 80049217",
    ],
    [
      "for an expired token",
      () => suite.emulator.issueAccessToken({ audience: GRAPH_AUDIENCE, lifetimeSeconds: -60 }),
      "Lifetime validation failed, the token is expired.",
    ],
    [
      "for a token issued for outlook.office365.com",
      () => suite.emulator.issueAccessToken({ audience: "https://outlook.office365.com" }),
      "Access token validation failure. Invalid audience.",
    ],
  ])("answers 401 InvalidAuthenticationToken %s", async (_case, token, message) => {
    const reply = await graph("POST", SEND, { json: simple(), token: await token() });
    expectGraphError(reply, 401, { code: "InvalidAuthenticationToken", message });
    expect(reply.headers.get("www-authenticate")).toMatch(/^Bearer /);
  });

  it("answers 403 ErrorAccessDenied when the token lacks Mail.Send", async () => {
    const token = await suite.emulator.issueAccessToken({
      audience: GRAPH_AUDIENCE,
      roles: ["Mail.ReadWrite"],
    });
    const reply = await graph("POST", SEND, { json: simple(), token });
    expectGraphError(reply, 403, {
      code: "ErrorAccessDenied",
      message: "Access is denied. Check credentials and try again.",
    });
    expect(suite.emulator.messages()).toHaveLength(0);
  });

  it("answers 403 ErrorAccessDenied for a mailbox outside the app's scope (RBAC for Applications)", async () => {
    const app = defaultTenant().apps[0];
    if (!app) throw new Error("default tenant has an app");
    suite.emulator.configure({ apps: [{ ...app, mailboxes: ["ada@contoso.com"] }] });
    const reply = await graph("POST", SEND, { json: simple() });
    expectGraphError(reply, 403, {
      code: "ErrorAccessDenied",
      message: "Access is denied. Check credentials and try again.",
    });
  });

  it("puts date, request-id and client-request-id in every error's innerError", async () => {
    const reply = await graph("POST", SEND, {
      json: simple(),
      token: null,
      headers: { "client-request-id": "11111111-2222-4333-8444-555555555555" },
    });
    expect(reply.error?.innerError).toEqual({
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      "request-id": reply.headers.get("request-id"),
      "client-request-id": "11111111-2222-4333-8444-555555555555",
    });
  });
});

describe("Graph sendMail policy errors", () => {
  it.each<[string, Record<string, unknown>, number, { code: string; message: unknown }]>([
    [
      "403 ErrorSendAsDenied when From is another mailbox without Send As",
      { from: to("grace@contoso.com") },
      403,
      {
        code: "ErrorSendAsDenied",
        message:
          "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.",
      },
    ],
    [
      "400 ErrorInvalidRecipients for a malformed address",
      { toRecipients: [to("not an address")] },
      400,
      {
        code: "ErrorInvalidRecipients",
        message:
          "At least one recipient isn't valid., Recipient 'not an address' isn't resolved. All recipients must be resolved before a message can be submitted.",
      },
    ],
    [
      "400 ErrorInvalidRecipients for an unknown address in an accepted domain",
      { ccRecipients: [to("nobody@contoso.com")] },
      400,
      {
        code: "ErrorInvalidRecipients",
        message: expect.stringContaining("Recipient 'nobody@contoso.com' isn't resolved."),
      },
    ],
    [
      "400 ErrorInvalidRecipients for a message without recipients",
      { toRecipients: [] },
      400,
      {
        code: "ErrorInvalidRecipients",
        message:
          "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
      },
    ],
    [
      "400 InvalidInternetMessageHeader for a header that does not start with X-",
      { internetMessageHeaders: [{ name: "List-Unsubscribe", value: "<mailto:u@contoso.com>" }] },
      400,
      {
        code: "InvalidInternetMessageHeader",
        message:
          "The internet message header name 'List-Unsubscribe' should start with 'x-' or 'X-'.",
      },
    ],
    [
      "413 RequestEntityTooLarge for a request body over 4 MB",
      { attachments: [fileAttachment("big.bin", Buffer.alloc(3 * 1024 * 1024 + 512, 7))] },
      413,
      { code: "RequestEntityTooLarge", message: "The maximum request length supported is 4MB." },
    ],
  ])("answers %s", async (_case, overrides, status, error) => {
    const reply = await graph("POST", SEND, { json: simple(overrides) });
    expectGraphError(reply, status, error);
  });

  it("sends as another address when the mailbox has Send As on it", async () => {
    suite.emulator.configure({ mailboxes: senderMailboxWith({ sendAs: ["grace@contoso.com"] }) });
    const reply = await graph("POST", SEND, { json: simple({ from: to("grace@contoso.com") }) });
    expect(reply.status).toBe(202);
    const [message] = await suite.emulator.waitForMessages(1);
    expect(message?.from?.address).toBe("grace@contoso.com");
  });

  it("answers 413 for an inline (POST) attachment at or over the 3 MB limit", async () => {
    suite.emulator.configure({ limits: { graphMaxInlineAttachmentBytes: 1024 } });
    const reply = await graph("POST", SEND, {
      json: simple({
        attachments: [fileAttachment("a.bin", Buffer.alloc(1024))],
      }),
    });
    expectGraphError(reply, 413, {
      code: "RequestEntityTooLarge",
      message: expect.stringMatching(/must be added with an upload session/),
    });
  });

  it("answers 400 ErrorMessageSizeExceeded for a message over the mailbox's MaxSendSize", async () => {
    suite.emulator.configure({ mailboxes: senderMailboxWith({ maxSendBytes: 10_000 }) });
    const reply = await graph("POST", SEND, {
      json: simple({ body: { contentType: "Text", content: "x".repeat(20_000) } }),
    });
    expectGraphError(reply, 400, {
      code: "ErrorMessageSizeExceeded",
      message:
        "The message exceeds the maximum supported size., Cannot save changes made to an item to store.",
    });
  });

  it("answers 404 MailboxNotEnabledForRESTAPI for an unlicensed mailbox", async () => {
    suite.emulator.configure({ mailboxes: senderMailboxWith({ licensed: false }) });
    const reply = await graph("POST", SEND, { json: simple() });
    expectGraphError(reply, 404, {
      code: "MailboxNotEnabledForRESTAPI",
      message: "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    });
  });

  it("answers 404 ErrorInvalidUser for a user the tenant does not have", async () => {
    const reply = await graph("POST", "/v1.0/users/ghost@contoso.com/sendMail", { json: simple() });
    expectGraphError(reply, 404, {
      code: "ErrorInvalidUser",
      message: "The requested user 'ghost@contoso.com' is invalid.",
    });
  });

  it("answers 400 UnableToDeserializePostBody for a body that is not JSON", async () => {
    const reply = await graph("POST", SEND, { body: "{nope", contentType: "application/json" });
    expectGraphError(reply, 400, { code: "UnableToDeserializePostBody" });
  });

  it("answers 400 BadRequest for a segment Graph does not have, even a malformed one", async () => {
    const unknown = await graph("POST", `/v1.0/users/${DEFAULT_SENDER}/sendMails`, {
      json: simple(),
    });
    expectGraphError(unknown, 400, {
      code: "BadRequest",
      message: "Resource not found for the segment 'sendMails'.",
    });
    const malformed = await graph("POST", `/v1.0/users/${DEFAULT_SENDER}/%E0%A4%A`, {
      json: simple(),
    });
    expectGraphError(malformed, 400, { code: "BadRequest" });
  });
});
