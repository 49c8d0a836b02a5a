import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Address, NormalizedAttachment, NormalizedMessage } from "../contract/message.js";
import type {
  Transport,
  TransportLimits,
  TransportReceipt,
  TransportSendOptions,
} from "../contract/transport.js";
import type { MailErrorCode } from "../errors/codes.js";
import { MailError, type MailErrorOptions } from "../errors/mail-error.js";
import type { DeliveredAttachment, DeliveredMessage } from "./delivered-message.js";
import { createMemoryStore, type MemoryStore } from "./memory-store.js";

/**
 * A scripted failure: a code (the error gets the code's usual `retryable` and a
 * `retryAfterMs` of 1000 for `THROTTLED`), a ready `MailError`, or the fields of one.
 * `delivered: true` records the message before failing: the server took it but the reply was
 * lost (the error is `ambiguous` unless said otherwise).
 * @since 0.1.0
 */
export type MemoryFailure =
  | MailErrorCode
  | MailError
  | ({ readonly code: MailErrorCode; readonly delivered?: boolean } & Partial<
      Omit<MailErrorOptions, "code">
    >);

/**
 * Options of `createMemoryTransport`.
 * @since 0.1.0
 */
export interface MemoryTransportOptions {
  /** @default "memory" */
  readonly name?: string;
  /** Advertised to the mailer; `maxMessageBytes` is also enforced (`MESSAGE_TOO_LARGE`). @default none: no limits */
  readonly limits?: TransportLimits;
  /** Time each send and verify takes; an abort during it rejects with `ABORTED`. @default 0 */
  readonly latencyMs?: number;
  /** Fraction (0–1) of sends that fail with `failRateWith`. @default 0 */
  readonly failRate?: number;
  /** @default "SERVER_ERROR" */
  readonly failRateWith?: MemoryFailure;
  /** Random source for `failRate`. @default Math.random */
  readonly random?: () => number;
  /** Clock for `receivedAt`. @default () => new Date() */
  readonly now?: () => Date;
  /** Where deliveries are recorded; share one between transports. @default a new store */
  readonly store?: MemoryStore;
}

/**
 * A transport that delivers into memory, for tests of code that sends mail. Records every
 * send as a `DeliveredMessage` (path `"memory"`) and fails on demand.
 * @since 0.1.0
 */
export interface MemoryTransport
  extends Transport,
    // The store's view: every delivered message (`sent`, live), a copy, and waiting for them.
    Pick<MemoryStore, "sent" | "messages" | "waitForMessages"> {
  /** How many times `send()` was called, failed or not. */
  readonly calls: number;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Resolves, or fails with what `failVerify` scripted; fails after `close()`. */
  verify(): Promise<void>;
  /** Idempotent; later sends and verifies fail with `ABORTED`. */
  close(): Promise<void>;
  /** The store this transport records into. */
  readonly store: MemoryStore;
  /** Clears the store, the scripted failures, rejected recipients, `failRate` and `failVerify`. */
  reset(): void;
  /** The next `count` sends fail with `failure`. Queued after earlier scripts. @default count 1 */
  failNext(failure: MemoryFailure, count?: number): MemoryTransport;
  /** The next sends follow `sequence` one entry per send: a failure, or `"ok"` to deliver. */
  failWith(sequence: readonly (MemoryFailure | "ok")[]): MemoryTransport;
  /** From now on a fraction `rate` (0–1) of sends fail with `failure`. */
  failRate(rate: number, failure?: MemoryFailure): MemoryTransport;
  /**
   * These addresses are refused. A message with some of them is delivered to the others and
   * they are reported in `rejected`; a message with only refused recipients fails with
   * `RECIPIENT_REJECTED`.
   */
  rejectRecipients(addresses: readonly string[]): MemoryTransport;
  /** `verify()` fails with `failure` until called with `null`. @default "AUTH_FAILED" */
  failVerify(failure?: MemoryFailure | null): MemoryTransport;
}

const RETRYABLE_CODES: ReadonlySet<MailErrorCode> = new Set<MailErrorCode>([
  "THROTTLED",
  "CONNECTION_FAILED",
  "TIMEOUT",
  "SERVER_ERROR",
  "CIRCUIT_OPEN",
]);

