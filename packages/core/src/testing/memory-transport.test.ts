import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NormalizedMessage } from "../contract/message.js";
import { MailError } from "../errors/mail-error.js";
import { rejectedMailError } from "./mail-error.js";
import { createMemoryStore } from "./memory-store.js";
import { createMemoryTransport } from "./memory-transport.js";

function message(overrides: Partial<NormalizedMessage> = {}): NormalizedMessage {
  const base = {
    messageId: "<abc123@contoso.com>",
    from: { address: "app@contoso.com", name: "App" },
    to: [{ address: "ada@contoso.com", name: "Ada" }],
    cc: [],
    bcc: [],
    replyTo: [],
    subject: "Hello",
    text: "Hello Ada",
    attachments: [],
    headers: {},
    importance: "normal" as const,
    references: [],
  };
  const merged = { ...base, ...overrides };
  return {
    ...merged,
    recipients:
      overrides.recipients ??
      [...merged.to, ...merged.cc, ...merged.bcc].map((address) => address.address),
  };
}

const signal = () => new AbortController().signal;
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

afterEach(() => {
  vi.useRealTimers();
});

describe("createMemoryTransport", () => {
  it("records a send as a DeliveredMessage on the memory path with the rendered fields", async () => {
    const transport = createMemoryTransport();
    const receipt = await transport.send(
      message({
        cc: [{ address: "grace@contoso.com" }],
        bcc: [{ address: "linus@contoso.com" }],
        replyTo: [{ address: "replies@contoso.com" }],
        html: "<p>Hello</p>",
        importance: "high",
        headers: { "X-Campaign": "launch" },
      }),
      { signal: signal() },
    );
    expect(receipt.accepted).toEqual(["ada@contoso.com", "grace@contoso.com", "linus@contoso.com"]);
    expect(receipt.rejected).toEqual([]);
    expect(receipt.response).toContain("<abc123@contoso.com>");

    const [delivered] = transport.messages();
    expect(transport.sent).toHaveLength(1);
    expect(delivered).toMatchObject({
      path: "memory",
      envelope: {
        from: "app@contoso.com",
        to: ["ada@contoso.com", "grace@contoso.com", "linus@contoso.com"],
      },
      messageId: "<abc123@contoso.com>",
      subject: "Hello",
      from: { address: "app@contoso.com", name: "App" },
      to: [{ address: "ada@contoso.com", name: "Ada" }],
      cc: [{ address: "grace@contoso.com" }],
      bcc: [{ address: "linus@contoso.com" }],
      replyTo: [{ address: "replies@contoso.com" }],
      text: "Hello Ada",
      html: "<p>Hello</p>",
      importance: "high",
    });
    expect(delivered?.headers).toMatchObject({
      "message-id": "<abc123@contoso.com>",
      "x-campaign": "launch",
      from: '"App" <app@contoso.com>',
      importance: "high",
    });
    expect(delivered?.headers).not.toHaveProperty("bcc");
    expect(delivered?.receivedAt).toBeInstanceOf(Date);
  });

  it("computes size and SHA-256 of attachments from bytes, strings, files and Readables", async () => {
    const directory = await mkdtemp(join(tmpdir(), "mailpath-memory-"));
    try {
      const file = join(directory, "report.pdf");
      const fileBytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10]);
      await writeFile(file, fileBytes);
      const binary = new Uint8Array([0, 1, 2, 254, 255]);
      const transport = createMemoryTransport();
      await transport.send(
        message({
          attachments: [
            {
              filename: "a.bin",
              content: binary,
              contentType: "application/octet-stream",
              inline: false,
            },
            { filename: "b.txt", content: "héllo", contentType: "text/plain", inline: false },
            {
              filename: "c.txt",
              content: "aGk=",
              encoding: "base64",
              contentType: "text/plain",
              inline: false,
            },
            {
              filename: "report.pdf",
              content: { path: file },
              contentType: "application/pdf",
              inline: false,
            },
            {
              content: Readable.from([Buffer.from("pn"), Buffer.from("g!")]),
              contentType: "image/png",
              contentId: "logo@contoso",
              inline: true,
            },
          ],
        }),
        { signal: signal() },
      );
      expect(transport.sent[0]?.attachments).toEqual([
        {
          filename: "a.bin",
          contentType: "application/octet-stream",
          size: 5,
          sha256: sha256(binary),
          inline: false,
        },
        {
          filename: "b.txt",
          contentType: "text/plain",
          size: 6,
          sha256: sha256("héllo"),
          inline: false,
        },
        {
          filename: "c.txt",
          contentType: "text/plain",
          size: 2,
          sha256: sha256("hi"),
          inline: false,
        },
        {
          filename: "report.pdf",
          contentType: "application/pdf",
          size: 7,
          sha256: sha256(fileBytes),
          inline: false,
        },
        {
          contentType: "image/png",
          size: 4,
          sha256: sha256("png!"),
          contentId: "logo@contoso",
          inline: true,
        },
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("fails the next sends with a scripted code, then delivers again", async () => {
    const transport = createMemoryTransport().failNext("SERVER_ERROR", 2);
    const first = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(first).toMatchObject({ code: "SERVER_ERROR", retryable: true, transport: "memory" });
    await rejectedMailError(transport.send(message(), { signal: signal() }));
    await transport.send(message(), { signal: signal() });
    expect(transport.sent).toHaveLength(1);
    expect(transport.calls).toBe(3);
  });

  it("gives a throttle from a code a retryAfterMs, and keeps the fields it is given", async () => {
    const transport = createMemoryTransport()
      .failNext("THROTTLED")
      .failNext({
        code: "THROTTLED",
        retryAfterMs: 42,
        smtp: {
          replyCode: 432,
          enhancedCode: "4.3.2",
          response: "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
        },
      })
      .failNext(
        new MailError({ code: "AUTH_FAILED", message: "535 5.7.3 Authentication unsuccessful" }),
      );
    expect(await rejectedMailError(transport.send(message(), { signal: signal() }))).toMatchObject({
      code: "THROTTLED",
      retryable: true,
      retryAfterMs: 1_000,
    });
    expect(await rejectedMailError(transport.send(message(), { signal: signal() }))).toMatchObject({
      code: "THROTTLED",
      retryAfterMs: 42,
      smtp: { replyCode: 432, enhancedCode: "4.3.2" },
    });
    expect(await rejectedMailError(transport.send(message(), { signal: signal() }))).toMatchObject({
      code: "AUTH_FAILED",
      retryable: false,
      message: "535 5.7.3 Authentication unsuccessful",
    });
  });

  it("follows a failWith sequence one entry per send", async () => {
    const transport = createMemoryTransport().failWith([
      new MailError({ code: "CONNECTION_FAILED", message: "ECONNRESET", retryable: true }),
      "ok",
      "TIMEOUT",
    ]);
    const outcomes: string[] = [];
    for (let index = 0; index < 4; index++) {
      try {
        await transport.send(message(), { signal: signal() });
        outcomes.push("ok");
      } catch (error) {
        outcomes.push((error as MailError).code);
      }
    }
    expect(outcomes).toEqual(["CONNECTION_FAILED", "ok", "TIMEOUT", "ok"]);
    expect(transport.sent).toHaveLength(2);
  });

  it("records the message and still fails when the scripted failure says it was delivered", async () => {
    const transport = createMemoryTransport().failNext({
      code: "CONNECTION_FAILED",
      delivered: true,
    });
    const error = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", ambiguous: true, retryable: true });
    expect(transport.sent).toHaveLength(1);
  });

  it("fails the given fraction of sends with failRate", async () => {
    const draws = [0.1, 0.9, 0.2, 0.8];
    const transport = createMemoryTransport({ failRate: 0.5, random: () => draws.shift() ?? 0.99 });
    const outcomes: string[] = [];
    for (let index = 0; index < 4; index++) {
      await transport.send(message(), { signal: signal() }).then(
        () => outcomes.push("ok"),
        (error: MailError) => outcomes.push(error.code),
      );
    }
    expect(outcomes).toEqual(["SERVER_ERROR", "ok", "SERVER_ERROR", "ok"]);
    transport.failRate(1, "THROTTLED");
    expect((await rejectedMailError(transport.send(message(), { signal: signal() }))).code).toBe(
      "THROTTLED",
    );
    expect(() => transport.failRate(2)).toThrow(/between 0 and 1/);
  });

  it("reports refused recipients in rejected when others are accepted", async () => {
    const transport = createMemoryTransport().rejectRecipients(["Nobody@Contoso.com"]);
    const receipt = await transport.send(
      message({ to: [{ address: "ada@contoso.com" }], bcc: [{ address: "nobody@contoso.com" }] }),
      { signal: signal() },
    );
    expect(receipt).toMatchObject({
      accepted: ["ada@contoso.com"],
      rejected: ["nobody@contoso.com"],
    });
    expect(transport.sent[0]?.envelope.to).toEqual(["ada@contoso.com"]);
    expect(transport.sent[0]?.bcc).toEqual([]);
  });

  it("throws RECIPIENT_REJECTED and delivers nothing when every recipient is refused", async () => {
    const transport = createMemoryTransport().rejectRecipients(["ada@contoso.com"]);
    const error = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(error).toMatchObject({ code: "RECIPIENT_REJECTED", retryable: false });
    expect(transport.sent).toHaveLength(0);
  });

  it("enforces limits.maxMessageBytes with MESSAGE_TOO_LARGE and advertises the limits", async () => {
    const limits = { maxMessageBytes: 4_096, maxConcurrency: 3 };
    const transport = createMemoryTransport({ limits });
    expect(transport.limits).toEqual(limits);
    const big = new Uint8Array(8_192);
    const error = await rejectedMailError(
      transport.send(
        message({
          attachments: [
            {
              filename: "big.bin",
              content: big,
              contentType: "application/octet-stream",
              inline: false,
            },
          ],
        }),
        { signal: signal() },
      ),
    );
    expect(error).toMatchObject({ code: "MESSAGE_TOO_LARGE", retryable: false });
    expect(transport.sent).toHaveLength(0);
  });

  it("rejects with ABORTED and records nothing when the signal is already aborted", async () => {
    const transport = createMemoryTransport();
    const controller = new AbortController();
    controller.abort();
    expect(
      (await rejectedMailError(transport.send(message(), { signal: controller.signal }))).code,
    ).toBe("ABORTED");
    expect(transport.sent).toHaveLength(0);
  });

  it("rejects with ABORTED when aborted during its latency", async () => {
    vi.useFakeTimers();
    const transport = createMemoryTransport({ latencyMs: 1_000 });
    const controller = new AbortController();
    const sending = rejectedMailError(transport.send(message(), { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(500);
    controller.abort();
    expect((await sending).code).toBe("ABORTED");
    expect(transport.sent).toHaveLength(0);
  });

  it("takes latencyMs to deliver", async () => {
    vi.useFakeTimers();
    const transport = createMemoryTransport({ latencyMs: 1_000 });
    let done = false;
    const sending = transport.send(message(), { signal: signal() }).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sending;
    expect(done).toBe(true);
  });

  it("rethrows a MailError abort reason, such as the mailer's TIMEOUT", async () => {
    const transport = createMemoryTransport();
    const controller = new AbortController();
    controller.abort(
      new MailError({ code: "TIMEOUT", message: "attempt timed out", retryable: true }),
    );
    expect(
      (await rejectedMailError(transport.send(message(), { signal: controller.signal }))).code,
    ).toBe("TIMEOUT");
  });

  it("rejects with ABORTED when aborted right after send() is called", async () => {
    const transport = createMemoryTransport();
    const controller = new AbortController();
    const sending = rejectedMailError(transport.send(message(), { signal: controller.signal }));
    controller.abort();
    expect((await sending).code).toBe("ABORTED");
    expect(transport.sent).toHaveLength(0);
  });

  it("verify() resolves, and fails on demand until cleared", async () => {
    const transport = createMemoryTransport();
    await expect(transport.verify()).resolves.toBeUndefined();
    transport.failVerify();
    expect((await rejectedMailError(transport.verify())).code).toBe("AUTH_FAILED");
    transport.failVerify("CONNECTION_FAILED");
    expect((await rejectedMailError(transport.verify())).code).toBe("CONNECTION_FAILED");
    transport.failVerify(null);
    await expect(transport.verify()).resolves.toBeUndefined();
  });

  it("close() is idempotent and later sends fail with a MailError saying it is closed", async () => {
    const transport = createMemoryTransport();
    await transport.close();
    await transport.close();
    expect(transport.closed).toBe(true);
    const error = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(error.code).toBe("ABORTED");
    expect(error.message).toMatch(/closed/);
    expect((await rejectedMailError(transport.verify())).code).toBe("ABORTED");
  });

  it("waitForMessages resolves once enough messages arrived and times out otherwise", async () => {
    const transport = createMemoryTransport();
    const waiting = transport.waitForMessages(2);
    await transport.send(message(), { signal: signal() });
    await transport.send(message({ messageId: "<second@contoso.com>" }), { signal: signal() });
    expect((await waiting).map((entry) => entry.messageId)).toEqual([
      "<abc123@contoso.com>",
      "<second@contoso.com>",
    ]);

    vi.useFakeTimers();
    const late = rejectedMailError(transport.waitForMessages(3, { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    const error = await late;
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toMatch(/3 message\(s\); 2 arrived/);
  });

  it("reset() forgets messages and scripted behaviour", async () => {
    const transport = createMemoryTransport()
      .failNext("SERVER_ERROR")
      .rejectRecipients(["ada@contoso.com"])
      .failVerify();
    transport.reset();
    await transport.send(message(), { signal: signal() });
    await transport.verify();
    expect(transport.sent).toHaveLength(1);
    transport.reset();
    expect(transport.messages()).toEqual([]);
  });

  it("records into a shared store so several transports report in one place", async () => {
    const store = createMemoryStore();
    const primary = createMemoryTransport({ name: "primary", store });
    const backup = createMemoryTransport({ name: "backup", store });
    await primary.send(message(), { signal: signal() });
    await backup.send(message(), { signal: signal() });
    expect(store.messages().map((entry) => entry.id)).toEqual(["primary-1", "backup-1"]);
    expect(primary.sent).toBe(backup.sent);
  });

  it("refuses a negative latency with INVALID_CONFIG", () => {
    expect(() => createMemoryTransport({ latencyMs: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
  });
});
