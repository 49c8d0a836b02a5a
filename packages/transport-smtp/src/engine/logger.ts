import { format } from "node:util";
import { type Logger, redactSecrets } from "@mailpath/core";

/**
 * Where the transport's log lines go: core's `Logger` (pino, bunyan or `console`, each method
 * taking a fields object, then the message). At `debug` it gets nodemailer's protocol trace,
 * the SMTP dialogue with AUTH payloads and the message data left out. Lines never contain a
 * password or token.
 * @since 0.1.0
 */
export type SmtpLogger = Logger;

type Level = "trace" | "debug" | "info" | "warn" | "error" | "fatal";
type BunyanMethod = (entry?: unknown, message?: unknown, ...args: unknown[]) => void;

const TARGET: Record<Level, keyof Logger> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  fatal: "error",
};

/**
 * Adapts a `SmtpLogger` to the bunyan-style logger nodemailer calls, formatting its printf
 * style lines and removing the given secrets (and anything token-shaped) from them.
 * @since 0.1.0
 */
export function toNodemailerLogger(
  logger: SmtpLogger,
  secrets: () => readonly (string | undefined)[],
): Record<Level, BunyanMethod> {
  const method =
    (level: Level): BunyanMethod =>
    (entry, message, ...args) => {
      const write = logger[TARGET[level]] as
        | ((fields: Record<string, unknown>, message: string) => void)
        | undefined;
      if (typeof write !== "function") return;
      // The message itself (nodemailer's debug trace of DATA) is never logged.
      if (
        entry !== null &&
        typeof entry === "object" &&
        (entry as { tnx?: unknown }).tnx === "message"
      )
        return;
      let text: string;
      let fields: Record<string, unknown> = {};
      if (typeof entry === "string") {
        text = format(entry, message, ...args);
      } else {
        text = format(typeof message === "string" ? message : "", ...args);
        if (entry && typeof entry === "object") {
          const { tnx, cid, action } = entry as Record<string, unknown>;
          fields = Object.fromEntries(
            Object.entries({ tnx, cid, action }).filter(([, value]) => value !== undefined),
          );
        }
      }
      if (fields.tnx === "client") {
        // AUTH and its continuation lines carry credentials in base64 (nodemailer masks the
        // password but not the rest): only the mechanism is shown.
        text = text.replace(/^(AUTH\s+\S+)\s.*$/is, "$1 [redacted]");
        if (/^[A-Za-z0-9+/]{8,}={0,2}$/.test(text.trim())) text = "[redacted]";
      }
      write.call(logger, { component: "smtp", ...fields }, redactSecrets(text, secrets()));
    };
  return {
    trace: method("trace"),
    debug: method("debug"),
    info: method("info"),
    warn: method("warn"),
    error: method("error"),
    fatal: method("fatal"),
  };
}