/**
 * Creates a transport that records sends in memory and can script failures.
 * @param options its name, limits, latency, store and scripted behaviour
 * @returns a transport that records every delivery
 * @example
 * const transport = createMemoryTransport();
 * const mailer = createMailer({ transport, from: "app@contoso.com" });
 * transport.failNext("THROTTLED"); // first attempt throttled, the retry delivers
 * await mailer.send({ to: "ada@contoso.com", subject: "Hi", text: "Hello" });
 * expect(transport.sent).toHaveLength(1);
 * @since 0.1.0
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  const name = options.name ?? "memory";
  const store = options.store ?? createMemoryStore();
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `latencyMs must be a number >= 0, got ${String(latencyMs)}.`,
      transport: name,
    });
  }

  let script: (MemoryFailure | "ok")[] = [];
  let rate = 0;
  let rateFailure: MemoryFailure = "SERVER_ERROR";
  let rejected = new Set<string>();
  let verifyFailure: MemoryFailure | null = null;
  let calls = 0;
  let closed = false;
  let sequence = 0;

  const setRate = (value: number, failure: MemoryFailure = "SERVER_ERROR") => {
    if (!(value >= 0 && value <= 1)) {
      throw new MailError({
        code: "INVALID_CONFIG",
        message: `failRate must be between 0 and 1, got ${String(value)}.`,
        transport: name,
      });
    }
    rate = value;
    rateFailure = failure;
  };
  setRate(options.failRate ?? 0, options.failRateWith);

  const toError = (failure: MemoryFailure): MailError => {
    if (MailError.isInstance(failure)) return failure;
    const fields = typeof failure === "string" ? { code: failure } : failure;
    const { delivered, ...rest } = fields as { delivered?: boolean } & Partial<MailErrorOptions>;
    const code = rest.code as MailErrorCode;
    return new MailError({
      message: `Scripted failure of the memory transport "${name}": ${code}.`,
      retryable: RETRYABLE_CODES.has(code),
      ...(code === "THROTTLED" && { retryAfterMs: 1_000 }),
      ...(delivered && { ambiguous: true }),
      transport: name,
      ...rest,
      code,
    });
  };

  const closedError = () =>
    new MailError({
      code: "ABORTED",
      message: `The memory transport "${name}" is closed.`,
      transport: name,
      hint: "Create a new transport; a closed one cannot send.",
    });

  const transport: MemoryTransport = {
    specificationVersion: "v1",
    name,
    ...(options.limits && { limits: options.limits }),
    store,
    get sent() {
      return store.sent;
    },
    get calls() {
      return calls;
    },
    get closed() {
      return closed;
    },
    messages: () => store.messages(),
    waitForMessages: (count, waitOptions) => store.waitForMessages(count, waitOptions),
    reset() {
      store.reset();
      script = [];
      rate = 0;
      rateFailure = "SERVER_ERROR";
      rejected = new Set();
      verifyFailure = null;
    },
    failNext(failure, count = 1) {
      for (let index = 0; index < count; index++) script.push(failure);
      return transport;
    },
    failWith(sequenceOfResults) {
      script.push(...sequenceOfResults);
      return transport;
    },
    failRate(value, failure) {
      setRate(value, failure);
      return transport;
    },
    rejectRecipients(addresses) {
      for (const address of addresses) rejected.add(address.toLowerCase());
      return transport;
    },
    failVerify(failure = "AUTH_FAILED") {
      verifyFailure = failure;
      return transport;
    },

    async send(message: NormalizedMessage, sendOptions: TransportSendOptions) {
      calls++;
      const { signal } = sendOptions;
      if (closed) throw closedError();
      await pause(latencyMs, signal, name);

      const scripted = script.shift();
      const failure =
        scripted !== undefined && scripted !== "ok"
          ? scripted
          : scripted === undefined && rate > 0 && random() < rate
            ? rateFailure
            : undefined;

      const accepted = message.recipients.filter((address) => !rejected.has(address.toLowerCase()));
      const refused = message.recipients.filter((address) => rejected.has(address.toLowerCase()));
      const delivered = failure === undefined || isDeliveredFailure(failure);

      if (failure !== undefined && !delivered) throw toError(failure);
      if (accepted.length === 0) {
        throw new MailError({
          code: "RECIPIENT_REJECTED",
          message: `Every recipient was refused: ${refused.join(", ")}.`,
          transport: name,
          messageId: message.messageId,
          hint: "Check the recipient addresses.",
        });
      }

      const attachments = await Promise.all(
        message.attachments.map((attachment) => describeAttachment(attachment, signal, name)),
      );
      const size = estimateSize(message, attachments);
      const maxBytes = options.limits?.maxMessageBytes;
      if (maxBytes !== undefined && size > maxBytes) {
        throw new MailError({
          code: "MESSAGE_TOO_LARGE",
          message: `The message is about ${size} bytes; the memory transport "${name}" takes at most ${maxBytes}.`,
          transport: name,
          messageId: message.messageId,
          hint: "Send smaller attachments or share a link instead.",
        });
      }
      throwIfAborted(signal, name);
      if (closed) throw closedError();

      sequence++;
      store.record(render(message, accepted, attachments, `${name}-${sequence}`, now()));
      if (failure !== undefined) throw toError(failure);
      const receipt: TransportReceipt = {
        accepted,
        rejected: refused,
        response: `250 2.0.0 OK ${message.messageId} queued in memory`,
      };
      return receipt;
    },

    async verify() {
      if (closed) throw closedError();
      await pause(latencyMs, undefined, name);
      if (verifyFailure !== null) throw toError(verifyFailure);
    },

    async close() {
      closed = true;
    },
  };
  return transport;
}

function isDeliveredFailure(failure: MemoryFailure): boolean {
  return (
    typeof failure === "object" && !MailError.isInstance(failure) && failure.delivered === true
  );
}

function abortError(signal: AbortSignal, name: string): MailError {
  // The mailer aborts attempts with a MailError reason (TIMEOUT, ABORTED): keep it.
  if (MailError.isInstance(signal.reason)) return signal.reason;
  return new MailError({
    code: "ABORTED",
    message: "The send was aborted.",
    transport: name,
    cause: signal.reason,
  });
}

function throwIfAborted(signal: AbortSignal, name: string): void {
  if (signal.aborted) throw abortError(signal, name);
}

/** Waits `ms` (at least one turn of the event loop's microtasks), rejecting on abort. */
async function pause(ms: number, signal: AbortSignal | undefined, name: string): Promise<void> {
  if (signal) throwIfAborted(signal, name);
  if (ms <= 0) {
    await Promise.resolve();
  } else {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        if (signal) reject(abortError(signal, name));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
  if (signal) throwIfAborted(signal, name);
}

async function readContent(
  attachment: NormalizedAttachment,
  signal: AbortSignal,
  name: string,
): Promise<Uint8Array> {
  const { content } = attachment;
  if (content instanceof Uint8Array) return content;
  if (typeof content === "string") {
    return Buffer.from(content, attachment.encoding === "base64" ? "base64" : "utf8");
  }
  try {
    if ("path" in content && typeof content.path === "string" && !isReadable(content)) {
      return await readFile(content.path, { signal });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of content as Readable) {
      throwIfAborted(signal, name);
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  } catch (error) {
    if (MailError.isInstance(error)) throw error;
    if (signal.aborted) throw abortError(signal, name);
    throw new MailError({
      code: "INVALID_MESSAGE",
      message: `Could not read the attachment ${attachment.filename ?? attachment.contentId ?? ""}: ${(error as Error).message}`,
      transport: name,
      cause: error,
    });
  }
}

function isReadable(value: unknown): value is Readable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { pipe?: unknown }).pipe === "function" &&
    Symbol.asyncIterator in value
  );
}

