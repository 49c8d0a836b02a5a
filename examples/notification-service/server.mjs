// @ts-check
// A notification service: POST /notify with JSON { to, subject, text | html } sends one
// message through whatever MAILPATH_TRANSPORT names. Validation answers 400 with every
// problem, the mailer's events are logged as JSON lines, and SIGTERM / SIGINT drain the
// requests and sends in flight before exiting, for at most SHUTDOWN_TIMEOUT_MS.
// With MAILPATH_REDIS_URL set, /notify stores the message in the durable outbox instead
// (202 with the job id; GET /notify/<id> for its status) and a worker sends it: in this
// process, or in worker.mjs when OUTBOX_WORKER=separate.
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { startEmulator } from "@mailpath/emulator";
import { createMailerFromEnv, MAILER_EVENTS, MailError } from "mailpath";
import { createOutboxFromEnv } from "mailpath/outbox";

if (existsSync(".env")) process.loadEnvFile(".env");

const MAX_BODY_BYTES = 1024 * 1024;
/** How long a shutdown waits for sends in progress (a paced send can be minutes away). */
const SHUTDOWN_TIMEOUT_MS = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
const FIELDS = new Set(["to", "cc", "bcc", "replyTo", "subject", "text", "html", "headers"]);

function log(event, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
}

/** Checks the request body; returns the problems (empty when it can be sent). */
function validate(body) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return [{ path: "body", message: "must be a JSON object" }];
  }
  const issues = [];
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) issues.push({ path: key, message: "is not a known field" });
  }
  const addresses = (value) =>
    typeof value === "string" ||
    (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === "string"));
  if (!addresses(body.to))
    issues.push({ path: "to", message: "must be an address or a list of addresses" });
  for (const key of ["cc", "bcc", "replyTo"]) {
    if (body[key] !== undefined && !addresses(body[key]))
      issues.push({ path: key, message: "must be an address or a list of addresses" });
  }
  if (typeof body.subject !== "string" || body.subject.trim() === "")
    issues.push({ path: "subject", message: "must be a non-empty string" });
  else if (body.subject.length > 255)
    issues.push({ path: "subject", message: "must be 255 characters or fewer" });
  if (typeof body.text !== "string" && typeof body.html !== "string")
    issues.push({ path: "text", message: "give text or html (or both)" });
  if (
    body.headers !== undefined &&
    (typeof body.headers !== "object" ||
      body.headers === null ||
      Object.values(body.headers).some((value) => typeof value !== "string"))
  ) {
    issues.push({ path: "headers", message: "must be an object of strings" });
  }
  return issues;
}

function reply(response, status, body, headers = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

async function readJson(request) {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error("too large"), { status: 413 });
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw Object.assign(new Error("not JSON"), { status: 400 });
  }
}

/** What a failed send answers: the caller's fault (4xx) or the mail path's (5xx). */
function failureStatus(error) {
  if (error.code === "INVALID_MESSAGE" || error.code === "RECIPIENT_REJECTED") return 400;
  if (error.code === "MESSAGE_TOO_LARGE") return 413;
  // ABORTED: the service is shutting down; the caller may send it again elsewhere.
  if (["THROTTLED", "CIRCUIT_OPEN", "QUOTA_EXCEEDED", "ABORTED"].includes(error.code)) return 503;
  return 502;
}

