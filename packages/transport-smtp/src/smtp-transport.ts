import { MailError, type Transport, type TransportLimits } from "@mailpath/core";
import type { SMTPPoolOptions } from "nodemailer";
import { createSmtpEngine } from "./engine/smtp-engine.js";
import { resolveSmtpOptions, type SmtpTransportOptions } from "./options.js";

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

type ProvisionCallback = NonNullable<
  Extract<SMTPPoolOptions["auth"], { provisionCallback?: unknown }>["provisionCallback"]
>;

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

  const provisionCallback: ProvisionCallback = (_user, renew, callback) => {
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
  };

  // A token provider's own failure, carried through nodemailer beside its EAUTH.
  const classifyError = (error: unknown): MailError | undefined => {
    const tokenError = (error as { [TOKEN_ERROR]?: unknown } | undefined)?.[TOKEN_ERROR];
    if (tokenError === undefined) return undefined;
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
  };

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

  const engine = createSmtpEngine({
    endpoint: {
      ...resolved,
      // STARTTLS is mandatory and AUTH is never sent before it.
      requireTLS: true,
      auth:
        auth.kind === "password"
          ? { user: auth.user, pass: auth.pass }
          : auth.kind === "accessToken"
            ? { type: "OAuth2", user: auth.user, accessToken: auth.accessToken }
            : { type: "OAuth2", user: auth.user, provisionCallback },
    },
    secrets,
    classifyError,
    // The server refused the token: fetch a fresh one once and retry the send once.
    retryOnce: { matches: isRejectedToken, prepare: refreshToken },
  });

  return {
    specificationVersion: "v1",
    name,
    limits: resolved.limits,
    send: (message, sendOptions) => engine.send(message, sendOptions),
    verify: () => engine.verify(),
    close: () => engine.close(),
  };
}
