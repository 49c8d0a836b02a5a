// @ts-check
// The outbox worker on its own: sends what server.mjs (OUTBOX_WORKER=separate) or any other
// replica enqueued, within the sender mailbox's quota shared by every worker. Run as many as
// you like. SIGTERM / SIGINT finish the sends in flight and leave the rest queued in Redis.
import { existsSync } from "node:fs";
import { MailError } from "mailpath";
import { createOutboxFromEnv } from "mailpath/outbox";

if (existsSync(".env")) process.loadEnvFile(".env");

function log(event, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
}

async function main() {
  const outbox = await createOutboxFromEnv();
  for (const event of /** @type {const} */ (["sent", "retrying", "failed", "dead"])) {
    outbox.on(event, (payload) => {
      const { error, ...rest } = /** @type {{ error?: import("mailpath").MailError }} */ (payload);
      log(`outbox.${event}`, error ? { ...rest, error: error.toJSON() } : rest);
    });
  }
  outbox.on("error", (error) => log("outbox.error", { error: error.toJSON() }));
  await outbox.startWorker();
  log("worker.started", { limits: outbox.limits });
  const shutdown = async (signal) => {
    log("shutdown", { signal });
    await outbox.close({ timeoutMs: 10_000 });
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
