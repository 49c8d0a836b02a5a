// Gives the tests a real Redis: MAILPATH_TEST_REDIS_URL when set, else a private redis-server
// on a free loopback port, without persistence, stopped after the run. The machine's own Redis
// is never used (nor flushed): every test also writes under a prefix of its own.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { TestProject } from "vitest/node";
import { freePort } from "./free-port.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Starts `redis-server` with `args` on a free loopback port and resolves once it accepts
 * connections (it says so on stdout).
 * @returns the server's URL and a function that stops it.
 */
export async function startRedisServer(
  args: readonly string[] = [],
): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start within 10 s:\n${output}`)),
      10_000,
    );
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === "ENOENT"
          ? new Error(
              "redis-server is not installed: install it (apt-get install redis-server) or set MAILPATH_TEST_REDIS_URL",
            )
          : error,
      );
    });
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    };
    child.once("exit", onExit);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes("Ready to accept connections")) return;
      clearTimeout(timer);
      child.off("exit", onExit);
      child.stdout?.off("data", onData);
      child.stdout?.resume();
      resolve();
    };
    child.stdout?.on("data", onData);
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * The Redis a test file uses: MAILPATH_TEST_REDIS_URL when set (left running), else a private
 * `redis-server` started here (`stop` ends it).
 */
export async function testRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const given = process.env.MAILPATH_TEST_REDIS_URL;
  if (given) return { url: given, stop: async () => {} };
  return startRedisServer();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await testRedis();
  project.provide("redisUrl", server.url);
  return server.stop;
}
