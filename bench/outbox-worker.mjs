// One outbox worker process for the benchmarks: SMTP AUTH into the emulator, a connection per
// send (the outbox's transport factory), reporting its events to the parent over IPC.
import { createOutbox } from "@mailpath/outbox";
import { createSmtpTransport } from "@mailpath/transport-smtp";

const config = JSON.parse(process.argv[2]);
const report = (message) => process.send?.(message);

const outbox = createOutbox({
  connection: config.redisUrl,
  queue: { prefix: config.prefix },
  transport: () =>
    createSmtpTransport({
      host: config.smtp.host,
      port: config.smtp.port,
      auth: { user: config.smtp.user, pass: config.smtp.pass },
      tls: { ca: config.smtp.ca },
      ...(config.transportLimits && { limits: config.transportLimits }),
    }),
  ...(config.limits && { limits: config.limits }),
  ...(config.retry && { retry: config.retry }),
});
outbox.on("sent", ({ id, messageId, attempts, ambiguous, durationMs }) =>
  report({ type: "sent", id, messageId, attempts, ambiguous, durationMs }),
);
outbox.on("retrying", ({ id, code, throttled }) =>
  report({ type: "retrying", id, code, throttled }),
);
outbox.on("dead", ({ id, code }) => report({ type: "dead", id, code }));
outbox.on("error", () => {});

process.on("message", async (message) => {
  if (message.type !== "close") return;
  await outbox.close({ timeoutMs: 10_000 });
  process.exit(0);
});

try {
  await outbox.startWorker({
    ...(config.concurrency && { concurrency: config.concurrency }),
    ...(config.lockDurationMs && { lockDurationMs: config.lockDurationMs }),
    ...(config.stalledIntervalMs && { stalledIntervalMs: config.stalledIntervalMs }),
    discoveryIntervalMs: 200,
  });
  report({ type: "ready", pid: process.pid });
} catch (error) {
  report({ type: "failed-to-start", error: String(error) });
  process.exit(1);
}
