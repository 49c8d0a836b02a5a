import { Readable } from "node:stream";
import { createSecureContext, type SecureContext } from "node:tls";
import {
  type AbortSignalLike,
  attemptAbortSignal,
  MailError,
  type NormalizedMessage,
  smtpErrorToMailError,
  type TransportReceipt,
  type TransportSendOptions,
} from "@mailpath/core";
import nodemailer, {
  type SendMailOptions,
  type SMTPPoolOptions,
  type Transport,
  type Transporter,
} from "nodemailer";
import type MailMessage from "nodemailer/lib/mailer/mail-message";
import { toNodemailerLogger } from "./logger.js";
import { toNodemailerMessage } from "./nodemailer-message.js";
import type { ResolvedSmtpConnection } from "./options.js";
import { toRawMessage } from "./raw-message.js";

/**
 * Where an SMTP-based transport connects and how, after validation.
 * @since 0.1.0
 */
export interface SmtpEndpoint extends ResolvedSmtpConnection {
  /** Transport name in errors. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (otherwise STARTTLS). */
  readonly secure: boolean;
  /** Refuse to go on unless STARTTLS succeeded. */
  readonly requireTLS: boolean;
  /** A TLS client certificate (PEM) and its key, for certificate-matched connectors. */
  readonly clientCertificate?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** nodemailer's `auth`; absent for transports that do not authenticate (the relay). */
  readonly auth?: SMTPPoolOptions["auth"];
}

/**
 * A failure after which the engine may try the same send once more, after `prepare()`:
 * SMTP AUTH uses it to refresh a token the server refused.
 * @since 0.1.0
 */
export interface SmtpRetryOnce {
  /** Whether this failure is the one a retry can fix. */
  matches(error: unknown): boolean;
  /** Runs before the retry; a failure here is the send's failure. */
  prepare(): Promise<unknown>;
}

/**
 * What an SMTP-based transport adds to the shared engine.
 * @since 0.1.0
 */
export interface SmtpEngineOptions {
  readonly endpoint: SmtpEndpoint;
  /** Values removed from every error and log line (passwords, tokens, private keys). */
  readonly secrets: () => readonly (string | undefined)[];
  /** Checks a message before anything is sent; throws a `MailError` to refuse it. */
  readonly precheck?: (message: NormalizedMessage) => void;
  /** Classifies a failure the transport knows better than core's SMTP classifier. */
  readonly classifyError?: (error: unknown) => MailError | undefined;
  readonly retryOnce?: SmtpRetryOnce;
}

/**
 * The shared send, verify and close of SMTP-based transports.
 * @since 0.1.0
 */
