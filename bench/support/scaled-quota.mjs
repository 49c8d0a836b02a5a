// Shared by the paced SMTP benchmarks (smtp-throughput part 2, outbox-quota): Exchange Online's
// SMTP AUTH quota of one mailbox, 3 concurrent connections and a message rate per window, with
// the window scaled to seconds so that a run spans many: RATE messages per WINDOW_MS.

/** Exchange Online's limit of concurrent SMTP AUTH connections per mailbox. */
const CONNECTIONS = 3;

/**
 * The quota a run enforces: RATE (default 30) messages per WINDOW_MS (default 2000) from the
 * environment, CONNECTIONS connections.
 */
export function scaledQuota() {
  const rate = Number(process.env.RATE ?? 30);
  const windowMs = Number(process.env.WINDOW_MS ?? 2_000);
  return {
    connections: CONNECTIONS,
    rate,
    windowMs,
    /** Messages per second the quota allows. */
    allowedPerSecond: rate / (windowMs / 1_000),
    /** The emulator's tenant limits that enforce the quota. */
    emulatorLimits: {
      smtpConnectionsPerMailbox: CONNECTIONS,
      smtpMessagesPerWindow: rate,
      smtpMessageWindowMs: windowMs,
    },
    /** mailpath's transport limits that keep to it, the transport told `intervalMs` as window. */
    transportLimits: (intervalMs = windowMs) => ({
      maxConcurrency: CONNECTIONS,
      maxMessagesPerInterval: rate,
      intervalMs,
    }),
    /** The shortest time `messages` can take: the first `rate` go at once, each later batch of `rate` waits one window. */
    idealSeconds: (messages) => (Math.ceil(messages / rate) - 1) * (windowMs / 1_000),
  };
}
