// A worker process for the cross-process tests and benchmarks' shape: an outbox over SMTP
// (one connection per send) pointed at an emulator, reporting its events to the parent over
// IPC. Run with `node --import tsx worker-process.ts '<config JSON>'`.
import type { TransportLimits } from "@mailpath/core";
import { createOutbox } from "../../src/index.js";
import { createSmtpTransportFor, type SmtpTarget } from "./smtp.js";

/** What the parent passes (as JSON in argv[2]). */
export interface WorkerProcessConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly smtp: SmtpTarget;
  readonly limits: TransportLimits;
  readonly concurrency?: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

/** What the child reports. */
export type WorkerProcessMessage =
  | { type: "ready"; pid: number }
  | { type: "failed-to-start"; error: string }
  | { type: "attempt"; id: string; messageId: string; attempt: number; ambiguous: boolean }
  | { type: "sent"; id: string; messageId: string; attempts: number; ambiguous: boolean }
  | { type: "retrying"; id: string; code: string; throttled: boolean }
  | { type: "dead"; id: string; code: string };

const config = JSON.parse(process.argv[2] ?? "{}") as WorkerProcessConfig;
const report = (message: WorkerProcessMessage) => process.send?.(message);

const outbox = createOutbox({
  connection: config.redisUrl,
  queue: { prefix: config.prefix },
  transport: () => createSmtpTransportFor(config.smtp, config.limits),
});
outbox.on("attempt", (event) => report({ type: "attempt", ...event }));
outbox.on("sent", ({ id, messageId, attempts, ambiguous }) =>
  report({ type: "sent", id, messageId, attempts, ambiguous }),
);
outbox.on("retrying", ({ id, code, throttled }) =>
  report({ type: "retrying", id, code, throttled }),
);
outbox.on("dead", ({ id, code }) => report({ type: "dead", id, code }));
outbox.on("error", () => {});

process.on("message", async (message: { type: string; timeoutMs?: number }) => {
  if (message.type !== "close") return;
  await outbox.close({ timeoutMs: message.timeoutMs ?? 10_000 });
  process.exit(0);
});

try {
  await outbox.startWorker({
    ...(config.concurrency !== undefined && { concurrency: config.concurrency }),
    ...(config.lockDurationMs !== undefined && { lockDurationMs: config.lockDurationMs }),
    ...(config.stalledIntervalMs !== undefined && { stalledIntervalMs: config.stalledIntervalMs }),
    discoveryIntervalMs: 200,
  });
  report({ type: "ready", pid: process.pid });
} catch (error) {
  report({ type: "failed-to-start", error: String(error) });
  process.exit(1);
}