export interface SmtpEngine {
  send(message: NormalizedMessage, options: TransportSendOptions): Promise<TransportReceipt>;
  verify(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The message stream of one attempt. Once it has ended the whole message was written, so a
 * failure without a reply is ambiguous: the server may have accepted the message.
 * @since 0.1.0
 */
export interface SmtpSendProgress {
  stream?: Readable;
}

const PROGRESS_KEY = "mailpathProgress";
/** The bytes of a message written by raw-message.ts, streamed as they are (see trackMessageStreams). */
const RAW_KEY = "mailpathRaw";

/**
 * Builds the building blocks of an SMTP-based transport over one nodemailer pool: sending a
 * `NormalizedMessage` with its `AbortSignal`, receipts, and failures classified by core's
 * `smtpErrorToMailError` with the phase (before or after the whole message was written), so
 * an ambiguous failure is marked as such.
 *
 * @param options The endpoint and what the transport adds (precheck, retry, classification).
 * @returns `send`, `verify` and `close` for the transport to expose.
 * @example
 * const engine = createSmtpEngine({ endpoint, secrets: () => [] });
 * const transport = { specificationVersion: "v1", name, limits, ...engine };
 * @since 0.1.0
 */
export function createSmtpEngine(options: SmtpEngineOptions): SmtpEngine {
  const { endpoint, secrets, precheck, classifyError, retryOnce } = options;
  const { name } = endpoint;
  const transporter = nodemailer.createTransport(toSmtpPoolOptions(endpoint, secrets));
  // The pool reports failures through each send's callback; an unhandled 'error' event
  // must never crash the process.
  transporter.on("error", () => {});
  trackMessageStreams(transporter);
  // nodemailer's Mail hands a proxy's socket handler to its transport on the first sendMail or
  // verify; messages handed straight to the pool (sendPrepared) need it there from the start.
  const pool = transporter.transporter;
  if (typeof transporter.getSocket === "function") {
    pool.getSocket = transporter.getSocket;
    transporter.getSocket = false;
  }

  let closed = false;

  const toMailError = (error: unknown, progress?: SmtpSendProgress): MailError =>
    classifyError?.(error) ??
    smtpErrorToMailError(error, {
      transport: name,
      secrets: secrets(),
      phase: progress?.stream?.readableEnded ? "after-data" : "before-data",
    });

  const abortError = (signal: AbortSignalLike, progress?: SmtpSendProgress): MailError =>
    new MailError({
      code: "ABORTED",
      message: `${name}: the send was aborted.`,
      transport: name,
      hint: "The AbortSignal passed to send() fired (or the mailer timed out or closed).",
      ...(progress?.stream?.readableEnded && { ambiguous: true }),
      cause: signal.reason,
    });

  const closedError = (): MailError =>
    new MailError({
      code: "ABORTED",
      message: `${name}: the transport is closed.`,
      transport: name,
      hint: "close() was called on this transport: create a new one to send again.",
    });

  return {
    async send(message, sendOptions) {
      // Read, listened to and handed to the pool, which needs no more: no AbortController is
      // made for an attempt of the mailer's. nodemailer's Mail gets the real signal.
      const signal = attemptAbortSignal(sendOptions);
      if (closed) throw closedError();
      if (signal.aborted) throw abortError(signal);
      precheck?.(message);
      // The common messages are written in one pass (raw-message.ts); nodemailer composes the rest.
      const raw = toRawMessage(message);
      // Bytes and an envelope nodemailer would leave as they are go straight to the pool.
      const envelope = raw === undefined ? undefined : plainEnvelope(message);
      let retried = false;
      for (;;) {
        const progress: SmtpSendProgress = {};
        try {
          const info =
            raw !== undefined && envelope !== undefined
              ? await sendPrepared(
                  pool,
                  new PreparedMessage(raw, envelope, message.messageId, progress),
                  signal,
                )
              : await transporter.sendMail(
                  nodemailerMail(message, raw, sendOptions.signal, progress),
                );
          return toSmtpReceipt(info, name, secrets());
        } catch (error) {
          if (signal.aborted) throw abortError(signal, progress);
          if (retryOnce && !retried && retryOnce.matches(error)) {
            retried = true;
            try {
              await retryOnce.prepare();
            } catch (prepareError) {
              throw toMailError(prepareError);
            }
            if (signal.aborted) throw abortError(signal);
            continue;
          }
          throw toMailError(error, progress);
        }
      }
    },

    async verify() {
      if (closed) throw closedError();
      try {
        await transporter.verify();
      } catch (error) {
        if (!retryOnce?.matches(error)) throw toMailError(error);
        try {
          await retryOnce.prepare();
          await transporter.verify();
        } catch (retryError) {
          throw toMailError(retryError);
        }
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      transporter.close();
    },
  };
}

/** What `transporter.sendMail` gets: nodemailer composes it, or takes our bytes as `raw`. */
function nodemailerMail(
  message: NormalizedMessage,
  raw: Buffer | undefined,
  signal: AbortSignal,
  progress: SmtpSendProgress,
): SendMailOptions & Record<string, unknown> {
  // The two keys of ours ride along in the message data for trackMessageStreams.
  return raw === undefined
    ? { ...toNodemailerMessage(message), signal, [PROGRESS_KEY]: progress }
    : {
        raw,
        messageId: message.messageId,
        envelope: { from: message.from.address, to: [...message.recipients] },
        disableUrlAccess: true,
        signal,
        [PROGRESS_KEY]: progress,
        [RAW_KEY]: raw,
      };
}

/**
 * An address nodemailer's envelope keeps as it is but for the domain's case: a dot-atom local
 * part (nodemailer quotes any other), an ASCII domain whose last label starts with a letter
 * (the URL parser nodemailer runs on domains rewrites a numeric one as an IPv4 address, and
 * punycodes or refuses non-ASCII). Capture 1 is the local part and its "@", 2 the domain.
 */
const ENVELOPE_ADDRESS =
  /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@)((?:[A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*)$/;

/** nodemailer's envelope cap (its `maxRecipients` default); the pool is not asked to check it. */
const NODEMAILER_MAX_RECIPIENTS = 100_000;

/** The SMTP envelope of a message. */
export interface SmtpEnvelope {
  readonly from: string;
  readonly to: readonly string[];
}

/**
 * The envelope nodemailer's composer would make of the message's sender and recipients
 * (domains in lower case; core has removed duplicates, ignoring case), or undefined when an
 * address needs more than that (IDN, a quoted local part, a domain literal): nodemailer then
 * composes the envelope itself.
 */
export function plainEnvelope(message: NormalizedMessage): SmtpEnvelope | undefined {
  if (message.recipients.length > NODEMAILER_MAX_RECIPIENTS) return undefined;
  const from = envelopeAddress(message.from.address);
  if (from === undefined) return undefined;
  const to: string[] = [];
  for (const recipient of message.recipients) {
    const address = envelopeAddress(recipient);
    if (address === undefined) return undefined;
    to.push(address);
  }
  return { from, to };
}

function envelopeAddress(address: string): string | undefined {
  const match = ENVELOPE_ADDRESS.exec(address);
  return match ? `${match[1]}${(match[2] as string).toLowerCase()}` : undefined;
}

/**
 * Message bytes handed to the pool as nodemailer's `Transport.send` reads a message: its
 * envelope, its Message-ID and one stream of it per delivery try (the pool asks again when it
 * puts the message back on the queue). Each stream is kept in `progress`.
 */
class PreparedMessage {
  constructor(
    private readonly raw: Buffer,
    private readonly envelope: SmtpEnvelope,
    private readonly id: string,
    private readonly progress: SmtpSendProgress,
  ) {}

  getEnvelope(): { from: string; to: string[] } {
    // A copy: the pool adds its own fields to what it is given.
    return { from: this.envelope.from, to: [...this.envelope.to] };
  }

  messageId(): string {
    return this.id;
  }

  getHeader(key: string): string | undefined {
    return key.toLowerCase() === "message-id" ? this.id : undefined;
  }

  createReadStream(): Readable {
    return rawStream(this.raw, this.progress);
  }
}

/**
 * A stream of a message already in its final bytes (CRLF, ending with one): it needs none of
 * the MIME node's stages (PassThrough, newline fixer, pipeline), so one chunk, then the end.
 * The stream is kept in `progress`, to tell whether all of it was written.
 */
function rawStream(raw: Buffer, progress: SmtpSendProgress): Readable {
  const stream = new Readable({
    read() {
      this.push(raw);
      this.push(null);
    },
  });
  progress.stream = stream;
  return stream;
}

/**
 * Sends bytes written by raw-message.ts through the pool's `send`, the transport interface
 * nodemailer's `Mail` calls once it has composed a message: the composer's second parse of the
 * bytes (a MIME node, its random boundary, the envelope's address parser) and the plugin steps
 * are skipped, and with them a fifth to a third of the client CPU of a short message
 * (bench/peers). The pool itself is unchanged: its queue, abort handling, requeue and reply
 * parsing. Of `data.signal` the pool reads `aborted` and `reason` and adds and removes one
 * `abort` listener, so it gets the attempt's light signal (`attemptAbortSignal`).
 */
function sendPrepared<T>(
  pool: Transport<T>,
  message: PreparedMessage,
  signal: AbortSignalLike,
): Promise<T> {
  const mail = { data: { signal }, message } as unknown as MailMessage<T>;
  return new Promise((resolve, reject) => {
    pool.send(mail, (error, info) => (error ? reject(error) : resolve(info as T)));
  });
}

/**
 * One TLS context for every connection of the pool: `ca` holds the default roots too
 * (options.ts), which a context per connection would parse again (tens of ms of CPU each).
 * Material Node cannot load leaves it to each connection, which then fails as TLS_ERROR.
 */
function sharedSecureContext(
  tls: SmtpEndpoint["tls"],
  clientCertificate: SmtpEndpoint["clientCertificate"],
): { secureContext?: SecureContext } {
  try {
    return {
      secureContext: createSecureContext({
        ...(tls.ca !== undefined && { ca: tls.ca }),
        minVersion: tls.minVersion,
        ...(clientCertificate !== undefined && {
          cert: clientCertificate.cert,
          key: clientCertificate.key,
        }),
      }),
    };
  } catch {
    return {};
  }
}

/**
 * nodemailer pool options for an endpoint: TLS verified with the given floor, URL access off,
 * and a logger that never writes a secret.
 * @since 0.1.0
 */
export function toSmtpPoolOptions(
  endpoint: SmtpEndpoint,
  secrets: () => readonly (string | undefined)[],
): SMTPPoolOptions & { pool: true } {
  const { tls, clientCertificate } = endpoint;
  return {
    pool: true,
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    requireTLS: endpoint.requireTLS,
    ignoreTLS: false,
    ...(endpoint.ehloName !== undefined && { name: endpoint.ehloName }),
    ...(endpoint.localAddress !== undefined && { localAddress: endpoint.localAddress }),
    connectionTimeout: endpoint.connectionTimeoutMs,
    greetingTimeout: endpoint.greetingTimeoutMs,
    socketTimeout: endpoint.socketTimeoutMs,
    maxConnections: endpoint.maxConnections,
    maxMessages: endpoint.maxMessages,
    // A message is put back on the queue only when a reused connection turned out to be
    // closed before a byte was sent; every other failure goes back to the mailer's retry.
    maxRequeues: 1,
    tls: {
      ...(tls.ca !== undefined && { ca: tls.ca, ...sharedSecureContext(tls, clientCertificate) }),
      ...(clientCertificate !== undefined && {
        cert: clientCertificate.cert,
        key: clientCertificate.key,
      }),
      minVersion: tls.minVersion,
      ...(tls.servername !== undefined && { servername: tls.servername }),
      rejectUnauthorized: true,
    },
    ...(endpoint.auth !== undefined && { auth: endpoint.auth }),
    disableUrlAccess: true,
    // HTTP CONNECT through a proxy: nodemailer opens the tunnel, TLS runs inside it unchanged.
    ...(endpoint.proxy !== undefined && { proxy: endpoint.proxy }),
    logger: endpoint.logger ? toNodemailerLogger(endpoint.logger, secrets) : false,
    // The SMTP dialogue at debug level (AUTH payloads masked by nodemailer and redacted by the
    // logger adapter; the message data is dropped there).
    debug: typeof endpoint.logger?.debug === "function",
  } as SMTPPoolOptions & { pool: true };
}

/**
 * Installs a nodemailer plugin that keeps each attempt's message stream in the
 * `SmtpSendProgress` passed with the message, to tell whether all of it was written.
 * @since 0.1.0
 */
export function trackMessageStreams(transporter: Transporter): void {
  transporter.use("stream", (mail, done) => {
    const progress = (mail.data as Record<string, unknown>)[PROGRESS_KEY] as
      | SmtpSendProgress
      | undefined;
    const source = mail.message as unknown as { createReadStream(...args: unknown[]): Readable };
    const raw = (mail.data as Record<string, unknown>)[RAW_KEY];
    if (progress && Buffer.isBuffer(raw)) {
      source.createReadStream = () => rawStream(raw, progress);
    } else if (progress && typeof source.createReadStream === "function") {
      const create = source.createReadStream.bind(source);
      source.createReadStream = (...args: unknown[]) => {
        const stream = create(...args);
        progress.stream = stream;
        return stream;
      };
    }
    done();
  });
}

/**
 * The receipt for nodemailer's send result.
 * @throws MailError when no recipient was accepted (a receipt is never empty).
 * @since 0.1.0
 */
export function toSmtpReceipt(
  info: { accepted?: unknown[]; rejected?: unknown[]; response?: unknown },
  name: string,
  secrets: readonly (string | undefined)[],
): TransportReceipt {
  const accepted = (info.accepted ?? []).map(toAddressString);
  const rejected = (info.rejected ?? []).map(toAddressString);
  const response = typeof info.response === "string" ? info.response : undefined;
  if (accepted.length === 0) {
    // nodemailer raises EENVELOPE for this; kept as a guard so a receipt is never empty.
    throw smtpErrorToMailError(
      {
        code: "EENVELOPE",
        message: "All recipients were rejected",
        ...(response !== undefined && { response }),
        rejected,
      },
      { transport: name, secrets },
    );
  }
  return { accepted, rejected, ...(response !== undefined && { response }) };
}

function toAddressString(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && "address" in value) {
    return String((value as { address: unknown }).address);
  }
  return String(value);
}
