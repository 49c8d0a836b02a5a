// Guarantees that small, plausible bugs once slipped past every test (issue 17, mutation
// testing), against the emulator's Graph over loopback TLS. Each test fails on the named mutation.
import { type MailMessage, normalizeMessage } from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LARGE_ATTACHMENT_BYTES } from "./index.js";
import { DEFAULT_SENDER, emulatorTransport, recordingFetch } from "./test-support/emulator.js";

const emulator = useEmulator({ beforeAll, afterAll });
beforeEach(() => emulator.reset({ tenant: true }));

const message = (overrides: Partial<MailMessage> = {}) =>
  normalizeMessage(
    { to: "ada@contoso.com", subject: "Survivors", text: "Hello", ...overrides },
    { from: DEFAULT_SENDER },
  );
const signal = () => new AbortController().signal;

describe("a 500 answer to sendMail", () => {
  // Mutation: `status >= 500` becomes `> 500` (a plain 500 not marked ambiguous, so a mailer
  // with retryAmbiguous: false would retry it and could send twice).
  it("is ambiguous: Graph may have taken the message", async () => {
    const transport = emulatorTransport(emulator);
    emulator.failNext({
      endpoint: "graph",
      kind: "reply",
      status: 500,
      errorCode: "InternalServerError",
    });
    const error = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(error).toMatchObject({
      code: "SERVER_ERROR",
      retryable: true,
      ambiguous: true,
      http: { status: 500 },
    });
    await transport.close();
  });
});

describe("the 3 MB upload-session threshold (LARGE_ATTACHMENT_BYTES)", () => {
  const send = async (size: number) => {
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    await transport.send(
      message({
        subject: `Attachment of ${size} bytes`,
        attachments: [{ filename: "data.bin", content: Buffer.alloc(size, 7) }],
      }),
      { signal: signal() },
    );
    await transport.close();
    const [delivered] = await emulator.waitForMessages(1, { timeoutMs: 30_000 });
    expect(delivered?.attachments[0]?.size).toBe(size);
    return recorder.requests.filter((request) => request.method === "PUT").length;
  };

  // Mutation: `size >= LARGE` becomes `>`: exactly 3 MB must go through an upload session.
  it("uploads an attachment of exactly 3 MB through an upload session", async () => {
    expect(await send(LARGE_ATTACHMENT_BYTES)).toBeGreaterThan(0);
  });

  // One byte less is under Graph's 3 MB upload-session minimum, but its base64 in a JSON
  // attachment POST is 4 MB plus the JSON around it, over the 4 MB request limit: no request
  // can carry it. It used to create a draft, get 413 on the attachment POST and delete the
  // draft; it is refused before any request, and nothing is delivered.
  it("refuses an attachment one byte under 3 MB before any request (no way to carry it)", async () => {
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    const size = LARGE_ATTACHMENT_BYTES - 1;
    const error = await rejectedMailError(
      transport.send(
        message({ attachments: [{ filename: "data.bin", content: Buffer.alloc(size, 7) }] }),
        { signal: signal() },
      ),
    );
    await transport.close();
    expect(error).toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      retryable: false,
      hint: expect.stringContaining("make it a few hundred bytes smaller or at least 3 MB"),
    });
    expect(error.message).toContain(`${size} bytes`);
    expect(recorder.requests.filter((request) => request.method !== "GET")).toEqual([]);
    expect(emulator.messages()).toEqual([]);
  });

  // Small enough that the JSON attachment POST fits one request: posted, not uploaded.
  it("posts an attachment whose JSON request fits in 4 MB", async () => {
    expect(await send(3 * 1024 * 1024 - 16 * 1024)).toBe(0);
  });
});
