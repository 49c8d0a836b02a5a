// Shared by the outbox benchmarks: a private redis-server on a free loopback port (never the
// machine's own Redis; MAILPATH_TEST_REDIS_URL is used instead when set), and outbox worker
// processes (outbox-worker.mjs) driven over IPC.
import { fork, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/**
 * Ends a child process with `end` (a signal, a message) unless it has exited already, and
 * resolves once it has.
 */
async function endChild(child, end) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  end();
  await exited;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Redis for one benchmark run: `{ url, stop() }`. */
export async function startRedis() {
  if (process.env.MAILPATH_TEST_REDIS_URL) {
    return { url: process.env.MAILPATH_TEST_REDIS_URL, stop: async () => {} };
  }
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  await new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error("redis-server did not start")), 10_000);
    child.once("error", reject);
    const onData = (chunk) => {
      output += chunk;
      if (!output.includes("Ready to accept connections")) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.stdout.resume();
      resolve();
    };
    child.stdout.on("data", onData);
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => endChild(child, () => child.kill("SIGTERM")),
  };
}

const workerScript = fileURLToPath(new URL("./outbox-worker.mjs", import.meta.url));

/**
 * Forks an outbox worker process; resolves once its worker runs.
 * `onMessage` receives what it reports (attempt, sent, retrying, dead).
 */
export async function forkWorker(config, onMessage = () => {}) {
  const child = fork(workerScript, [JSON.stringify(config)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("worker did not start in 30 s")), 30_000);
    child.on("message", (message) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve();
      } else if (message.type === "failed-to-start") {
        clearTimeout(timer);
        reject(new Error(message.error));
      } else onMessage(message);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it started`));
    });
  });
  return {
    child,
    kill: (signal = "SIGKILL") => endChild(child, () => child.kill(signal)),
    stop: () => endChild(child, () => child.send({ type: "close" })),
  };
}

export const fixed = (value, digits = 2) => Number(value).toFixed(digits);
export const verdict = (met) => (met ? "met" : "NOT met");