async function describeAttachment(
  attachment: NormalizedAttachment,
  signal: AbortSignal,
  name: string,
): Promise<DeliveredAttachment> {
  const bytes = await readContent(attachment, signal, name);
  return {
    ...(attachment.filename !== undefined && { filename: attachment.filename }),
    contentType: attachment.contentType,
    size: bytes.byteLength,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    ...(attachment.contentId !== undefined && { contentId: attachment.contentId }),
    inline: attachment.inline,
  };
}

/** The MIME size as Exchange counts it: bodies plus base64-encoded attachments. */
function estimateSize(message: NormalizedMessage, attachments: readonly DeliveredAttachment[]) {
  let size = 1_024;
  size += Buffer.byteLength(message.subject);
  size += Buffer.byteLength(message.text ?? "");
  size += Buffer.byteLength(message.html ?? "");
  for (const attachment of attachments) size += Math.ceil(attachment.size / 3) * 4;
  return size;
}

function formatAddress(address: Address): string {
  return address.name
    ? `"${address.name.replace(/["\\]/g, "\\$&")}" <${address.address}>`
    : address.address;
}

function render(
  message: NormalizedMessage,
  accepted: readonly string[],
  attachments: readonly DeliveredAttachment[],
  id: string,
  receivedAt: Date,
): DeliveredMessage {
  const acceptedSet = new Set(accepted.map((address) => address.toLowerCase()));
  const headers: Record<string, string> = {};
  for (const [field, value] of Object.entries(message.headers))
    headers[field.toLowerCase()] = value;
  headers["message-id"] = message.messageId;
  headers.from = formatAddress(message.from);
  headers.subject = message.subject;
  if (message.to.length > 0) headers.to = message.to.map(formatAddress).join(", ");
  if (message.cc.length > 0) headers.cc = message.cc.map(formatAddress).join(", ");
  if (message.replyTo.length > 0)
    headers["reply-to"] = message.replyTo.map(formatAddress).join(", ");
  if (message.importance !== "normal") headers.importance = message.importance;
  if (message.inReplyTo !== undefined) headers["in-reply-to"] = message.inReplyTo;
  if (message.references.length > 0) headers.references = message.references.join(" ");
  headers["mime-version"] = "1.0";

  return {
    id,
    path: "memory",
    envelope: { from: message.from.address, to: accepted.slice() },
    headers,
    messageId: message.messageId,
    subject: message.subject,
    from: message.from,
    to: message.to,
    cc: message.cc,
    bcc: message.bcc.filter((address) => acceptedSet.has(address.address.toLowerCase())),
    replyTo: message.replyTo,
    ...(message.text !== undefined && { text: message.text }),
    ...(message.html !== undefined && { html: message.html }),
    importance: message.importance,
    attachments,
    receivedAt,
  };
}