async function main() {
  let emulator;
  let env = process.env;
  if (!process.env.MAILPATH_TRANSPORT) {
    emulator = await startEmulator();
    env = emulator.env({ MAILPATH_TRANSPORT: "graph,smtp" });
    log("emulator", { note: "MAILPATH_TRANSPORT is not set: sending to the local emulator" });
  }
  // The durable outbox (Redis): the message is stored, then sent by a worker within the sender
  // mailbox's quota across every replica. Loaded only when MAILPATH_REDIS_URL is set.
  let outbox;
  if (process.env.MAILPATH_REDIS_URL) {
    if (emulator) {
      env = {
        ...env,
        MAILPATH_REDIS_URL: process.env.MAILPATH_REDIS_URL,
        ...(process.env.MAILPATH_OUTBOX_PREFIX && {
          MAILPATH_OUTBOX_PREFIX: process.env.MAILPATH_OUTBOX_PREFIX,
        }),
      };
    }
    outbox = await createOutboxFromEnv(env);
    for (const event of /** @type {const} */ (["sent", "retrying", "failed", "dead"])) {
      outbox.on(event, (payload) => {
        const { error, ...rest } = /** @type {{ error?: import("mailpath").MailError }} */ (
          payload
        );
        log(`outbox.${event}`, error ? { ...rest, error: error.toJSON() } : rest);
      });
    }
    if (process.env.OUTBOX_WORKER !== "separate") await outbox.startWorker();
  }
  const mailer = await createMailerFromEnv(env);
  // Every event but "attempt" (one per try: too chatty for this log).
  for (const event of MAILER_EVENTS.filter((name) => name !== "attempt")) {
    mailer.on(event, (payload) => {
      const { error, ...rest } = /** @type {{ error?: import("mailpath").MailError }} */ (payload);
      log(`mail.${event}`, error ? { ...rest, error: error.toJSON() } : rest);
    });
  }

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "GET" && url.pathname === "/healthz") {
      return reply(response, 200, { status: "ok", routing: mailer.routing });
    }
    if (request.method === "GET" && url.pathname === "/dev/messages" && emulator) {
      return reply(
        response,
        200,
        emulator.messages().map((message) => ({
          path: message.path,
          subject: message.subject,
          to: message.to.map((entry) => entry.address),
        })),
      );
    }
    if (outbox && request.method === "GET" && url.pathname.startsWith("/notify/")) {
      const status = await outbox.status(decodeURIComponent(url.pathname.slice("/notify/".length)));
      return status ? reply(response, 200, status) : reply(response, 404, { error: "no such job" });
    }
    if (url.pathname !== "/notify") return reply(response, 404, { error: "not found" });
    if (request.method !== "POST")
      return reply(response, 405, { error: "use POST" }, { allow: "POST" });
    let body;
    try {
      body = await readJson(request);
    } catch (error) {
      return reply(response, error.status ?? 400, {
        error: error.status === 413 ? "body over 1 MB" : "body is not JSON",
      });
    }
    const issues = validate(body);
    if (issues.length > 0) return reply(response, 400, { error: "invalid notification", issues });
    try {
      if (outbox) {
        // Stored in Redis once this resolves. A caller that retries with the same
        // Idempotency-Key header gets the same job: the message is sent once.
        const key = request.headers["idempotency-key"];
        const job = await outbox.enqueue(body, {
          ...(typeof key === "string" && key !== "" && { idempotencyKey: key }),
        });
        return reply(response, 202, job, { location: `/notify/${encodeURIComponent(job.id)}` });
      }
      const result = await mailer.send(body);
      return reply(response, 202, {
        messageId: result.messageId,
        transport: result.transport,
        accepted: result.accepted,
        rejected: result.rejected,
        // Above 0: an earlier try may also have been delivered (same messageId).
        ambiguousAttempts: result.ambiguousAttempts,
      });
    } catch (error) {
      if (!MailError.isInstance(error)) {
        log("error", { message: String(error) });
        return reply(response, 500, { error: "internal error" });
      }
      const status = failureStatus(error);
      // Validation failures never reach the mailer's events: log every refusal here.
      log("notify.failed", { status, code: error.code, messageId: error.messageId });
      return reply(
        response,
        status,
        {
          error: error.code,
          message: error.message,
          hint: error.hint,
          issues: error.issues,
          // true: the message may have been delivered anyway; sending it again may duplicate it.
          ambiguous: error.ambiguous === true,
        },
        error.retryAfterMs !== undefined
          ? { "retry-after": String(Math.ceil(error.retryAfterMs / 1000)) }
          : {},
      );
    }
  });

  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? "127.0.0.1";
  await new Promise((resolve) => server.listen(port, host, () => resolve(undefined)));
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  log("listening", {
    url: `http://${host}:${address.port}`,
    routing: mailer.routing,
    outbox: !outbox ? "off" : process.env.OUTBOX_WORKER === "separate" ? "enqueue" : "enqueue+send",
  });

  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    log("shutdown", { signal });
    // A last resort, should closing itself hang.
    const forced = setTimeout(() => {
      log("shutdown.forced", { afterMs: SHUTDOWN_TIMEOUT_MS + 5_000 });
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS + 5_000);
    forced.unref();
    // Stop taking requests; the ones in flight wait for their sends. The mailer gives those
    // SHUTDOWN_TIMEOUT_MS: then a send still queued fails ABORTED with ambiguous: false (never
    // attempted: the caller can send it again), one in flight is aborted (ambiguous: true when
    // the server may have it), and each request is answered 503 with that flag.
    const serverClosed = new Promise((resolve) => {
      server.close(resolve);
      server.closeIdleConnections();
    });
    // Outbox sends in flight finish (or go back to the queue); queued messages stay in Redis.
    await outbox?.close({ timeoutMs: SHUTDOWN_TIMEOUT_MS });
    await mailer.close({ timeoutMs: SHUTDOWN_TIMEOUT_MS });
    await serverClosed;
    await emulator?.stop();
    log("stopped");
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error) => {
  if (MailError.isInstance(error)) log("startup.failed", { error: error.toJSON() });
  else log("startup.failed", { message: String(error) });
  process.exitCode = 1;
});
