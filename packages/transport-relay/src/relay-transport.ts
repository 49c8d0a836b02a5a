import type { Readable } from "node:stream";
import {
  MailError,
  type NormalizedMessage,
  smtpErrorToMailError,
  type Transport,
  type TransportLimits,
  type TransportReceipt,
  type TransportSendOptions,
} from "@mailpath/core";
import nodemailer, { type SendMailOptions, type SMTPPoolOptions } from "nodemailer";
import { toNodemailerLogger } from "./logger.js";
import { toNodemailerMessage } from "./nodemailer-message.js";
import {
  isInAcceptedDomain,
  type RelayTransportOptions,
  type ResolvedRelayOptions,
  resolveRelayOptions,
} from "./options.js";

/**
 * A relay-connector / direct-send transport.
 * @since 0.1.0
 */
export interface RelayTransport extends Transport {
  readonly name: string;
  readonly limits: TransportLimits;
  /** The host the transport connects to (derived from `domain` when given). */
  readonly host: string;
  /** Connects and starts TLS (presenting the client certificate, if any); sends nothing. */
  verify(): Promise<void>;
  /** Closes idle pooled connections at once and busy ones after their message. Idempotent. */
  close(): Promise<void>;
}

/**
 * The message stream of one attempt. Once it has ended the whole message was written, so a
 * failure without a reply is ambiguous: the server may have accepted the message.
 */
interface Progress {
  stream?: Readable;
}

const PROGRESS_KEY = "mailpathProgress";

/**
 * Creates a transport that sends to Exchange Online's MX endpoint on port 25 without
 * authentication: through an inbound connector that matches this sender by IP or TLS client
 * certificate, or as direct send to the tenant's own domains.
 *
 * @param options `domain` or `host`, TLS (CA, client certificate), direct-send domains.
 * @returns A `Transport` for `createMailer`.
 * @throws MailError `INVALID_CONFIG` when an option is wrong (both or neither of host and
 *   domain, a certificate without its key, TLS below 1.2, …), naming the fix.
 * @example
 * import { readFileSync } from "node:fs";
 * import { createMailer } from "@mailpath/core";
 * import { createRelayTransport } from "@mailpath/transport-relay";
 *
 * const mailer = createMailer({
 *   transport: createRelayTransport({
 *     domain: "contoso.com", // → contoso-com.mail.protection.outlook.com:25
 *     tls: { cert: readFileSync("relay.pem"), key: readFileSync("relay.key") },
 *   }),
 *   from: "scanner@contoso.com",
 * });
 * await mailer.send({ to: "ada@fabrikam.com", subject: "Scan", text: "Attached." });
 * @since 0.1.0
 */
