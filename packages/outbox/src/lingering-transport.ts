// The transport of a factory (`transport: () => Transport`): a connection opens for a send and
// closes when it is no longer in use, so the connections of a mailbox stay inside its quota
// slots (BullMQ's global concurrency) across processes. A connection lingers `lingerMs` after
// its send: BullMQ hands a worker its next job in the same call that finishes the last one,
// so a busy worker reuses its connection (no TLS handshake and AUTH per message), and an idle
// one closes it long before another process's new session could authenticate (Exchange counts
// sessions from AUTH; a new session needs the greeting, STARTTLS and AUTH first).
import type { Transport } from "@mailpath/core";

interface Idle {
  readonly transport: Transport;
  readonly timer: NodeJS.Timeout;
}

/** A transport that draws its connections from `factory` and closes them when idle. */
export function lingeringTransport(
  factory: () => Transport,
  probe: Transport,
  lingerMs: number,
): Transport {
  const idle: Idle[] = [];
  let closed = false;
  const retire = (transport: Transport) => transport.close?.().catch(() => {});
  return {
    specificationVersion: "v1",
    name: probe.name,
    ...(probe.limits && { limits: probe.limits }),
    async send(message, sendOptions) {
      const reused = idle.pop();
      if (reused) clearTimeout(reused.timer);
      const transport = reused?.transport ?? factory();
      let failed = false;
      try {
        return await transport.send(message, sendOptions);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        // After a failure the connection may be unusable: the next send starts afresh.
        if (failed || closed || lingerMs <= 0) {
          await retire(transport);
        } else {
          const timer = setTimeout(() => {
            const index = idle.findIndex((entry) => entry.transport === transport);
            if (index >= 0) idle.splice(index, 1);
            void retire(transport);
          }, lingerMs);
          timer.unref();
          idle.push({ transport, timer });
        }
      }
    },
    async verify() {
      const transport = factory();
      try {
        await transport.verify?.();
      } finally {
        await retire(transport);
      }
    },
    async close() {
      closed = true;
      for (const entry of idle.splice(0)) {
        clearTimeout(entry.timer);
        await retire(entry.transport);
      }
    },
  };
}
