// A `MailError`'s `cause` is printed by util.inspect (and by every logger that prints errors),
// so it must not hold what third-party errors carry beside their message: nodemailer keeps
// the `auth` options, HTTP clients keep request options, headers (Authorization) and bodies
// (client_secret=…), sockets keep TLS material. The cause is therefore a copy that keeps what
// helps debugging (name, message, stack, errno-style fields, the SMTP or HTTP status) and
// drops everything else.
import { scrubText } from "./redact.js";

const MARKER = Symbol.for("mailpath.error");
const MAX_DEPTH = 5;

// Fields that describe a failure without carrying credentials.
const KEPT_FIELDS = [
  "code",
  "errno",
  "syscall",
  "address",
  "port",
  "hostname",
  "responseCode",
  "response",
  "command",
  "status",
  "statusCode",
  "errorCode",
  "subError",
] as const;

function keptFields(source: object): Record<string, string | number | boolean> {
  const fields: Record<string, string | number | boolean> = {};
  for (const key of KEPT_FIELDS) {
    let value: unknown;
    try {
      value = (source as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    if (typeof value === "string") fields[key] = scrubText(value);
    else if (typeof value === "number" || typeof value === "boolean") fields[key] = value;
  }
  return fields;
}

function read(source: object, key: string): unknown {
  try {
    return (source as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * A copy of `cause` that is safe to print: a `MailError` is kept as it is; an `Error` becomes
 * an `Error` with the same name, scrubbed message and stack, the errno-style and status fields
 * listed above, and its own cause (and an `AggregateError`'s `errors`) copied the same way;
 * a string is scrubbed; any other object keeps only those fields (and `name`/`message`).
 * Request options, headers, bodies, `auth`, sockets and every other field are dropped.
 * @param cause what was caught
 * @param depth how deep in a cause chain this copy is (copies stop a few levels down); leave it out
 * @returns the copy
 * @since 0.1.0
 */
export function safeCause(cause: unknown, depth = 0): unknown {
  if (cause === undefined || cause === null) return cause;
  if (typeof cause === "string") return scrubText(cause);
  if (typeof cause !== "object") return typeof cause === "function" ? "[function]" : cause;
  if ((cause as Record<symbol, unknown>)[MARKER] === true) return cause;
  if (depth >= MAX_DEPTH) return "[cause chain cut]";

  const name = read(cause, "name");
  const message = read(cause, "message");
  const fields = keptFields(cause);
  if (!(cause instanceof Error)) {
    return {
      ...(typeof name === "string" && { name: scrubText(name) }),
      ...(typeof message === "string" && { message: scrubText(message) }),
      ...fields,
    };
  }
  const inner = read(cause, "cause");
  const copy = new Error(
    typeof message === "string" ? scrubText(message) : "",
    inner === undefined ? undefined : { cause: safeCause(inner, depth + 1) },
  );
  if (typeof name === "string" && name !== "Error") {
    Object.defineProperty(copy, "name", {
      value: scrubText(name),
      configurable: true,
      writable: true,
    });
  }
  const stack = read(cause, "stack");
  // An own `stack` of undefined, as before: the scrubbed copy shows no stack it cannot clean.
  (copy as { stack?: string | undefined }).stack =
    typeof stack === "string" ? scrubText(stack) : undefined;
  Object.assign(copy, fields);
  const errors = read(cause, "errors");
  if (Array.isArray(errors)) {
    Object.assign(copy, { errors: errors.slice(0, 10).map((item) => safeCause(item, depth + 1)) });
  }
  return copy;
}
