import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DEFAULT_SENDER } from "../tenant.js";
import { senderMailboxWith } from "../test-support/tenant.js";
import { GRAPH_AUDIENCE } from "./index.js";
import { useEmulatorSuite } from "./test-support/emulator-suite.js";
import { expectGraphError, type GraphReply } from "./test-support/graph-fetch.js";
import { fileAttachment } from "./test-support/graph-json.js";
import { BOTH_BODIES, expectBothBodiesDelivered, mime, mimeBody } from "./test-support/mime.js";

const MB = 1024 * 1024;

const suite = useEmulatorSuite();
const { graph } = suite;

const MESSAGES = `/v1.0/users/${DEFAULT_SENDER}/messages`;
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function createDraft(): Promise<string> {
  const reply = await graph("POST", MESSAGES, {
    json: {
      subject: "Large attachment",
      body: { contentType: "Text", content: "See attached." },
      toRecipients: [{ emailAddress: { address: "ada@contoso.com" } }],
    },
  });
  expect(reply.status).toBe(201);
  return (reply.json as { id: string }).id;
}

async function createSession(
  draftId: string,
  item: Record<string, unknown>,
  parameter = "AttachmentItem",
): Promise<{ uploadUrl: string; reply: GraphReply }> {
  const reply = await graph("POST", `${MESSAGES}/${draftId}/attachments/createUploadSession`, {
    json: { [parameter]: { attachmentType: "file", ...item } },
  });
  return { uploadUrl: (reply.json as { uploadUrl?: string } | undefined)?.uploadUrl ?? "", reply };
}

function put(
  uploadUrl: string,
  chunk: Buffer,
  start: number,
  total: number,
  headers: Record<string, string> = {},
) {
  return graph("PUT", uploadUrl, {
    token: null,
    body: chunk,
    contentType: "application/octet-stream",
    headers: { "content-range": `bytes ${start}-${start + chunk.length - 1}/${total}`, ...headers },
  });
}