export function createRelayTransport(options: RelayTransportOptions): RelayTransport {
  const resolved = resolveRelayOptions(options);
  const { name } = resolved;
  const key = resolved.tls.key;
  const secrets = (): readonly (string | undefined)[] => [
    key === undefined ? undefined : key.toString(),
  ];

  const transporter = nodemailer.createTransport(toPoolOptions(resolved, secrets));
  transporter.on("error", () => {});
  // Keeps the message stream of each attempt, to tell whether all of it was written.
  transporter.use("stream", (mail, done) => {
    const progress = (mail.data as Record<string, unknown>)[PROGRESS_KEY] as Progress | undefined;
    const source = mail.message as unknown as { createReadStream(...args: unknown[]): Readable };
    if (progress && typeof source.createReadStream === "function") {
      const create = source.createReadStream.bind(source);
      source.createReadStream = (...args: unknown[]) => {
        const stream = create(...args);
        progress.stream = stream;
        return stream;
      };
    }
    done();
  });

  let closed = false;

  const toMailError = (error: unknown, progress?: Progress): MailError =>
    smtpErrorToMailError(error, {
      transport: name,
      secrets: secrets(),
      phase: progress?.stream?.readableEnded ? "after-data" : "before-data",
    });

  const abortError = (signal: AbortSignal, progress?: Progress): MailError =>
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
    specificationVersion: "v1",
    name,
    host: resolved.host,
    limits: resolved.limits,

    async send(message: NormalizedMessage, sendOptions: TransportSendOptions) {
      const { signal } = sendOptions;
      if (closed) throw closedError();
      if (signal.aborted) throw abortError(signal);
      if (resolved.acceptedDomains) {
        const external = message.recipients.filter(
          (address) => !isInAcceptedDomain(address, resolved.acceptedDomains ?? []),
        );
        if (external.length > 0) {
          // Exchange answers anonymous mail to other domains with 550 5.7.1 Unable to relay (or
          // 5.7.68 when RejectDirectSend is on); refusing here sends nothing half-way.
          throw new MailError({
            code: "RELAY_DENIED",
            message: `${name}: direct send only reaches the tenant's accepted domains; external recipients: ${external.join(", ")}.`,
            transport: name,
            hint: "Direct send cannot reach external recipients: create an inbound connector (New-InboundConnector -ConnectorType OnPremises with -SenderIPAddresses or -TlsSenderCertificateName) and drop directSend, or send with SMTP AUTH or Graph.",
            retryable: false,
            issues: external.map((address) => ({
              path: "recipients",
              message: `${address} is not in an accepted domain`,
            })),
            messageId: message.messageId,
          });
        }
      }
      const progress: Progress = {};
      const mail = {
        ...toNodemailerMessage(message),
        signal,
        [PROGRESS_KEY]: progress,
      } as SendMailOptions;
      try {
        const info = await transporter.sendMail(mail);
        return toReceipt(info, name, secrets());
      } catch (error) {
        if (signal.aborted) throw abortError(signal, progress);
        throw toMailError(error, progress);
      }
    },

    async verify() {
      if (closed) throw closedError();
      try {
        await transporter.verify();
      } catch (error) {
        throw toMailError(error);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      transporter.close();
    },
  };
}

function toPoolOptions(
  resolved: ResolvedRelayOptions,
  secrets: () => readonly (string | undefined)[],
): SMTPPoolOptions & { pool: true } {
  return {
    pool: true,
    host: resolved.host,
    port: resolved.port,
    secure: false,
    requireTLS: resolved.requireTLS,
    ignoreTLS: false,
    ...(resolved.ehloName !== undefined && { name: resolved.ehloName }),
    ...(resolved.localAddress !== undefined && { localAddress: resolved.localAddress }),
    connectionTimeout: resolved.connectionTimeoutMs,
    greetingTimeout: resolved.greetingTimeoutMs,
    socketTimeout: resolved.socketTimeoutMs,
    maxConnections: resolved.maxConnections,
    maxMessages: resolved.maxMessages,
    maxRequeues: 1,
    tls: {
      ...(resolved.tls.ca !== undefined && { ca: resolved.tls.ca }),
      ...(resolved.tls.cert !== undefined && { cert: resolved.tls.cert }),
      ...(resolved.tls.key !== undefined && { key: resolved.tls.key }),
      minVersion: resolved.tls.minVersion,
      ...(resolved.tls.servername !== undefined && { servername: resolved.tls.servername }),
      rejectUnauthorized: true,
    },
    disableUrlAccess: true,
    logger: resolved.logger ? toNodemailerLogger(resolved.logger, secrets) : false,
    debug: false,
  } as SMTPPoolOptions & { pool: true };
}

function toReceipt(
  info: { accepted?: unknown[]; rejected?: unknown[]; response?: unknown },
  name: string,
  secrets: readonly (string | undefined)[],
): TransportReceipt {
  const accepted = (info.accepted ?? []).map(toAddressString);
  const rejected = (info.rejected ?? []).map(toAddressString);
  const response = typeof info.response === "string" ? info.response : undefined;
  if (accepted.length === 0) {
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
