import { format } from "node:util";
import { redactSecrets } from "@mailpath/core";

/**
 * Where the transport's log lines go. `console` fits; so does a pino or winston logger.
 * Lines never contain a password or token.
 * @since 0.1.0
 */
export interface SmtpLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}

type Level = "trace" | "debug" | "info" | "warn" | "error" | "fatal";
type BunyanMethod = (entry?: unknown, message?: unknown, ...args: unknown[]) => void;

const TARGET: Record<Level, keyof SmtpLogger> = {
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
      const write = logger[TARGET[level]];
      if (typeof write !== "function") return;
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
      write.call(logger, redactSecrets(text, secrets()), fields);
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
