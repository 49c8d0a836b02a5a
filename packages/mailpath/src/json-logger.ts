// MAILPATH_LOG_LEVEL's logger: one JSON object per line on stdout, the shape pino writes
// (`level`, `time`, `msg`, then the fields), so the same log pipeline reads both.
import type { Logger, LogLevel } from "@mailpath/core";

const ORDER: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/**
 * A `Logger` that writes JSON lines from `level` up, or undefined for `silent`.
 * @param write where each line goes. @default process.stdout
 * @since 0.1.0
 */
export function createJsonLogger(
  level: LogLevel | "silent",
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger | undefined {
  if (level === "silent") return undefined;
  const logger: Logger = {};
  for (const name of Object.keys(ORDER) as LogLevel[]) {
    if (ORDER[name] < ORDER[level]) continue;
    logger[name] = (fields, message) => {
      let line: string;
      try {
        line = JSON.stringify({ level: ORDER[name], time: Date.now(), msg: message, ...fields });
      } catch {
        line = JSON.stringify({ level: ORDER[name], time: Date.now(), msg: message });
      }
      write(`${line}\n`);
    };
  }
  return logger;
}
