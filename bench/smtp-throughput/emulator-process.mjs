// Runs the emulator in a child process, so the benchmark's process measures only the SMTP
// client (mailpath or nodemailer) and the emulator's parsing does not share its event loop.
// Parent: `const emulator = await forkEmulator(startOptions)` → { smtp, ca, configure, reset,
// stats, count, failNext, stop } over IPC. Child: this same file, run with `--child`.
// (The same pattern as bench/graph-throughput/emulator-process.mjs, which answers Graph's
// endpoints instead.)
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

if (process.argv.includes("--child")) {
  const { startEmulator } = await import("@mailpath/emulator");
  let emulator;
  process.on("message", async (request) => {
    const reply = (value, error) => process.send({ id: request.id, value, error });
    try {
      switch (request.method) {
        case "start":
          emulator = await startEmulator(request.args[0] ?? {});
          reply({ smtp: emulator.smtp, ca: emulator.ca });
          break;
        case "count":
          reply(emulator.messages().length);
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

/** Starts the emulator in a child process; `startOptions` are those of startEmulator(). */
export async function forkEmulator(startOptions = {}) {
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
  const info = await call("start", startOptions);
  return {
    ...info,
    configure: (policy) => call("configure", policy),
    reset: (options = {}) => call("reset", options),
    stats: () => call("stats"),
    count: () => call("count"),
    failNext: (fault) => call("failNext", fault),
    stop: () => call("stop"),
  };
}
