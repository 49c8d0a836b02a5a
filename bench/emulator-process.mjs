// Runs the emulator in a child process, so that a benchmark's own process measures only the
// client (its CPU, its memory) and the emulator's parsing does not share its event loop.
// Used by every benchmark that needs the emulator (SMTP and Graph alike).
// Parent side: `const emulator = await forkEmulator(startOptions, extra)` → the endpoints
// (smtp, baseUrl, authorityHost, tenantId, ca, graphApp: createGraphTransport options) and methods (inject, failNext, configure, reset,
// stats, count, waitForMessages, messages, stop) that call the emulator in the child over IPC.
// Child side: this same file, run with `--child`.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

if (process.argv.includes("--child")) {
  const { emulatorCredentials, startEmulator } = await import("@mailpath/emulator");
  let emulator;
  // The parent is gone (it exited without `stop`, or crashed): so is this process. Its servers
  // would otherwise keep it alive, and its timers on the CPU, under every later measurement.
  process.on("disconnect", () => process.exit(0));
  process.on("message", async (request) => {
    const reply = (value, error) => process.send({ id: request.id, value, error });
    try {
      switch (request.method) {
        case "start": {
          emulator = await startEmulator(request.args[0] ?? {});
          const { maxSendBytes } = request.args[1] ?? {};
          if (maxSendBytes) {
            emulator.configure({
              mailboxes: emulator.tenant.mailboxes.map((mailbox) => ({ ...mailbox, maxSendBytes })),
            });
          }
          reply({
            smtp: emulator.smtp,
            baseUrl: emulator.graph.baseUrl,
            authorityHost: emulator.entra.authorityHost,
            tenantId: emulator.entra.tenantId,
            ca: emulator.ca,
            // Options of createGraphTransport for the emulator's default app registration.
            graphApp: { ...emulatorCredentials(emulator), baseUrl: emulator.graph.baseUrl },
          });
          break;
        }
        case "count":
          reply(emulator.messages().length);
          break;
        case "messages":
          // Only what a benchmark checks: ids and attachment digests (no raw MIME over IPC).
          reply(
            emulator.messages().map((message) => ({
              messageId: message.messageId,
              attachments: message.attachments,
            })),
          );
          break;
        case "waitForMessages":
          reply((await emulator.waitForMessages(...request.args)).length);
          break;
        case "stop":
          await emulator?.stop();
          reply(true);
          process.disconnect();
          break;
        default:
          reply(await emulator[request.method](...request.args));
      }
    } catch (error) {
      reply(undefined, String(error?.stack ?? error));
    }
  });
}

/**
 * Starts the emulator in a child process.
 * @param {object} startOptions options of startEmulator()
 * @param {{ maxSendBytes?: number }} extra
 */
export async function forkEmulator(startOptions = {}, extra = {}) {
  const child = fork(fileURLToPath(import.meta.url), ["--child"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 0;
  const pending = new Map();
  child.on("message", (message) => {
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    if (message.error) entry.reject(new Error(message.error));
    else entry.resolve(message.value);
  });
  child.on("exit", (code) => {
    for (const entry of pending.values()) entry.reject(new Error(`emulator exited (${code})`));
    pending.clear();
  });
  const call = (method, ...args) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, method, args });
    });
  const info = await call("start", startOptions, extra);
  return {
    ...info,
    child,
    inject: (fault) => call("inject", fault),
    failNext: (fault) => call("failNext", fault),
    configure: (policy) => call("configure", policy),
    reset: (options = {}) => call("reset", options),
    stats: () => call("stats"),
    count: () => call("count"),
    messages: () => call("messages"),
    waitForMessages: (count, options) => call("waitForMessages", count, options),
    stop: () => call("stop"),
  };
}