describe("Graph drafts, attachments and upload sessions", () => {
  it("creates a draft (201) with an id and its internetMessageId", async () => {
    const reply = await graph("POST", MESSAGES, {
      json: { subject: "Draft", toRecipients: [{ emailAddress: { address: "ada@contoso.com" } }] },
    });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      id: expect.stringMatching(/^AAMkAD/),
      isDraft: true,
      subject: "Draft",
      internetMessageId: expect.stringMatching(/^<.+@.+>$/),
    });
  });

  it("answers 403 ErrorAccessDenied for a draft when the token lacks Mail.ReadWrite", async () => {
    const token = await suite.emulator.issueAccessToken({
      audience: GRAPH_AUDIENCE,
      roles: ["Mail.Send"],
    });
    const reply = await graph("POST", MESSAGES, { json: { subject: "x" }, token });
    expectGraphError(reply, 403, {
      code: "ErrorAccessDenied",
      message: "Access is denied. Check credentials and try again.",
    });
  });

  it("uploads a 10 MB attachment in ≤ 4 MB chunks without Authorization, then sends the draft", async () => {
    const draftId = await createDraft();
    const content = randomBytes(10 * MB);
    const { uploadUrl, reply } = await createSession(draftId, {
      name: "video.bin",
      size: content.length,
      contentType: "application/octet-stream",
    });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      uploadUrl: expect.stringMatching(
        /^https:\/\/localhost:\d+\/api\/v2\.0\/.+AttachmentSessions/,
      ),
      expirationDateTime: expect.stringMatching(/^\d{4}-/),
      nextExpectedRanges: ["0-"],
    });

    const chunk = 4 * MB;
    const replies: GraphReply[] = [];
    for (let start = 0; start < content.length; start += chunk) {
      replies.push(
        await put(uploadUrl, content.subarray(start, start + chunk), start, content.length),
      );
    }
    expect(replies.map((entry) => entry.status)).toEqual([200, 200, 201]);
    expect(replies[0]?.json).toMatchObject({ nextExpectedRanges: [String(4 * MB)] });
    expect(replies[1]?.json).toMatchObject({ nextExpectedRanges: [String(8 * MB)] });
    expect(replies[2]?.headers.get("location")).toMatch(/\/Attachments\('.+'\)$/);
    expect(replies[2]?.text).toBe("");

    const send = await graph("POST", `${MESSAGES}/${draftId}/send`);
    expect(send.status).toBe(202);
    expect(send.text).toBe("");
    const [message] = await suite.emulator.waitForMessages(1);
    expect(message?.path).toBe("graph");
    expect(message?.attachments).toEqual([
      expect.objectContaining({
        filename: "video.bin",
        size: content.length,
        sha256: sha256(content),
      }),
    ]);
    expect(suite.emulator.stats().maxUploadChunkBytes).toBe(4 * MB);
  });

  it("keeps the draft's internetMessageId and an inline attachment added by POST", async () => {
    const created = await graph("POST", MESSAGES, {
      json: {
        subject: "Inline",
        body: { contentType: "HTML", content: '<img src="cid:chart">' },
        toRecipients: [{ emailAddress: { address: "ada@contoso.com" } }],
      },
    });
    const draft = created.json as { id: string; internetMessageId: string };
    const png = randomBytes(2048);
    const attached = await graph("POST", `${MESSAGES}/${draft.id}/attachments`, {
      json: fileAttachment("chart.png", png, {
        contentType: "image/png",
        isInline: true,
        contentId: "chart",
      }),
    });
    expect(attached.status).toBe(201);
    expect(attached.json).toMatchObject({
      name: "chart.png",
      size: 2048,
      isInline: true,
      contentId: "chart",
    });
    expect((await graph("POST", `${MESSAGES}/${draft.id}/send`)).status).toBe(202);
    const [message] = await suite.emulator.waitForMessages(1);
    expect(message?.messageId).toBe(draft.internetMessageId);
    expect(message?.attachments).toEqual([
      expect.objectContaining({
        filename: "chart.png",
        inline: true,
        contentId: "chart",
        sha256: sha256(png),
      }),
    ]);
  });

  it("answers 413 to an attachment POST at or over the 3 MB limit", async () => {
    suite.emulator.configure({ limits: { graphMaxInlineAttachmentBytes: 1024 } });
    const draftId = await createDraft();
    const reply = await graph("POST", `${MESSAGES}/${draftId}/attachments`, {
      json: fileAttachment("big.bin", Buffer.alloc(1024)),
    });
    expectGraphError(reply, 413, { code: "RequestEntityTooLarge" });
  });

  it("answers 400 ErrorAttachmentSizeShouldNotBeLessThanMinimumSize for an upload session under 3 MB", async () => {
    const draftId = await createDraft();
    const { reply } = await createSession(draftId, { name: "small.bin", size: 1024 });
    expectGraphError(reply, 400, {
      code: "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
      message: "Attachment size must be greater than the minimum size.",
    });
  });

  // Reference §6 (large attachment): the docs write `AttachmentItem`; Graph matches action
  // parameter names case-insensitively, so `attachmentItem` opens a session too.
  it.each(["attachmentItem", "ATTACHMENTITEM"])(
    "opens an upload session when the parameter is spelled %s",
    async (parameter) => {
      const draftId = await createDraft();
      const size = 4 * 1024 * 1024;
      const { uploadUrl, reply } = await createSession(draftId, { name: "a.bin", size }, parameter);
      expect(reply.status).toBe(201);
      expect(uploadUrl).toMatch(/AttachmentSessions\('/);
    },
  );

  it("answers 413 to a chunk over the 4 MB limit and records its size", async () => {
    const draftId = await createDraft();
    const content = randomBytes(6 * MB);
    const { uploadUrl } = await createSession(draftId, { name: "big.bin", size: content.length });
    const reply = await put(uploadUrl, content.subarray(0, 5 * MB), 0, content.length);
    expectGraphError(reply, 413, { code: "RequestEntityTooLarge" });
    expect(suite.emulator.stats().maxUploadChunkBytes).toBe(5 * MB);
    // The session is still at byte 0: the refused chunk was not kept.
    const retry = await put(uploadUrl, content.subarray(0, 4 * MB), 0, content.length);
    expect(retry.json).toMatchObject({ nextExpectedRanges: [String(4 * MB)] });
  });

  it("answers 416 with nextExpectedRanges to a chunk that does not start at the next expected byte", async () => {
    const draftId = await createDraft();
    const content = randomBytes(4 * MB);
    const { uploadUrl } = await createSession(draftId, { name: "a.bin", size: content.length });
    expect((await put(uploadUrl, content.subarray(0, MB), 0, content.length)).status).toBe(200);
    const skipped = await put(uploadUrl, content.subarray(2 * MB, 3 * MB), 2 * MB, content.length);
    expectGraphError(skipped, 416, { code: "ErrorInvalidRange" });
    expect(skipped.json).toMatchObject({ nextExpectedRanges: [String(MB)] });
  });

  it("answers 401 to an upload PUT that carries an Authorization header", async () => {
    const draftId = await createDraft();
    const content = randomBytes(4 * MB);
    const { uploadUrl } = await createSession(draftId, { name: "a.bin", size: content.length });
    const token = await suite.emulator.issueAccessToken({ audience: GRAPH_AUDIENCE });
    const reply = await put(uploadUrl, content.subarray(0, MB), 0, content.length, {
      authorization: `Bearer ${token}`,
    });
    expectGraphError(reply, 401, { code: "InvalidAuthenticationToken" });
  });

  it("deletes a draft (204); sending it afterwards answers 404 ErrorItemNotFound", async () => {
    const draftId = await createDraft();
    const deleted = await graph("DELETE", `${MESSAGES}/${draftId}`);
    expect(deleted.status).toBe(204);
    const send = await graph("POST", `${MESSAGES}/${draftId}/send`);
    expectGraphError(send, 404, { code: "ErrorItemNotFound" });
    expect(suite.emulator.messages()).toHaveLength(0);
  });

  it("refuses to send a draft whose assembled message exceeds the mailbox's MaxSendSize", async () => {
    suite.emulator.configure({ mailboxes: senderMailboxWith({ maxSendBytes: 4 * MB }) });
    const draftId = await createDraft();
    const content = randomBytes(3 * MB + 1);
    const { uploadUrl } = await createSession(draftId, { name: "a.bin", size: content.length });
    expect((await put(uploadUrl, content, 0, content.length)).status).toBe(201);
    const send = await graph("POST", `${MESSAGES}/${draftId}/send`);
    expectGraphError(send, 400, { code: "ErrorMessageSizeExceeded" });
  });
});

