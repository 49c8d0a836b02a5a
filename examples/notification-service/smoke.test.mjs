// @ts-check
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";

const directory = fileURLToPath(new URL(".", import.meta.url));
let child;

afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

/** Starts the service against the emulator; resolves with its URL and every log line so far. */
async function startService() {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("MAILPATH_")),
  );
  child = spawn(process.execPath, ["server.mjs"], {
    cwd: directory,
    env: { ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = [];
  const reader = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the service did not start")), 30_000);
    reader.on("line", (line) => {
      const entry = JSON.parse(line);
      lines.push(entry);
      if (entry.event === "listening") {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    child.once("exit", () => reject(new Error("the service exited")));
  });
  return { url, lines };
}

it("accepts POST /notify, refuses an invalid one, logs the mailer's events and stops on SIGTERM", async () => {
  const { url, lines } = await startService();

  const sent = await fetch(`${url}/notify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: "ada@contoso.com", subject: "Build finished", text: "All green." }),
  });
  expect(sent.status).toBe(202);
  const receipt = await sent.json();
  expect(receipt).toMatchObject({ transport: "graph", accepted: ["ada@contoso.com"] });

  const invalid = await fetch(`${url}/notify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: 42, subject: "" }),
  });
  expect(invalid.status).toBe(400);
  expect((await invalid.json()).issues.map((issue) => issue.path)).toEqual([
    "to",
    "subject",
    "text",
  ]);

  const badAddress = await fetch(`${url}/notify`, {
    method: "POST",
    body: JSON.stringify({ to: "not an address", subject: "x", text: "x" }),
  });
  expect(badAddress.status).toBe(400);
  expect(await badAddress.json()).toMatchObject({ error: "INVALID_MESSAGE" });

  const delivered = await (await fetch(`${url}/dev/messages`)).json();
  expect(delivered).toEqual([
    { path: "graph", subject: "Build finished", to: ["ada@contoso.com"] },
  ]);

  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  expect(code).toBe(0);
  const events = lines.map((entry) => entry.event);
  expect(events).toContain("mail.sent");
  expect(lines.find((entry) => entry.event === "notify.failed")).toMatchObject({
    status: 400,
    code: "INVALID_MESSAGE",
  });
  expect(events.slice(-2)).toEqual(["shutdown", "stopped"]);
  expect(lines.find((entry) => entry.event === "mail.sent")).toMatchObject({
    messageId: receipt.messageId,
    transport: "graph",
  });
});
