// Test support: a logger that hands every line, whatever its level, to one function, for tests
// that collect what the transport logs.
import type { LogLevel } from "@mailpath/core";
import type { SmtpLogger } from "../index.js";

/** A logger whose four levels all call `write`, with the level last. */
export function loggerTo(
  write: (fields: Record<string, unknown>, message: string, level: LogLevel) => void,
): SmtpLogger {
  return {
    debug: (fields, message) => write(fields, message, "debug"),
    info: (fields, message) => write(fields, message, "info"),
    warn: (fields, message) => write(fields, message, "warn"),
    error: (fields, message) => write(fields, message, "error"),
  };
}
