// @ts-check
// The service with MAILPATH_REDIS_URL: /notify answers 202 with the outbox job, the worker in
// the same process sends it to the emulator. Redis is MAILPATH_TEST_REDIS_URL, or a private
// redis-server started here on a free port (never the machine's own).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";

const directory = fileURLToPath(new URL(".", import.meta.url));
let redis;
let redisUrl = process.env.MAILPATH_TEST_REDIS_URL;
let child;

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  if (redisUrl) return;
  const port = await freePort();
  redis = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  await new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      if (!output.includes("Ready to accept connections")) return;
      redis.stdout.off("data", onData);
      redis.stdout.resume();
      resolve();
    };
    redis.stdout.on("data", onData);
    redis.once("error", reject);
  });
  redisUrl = `redis://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (!redis || redis.exitCode !== null) return;
  const exited = once(redis, "exit");
  redis.kill("SIGTERM");
  await exited;
});

afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

it("answers 202 with the outbox job, sends it once per Idempotency-Key and reports its status", async () => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("MAILPATH_")),
  );
  child = spawn(process.execPath, ["server.mjs"], {
    cwd: directory,
    env: {
      ...env,
      PORT: "0",
      MAILPATH_REDIS_URL: redisUrl,
      MAILPATH_OUTBOX_PREFIX: `example-${randomUUID().slice(0, 8)}`,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const entry = JSON.parse(line);
    lines.push(entry);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const waitForLine = (predicate) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no such log line")), 30_000);
      const check = () => {
        const found = lines.find(predicate);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(check);
      };
      check();
    });
  const { url, outbox } = await waitForLine((entry) => entry.event === "listening");
  expect(outbox).toBe("enqueue+send");

  const notify = () =>
    fetch(`${url}/notify`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "build-1234-finished" },
      body: JSON.stringify({
        to: "ada@contoso.com",
        subject: "Build finished",
        text: "All green.",
      }),
    });
  const first = await notify();
  expect(first.status).toBe(202);
  const job = await first.json();
  expect(job).toMatchObject({ duplicate: false });
  expect(first.headers.get("location")).toBe(`/notify/${encodeURIComponent(job.id)}`);
  const again = await (await notify()).json();
  expect(again).toEqual({ ...job, duplicate: true });

  await waitForLine((entry) => entry.event === "outbox.sent" && entry.id === job.id);
  const status = await (await fetch(`${url}/notify/${encodeURIComponent(job.id)}`)).json();
  expect(status).toMatchObject({ state: "sent", messageId: job.messageId, attempts: 1 });
  const delivered = await (await fetch(`${url}/dev/messages`)).json();
  expect(delivered).toEqual([
    { path: "graph", subject: "Build finished", to: ["ada@contoso.com"] },
  ]);

  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  expect(code).toBe(0);
});
