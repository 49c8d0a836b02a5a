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
  type ResolvedSmtpOptions,
  resolveSmtpOptions,
  type SmtpTransportOptions,
} from "./options.js";

/**
 * An SMTP AUTH submission transport.
 * @since 0.1.0
 */
export interface SmtpTransport extends Transport {
  readonly name: string;
  readonly limits: TransportLimits;
  /** Connects, starts TLS and authenticates on a separate connection; sends nothing. */
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
const TOKEN_ERROR = Symbol("mailpath.tokenError");
/** Tokens remembered for redaction; older ones have expired long before they could leak. */
const REMEMBERED_TOKENS = 8;

// `535 5.7.3` is Exchange's answer to a token it does not accept (expired, wrong audience,
// revoked): the one case where a fresh token can succeed. Not 5.7.30 / 5.7.139.
const REJECTED_TOKEN = /(^|\s)5\.7\.3(?![\d.])/;

/**
 * Creates a transport that submits mail to Exchange Online with SMTP AUTH
 * (`smtp.office365.com:587`, STARTTLS, TLS 1.2 or later, certificates verified), with Basic
 * credentials or XOAUTH2 tokens, over a pool of at most 3 connections per mailbox.
 *
 * @param options Host, credentials, TLS, pool and limits. See `SmtpTransportOptions`.
 * @returns A `Transport` for `createMailer`.
 * @throws MailError `INVALID_CONFIG` when an option is wrong (port 465, `secure: true` on
 *   587, no credentials, a password together with OAuth, TLS below 1.2, …), naming the fix.
 * @example
 * import { createMailer } from "@mailpath/core";
 * import { createClientCredentialsProvider } from "@mailpath/entra";
 * import { createSmtpTransport } from "@mailpath/transport-smtp";
 *
 * const tokenProvider = createClientCredentialsProvider({ tenantId, clientId, clientSecret, target: "smtp" });
 * const mailer = createMailer({
 *   transport: createSmtpTransport({ auth: { user: "notifications@contoso.com", tokenProvider } }),
 *   from: "notifications@contoso.com",
 * });
 * await mailer.send({ to: "ada@contoso.com", subject: "Hello", text: "Hi Ada" });
 * @since 0.1.0
 */
export function createSmtpTransport(options: SmtpTransportOptions): SmtpTransport {
  const resolved = resolveSmtpOptions(options);
  const { name, auth } = resolved;
  const tokens: string[] = [];
  const secrets = (): readonly (string | undefined)[] => [
    auth.kind === "password" ? auth.pass : undefined,
    auth.kind === "accessToken" ? auth.accessToken : undefined,
    ...tokens,
  ];
  const rememberToken = (token: string) => {
    if (tokens.includes(token)) return;
    tokens.push(token);
    if (tokens.length > REMEMBERED_TOKENS) tokens.shift();
  };

  const getToken = async (forceRefresh: boolean): Promise<string> => {
    if (auth.kind !== "tokenProvider") throw new Error("no token provider");
    const token = await auth.tokenProvider.getToken(forceRefresh ? { forceRefresh: true } : {});
    if (typeof token !== "string" || token === "") {
      throw new MailError({
        code: "AUTH_FAILED",
        message: `${name}: the token provider returned no access token.`,
        transport: name,
        hint: "Check the token provider: getToken() must resolve to an access token for https://outlook.office365.com/.default.",
      });
    }
    rememberToken(token);
    return token;
  };

  // One forced refresh at a time: sends that fail together with the same stale token share it.
  let refreshing: Promise<string> | undefined;
  const refreshToken = (): Promise<string> => {
    refreshing ??= getToken(true).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const transporter = nodemailer.createTransport(
    toPoolOptions(resolved, {
      provisionCallback: (_user, renew, callback) => {
        getToken(renew).then(
          (token) => callback(null, token),
          (error: unknown) => {
            // nodemailer rewrites the error it is given (code EAUTH); keep ours beside it.
            const carrier = new Error("The token provider failed") as Error & {
              [TOKEN_ERROR]?: unknown;
            };
            carrier[TOKEN_ERROR] = error;
            callback(carrier);
          },
        );
      },
      secrets,
    }),
  );
  // The pool reports failures through each send's callback; an unhandled 'error' event
  // must never crash the process.
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

  const toMailError = (error: unknown, progress?: Progress): MailError => {
    const tokenError = (error as { [TOKEN_ERROR]?: unknown } | undefined)?.[TOKEN_ERROR];
    if (tokenError !== undefined) {
      return MailError.isInstance(tokenError)
        ? tokenError.transport === undefined
          ? tokenError.with({ transport: name })
          : tokenError
        : new MailError({
            code: "AUTH_FAILED",
            message: `${name}: the token provider failed.`,
            transport: name,
            hint: "The access token for SMTP could not be obtained: check the token provider's configuration.",
          });
    }
    return smtpErrorToMailError(error, {
      transport: name,
      secrets: secrets(),
      phase: progress?.stream?.readableEnded ? "after-data" : "before-data",
    });
  };

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

  const isRejectedToken = (error: unknown): boolean => {
    if (auth.kind !== "tokenProvider") return false;
    const fields = error as { code?: unknown; responseCode?: unknown; response?: unknown };
    return (
      fields?.code === "EAUTH" &&
      fields.responseCode === 535 &&
      typeof fields.response === "string" &&
      REJECTED_TOKEN.test(fields.response)
    );
  };

  return {
    specificationVersion: "v1",
    name,
    limits: resolved.limits,

    async send(message: NormalizedMessage, sendOptions: TransportSendOptions) {
      const { signal } = sendOptions;
      if (closed) throw closedError();
      if (signal.aborted) throw abortError(signal);
      let refreshed = false;
      for (;;) {
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
          if (!refreshed && isRejectedToken(error)) {
            // The server refused the token: fetch a fresh one once and retry the send once.
            refreshed = true;
            try {
              await refreshToken();
            } catch (refreshError) {
              throw toMailError(refreshError);
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
        if (!isRejectedToken(error)) throw toMailError(error);
        try {
          await refreshToken();
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

interface PoolHooks {
  readonly provisionCallback: NonNullable<
    Extract<SMTPPoolOptions["auth"], { provisionCallback?: unknown }>["provisionCallback"]
  >;
  readonly secrets: () => readonly (string | undefined)[];
}

function toPoolOptions(
  resolved: ResolvedSmtpOptions,
  hooks: PoolHooks,
): SMTPPoolOptions & {
  pool: true;
} {
  const { auth } = resolved;
  return {
    pool: true,
    host: resolved.host,
    port: resolved.port,
    secure: resolved.secure,
    // STARTTLS is mandatory and AUTH is never sent before it.
    requireTLS: true,
    ignoreTLS: false,
    ...(resolved.ehloName !== undefined && { name: resolved.ehloName }),
    ...(resolved.localAddress !== undefined && { localAddress: resolved.localAddress }),
    connectionTimeout: resolved.connectionTimeoutMs,
    greetingTimeout: resolved.greetingTimeoutMs,
    socketTimeout: resolved.socketTimeoutMs,
    maxConnections: resolved.maxConnections,
    maxMessages: resolved.maxMessages,
    // A message is put back on the queue only when a reused connection turned out to be
    // closed before a byte was sent; every other failure goes back to the mailer's retry.
    maxRequeues: 1,
    tls: {
      ...(resolved.tls.ca !== undefined && { ca: resolved.tls.ca }),
      minVersion: resolved.tls.minVersion,
      ...(resolved.tls.servername !== undefined && { servername: resolved.tls.servername }),
      rejectUnauthorized: true,
    },
    auth:
      auth.kind === "password"
        ? { user: auth.user, pass: auth.pass }
        : auth.kind === "accessToken"
          ? { type: "OAuth2", user: auth.user, accessToken: auth.accessToken }
          : { type: "OAuth2", user: auth.user, provisionCallback: hooks.provisionCallback },
    disableUrlAccess: true,
    logger: resolved.logger ? toNodemailerLogger(resolved.logger, hooks.secrets) : false,
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
