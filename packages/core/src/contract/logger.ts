/**
 * Where mailpath's log lines go: the mailer and every transport take one as `logger`.
 * pino, bunyan and `console` fit as they are (each method gets a fields object first, then the
 * message). Missing methods are skipped. Nothing logged ever carries a password, secret,
 * token, private key or message body; addresses appear only as a sender domain, unless a
 * transport's protocol trace at `debug` level needs the envelope.
 * @example
 * import pino from "pino";
 * const mailer = createMailer({ transport, logger: pino({ level: "debug" }) });
 * @since 0.1.0
 */
export interface Logger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}

/**
 * The level names of `Logger`, least to most severe.
 * @since 0.1.0
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