describe("Graph drafts created from MIME", () => {
  const threaded = () =>
    mime({
      ...BOTH_BODIES,
      subject: "Quarterly report",
      messageId: "<large-mime@contoso.com>",
      inReplyTo: "<question@contoso.com>",
      references: ["<thread@contoso.com>", "<question@contoso.com>"],
      attachments: [{ filename: "notes.txt", content: "small one" }],
    });

  it("creates a draft (201) from a base64 text/plain MIME body, read from its headers", async () => {
    const reply = await graph("POST", MESSAGES, mimeBody(await threaded()));
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      id: expect.stringMatching(/^AAMkAD/),
      isDraft: true,
      subject: "Quarterly report",
      internetMessageId: "<large-mime@contoso.com>",
      hasAttachments: true,
      toRecipients: [{ emailAddress: { address: "ada@contoso.com" } }],
      bccRecipients: [{ emailAddress: { address: "alan@contoso.com" } }],
      body: { contentType: "html", content: "<p>html body</p>" },
    });
  });

  it("sends a MIME draft with an uploaded 4 MB attachment and keeps every header, both bodies and its parts", async () => {
    const created = await graph("POST", MESSAGES, mimeBody(await threaded()));
    const draftId = (created.json as { id: string }).id;
    const content = randomBytes(4 * MB + 17);
    const { uploadUrl } = await createSession(draftId, {
      name: "report.bin",
      size: content.length,
      contentType: "application/octet-stream",
    });
    const first = await put(uploadUrl, content.subarray(0, 4 * MB), 0, content.length);
    expect(first.status).toBe(200);
    const last = await put(uploadUrl, content.subarray(4 * MB), 4 * MB, content.length);
    expect(last.status).toBe(201);

    const send = await graph("POST", `${MESSAGES}/${draftId}/send`);
    expect(send.error).toBeUndefined();
    expect(send.status).toBe(202);
    const [message] = await suite.emulator.waitForMessages(1);
    expectBothBodiesDelivered(message, "<large-mime@contoso.com>");
    expect(message?.subject).toBe("Quarterly report");
    expect(message?.headers["in-reply-to"]).toBe("<question@contoso.com>");
    expect(message?.headers.references).toBe("<thread@contoso.com> <question@contoso.com>");
    expect(message?.attachments).toEqual([
      expect.objectContaining({ filename: "notes.txt", size: 9 }),
      expect.objectContaining({
        filename: "report.bin",
        size: content.length,
        sha256: sha256(content),
        inline: false,
      }),
    ]);
    // The draft is gone once sent.
    expect((await graph("POST", `${MESSAGES}/${draftId}/send`)).status).toBe(404);
  });

  it("sends a MIME draft without added attachments as it was posted", async () => {
    const raw = await mime({ subject: "No Message-ID given", text: "hello" });
    const withoutId = Buffer.from(
      raw.toString("latin1").replace(/^Message-ID:.*\r\n/im, ""),
      "latin1",
    );
    const created = await graph("POST", MESSAGES, mimeBody(withoutId));
    const draft = created.json as { id: string; internetMessageId: string };
    expect(draft.internetMessageId).toMatch(/^<.+@.+\.prod\.outlook\.com>$/);
    expect((await graph("POST", `${MESSAGES}/${draft.id}/send`)).status).toBe(202);
    const [message] = await suite.emulator.waitForMessages(1);
    expect(message).toMatchObject({
      messageId: draft.internetMessageId,
      subject: "No Message-ID given",
      attachments: [],
    });
    expect(message?.text?.trim()).toBe("hello");
  });

  it("answers 413 RequestEntityTooLarge to a MIME draft over the request limit", async () => {
    suite.emulator.configure({ limits: { graphMaxRequestBytes: 64 * 1024 } });
    const raw = await mime({
      subject: "Too large",
      attachments: [{ filename: "big.bin", content: randomBytes(64 * 1024) }],
    });
    const reply = await graph("POST", MESSAGES, mimeBody(raw));
    expectGraphError(reply, 413, { code: "RequestEntityTooLarge" });
  });

  it("refuses to send a MIME draft to an unknown internal recipient, as sendMail does", async () => {
    const raw = await mime({ to: "nobody@contoso.com", subject: "Unknown" });
    const created = await graph("POST", MESSAGES, mimeBody(raw));
    expect(created.status).toBe(201);
    const id = (created.json as { id: string }).id;
    const send = await graph("POST", `${MESSAGES}/${id}/send`);
    expectGraphError(send, 400, { code: "ErrorInvalidRecipients" });
    expect(suite.emulator.messages()).toHaveLength(0);
  });
});
