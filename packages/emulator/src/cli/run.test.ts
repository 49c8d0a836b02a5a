import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import nodemailer from "nodemailer";
import { Agent, fetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../emulator.js";
import { GRAPH_AUDIENCE } from "../http/index.js";
import { DEFAULT_SENDER } from "../tenant.js";
import { formatExports, runEmulatorCommand } from "./run.js";

function capture() {
  const output = { out: "", err: "" };
  return {
    output,
    io: {
      write: (text: string) => {
        output.out += text;
      },
      error: (text: string) => {
        output.err += text;
      },
    },
  };
}

/** Runs the command until `stop()`; resolves once it started its emulator. */
async function startCommand(args: string[]) {
  const { output, io } = capture();
  let stop!: () => void;
  const until = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let running: Emulator | undefined;
  const exit = runEmulatorCommand(args, io, until, (emulator) => {
    running = emulator;
  });
  await expect.poll(() => running, { timeout: 10_000 }).toBeDefined();
  return { output, stop, exit, emulator: running as Emulator };
}

let directory: string | undefined;
afterEach(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
  directory = undefined;
});

describe("mailpath-emulator", () => {
  it("prints the env as JSON, writes the env file, runs until told to stop, then stops", async () => {
    directory = await mkdtemp(join(tmpdir(), "mailpath-cli-"));
    const envFile = join(directory, "emulator.env");
    const {
      output,
      stop,
      exit,
      emulator: running,
    } = await startCommand(["--json", "--transport", "relay", "--write-env", envFile]);
    const env = JSON.parse(output.out) as Record<string, string>;
    expect(env.MAILPATH_TRANSPORT).toBe("relay");
    expect(env.MAILPATH_SMTP_PORT).toBe(String(running?.smtp.port));
    expect(await readFile(envFile, "utf8")).toContain(
      `MAILPATH_RELAY_PORT=${running?.relay.port}\n`,
    );
    stop();
    expect(await exit).toBe(0);
    // The user was told to trust this file: stopping leaves it where it was.
    expect(await readFile(env.MAILPATH_TLS_CA_FILE ?? "", "utf8")).toContain(
      "-----BEGIN CERTIFICATE-----",
    );
    await rm(dirname(env.MAILPATH_TLS_CA_FILE ?? ""), { recursive: true, force: true });
  });

  it("prints one line per delivery and, with --data-dir, answers a saved env the same after a restart", async () => {
    directory = await mkdtemp(join(tmpdir(), "mailpath-cli-"));
    const dataDir = join(directory, "data");
    const envFile = join(directory, ".emulator.env");
    const run = async (work: (emulator: Emulator, output: { out: string }) => Promise<void>) => {
      const { output, stop, exit, emulator } = await startCommand([
        "--data-dir",
        dataDir,
        "--write-env",
        envFile,
      ]);
      try {
        await work(emulator, output);
      } finally {
        stop();
        expect(await exit).toBe(0);
      }
    };
    const savedEnv = async () =>
      Object.fromEntries(
        (await readFile(envFile, "utf8"))
          .trim()
          .split("\n")
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      ) as Record<string, string>;
    const sendWith = async (env: Record<string, string>, subject: string) => {
      const client = nodemailer.createTransport({
        host: env.MAILPATH_SMTP_HOST,
        port: Number(env.MAILPATH_SMTP_PORT),
        requireTLS: true,
        tls: { ca: await readFile(env.MAILPATH_TLS_CA_FILE ?? "", "utf8") },
        auth: { user: env.MAILPATH_SMTP_USER ?? "", pass: env.MAILPATH_SMTP_PASSWORD ?? "" },
      });
      try {
        return await client.sendMail({
          from: env.MAILPATH_FROM,
          to: "ada@contoso.com",
          subject,
          text: "Hello.",
          messageId: `<${subject}@contoso.com>`,
        });
      } finally {
        client.close();
      }
    };

    let token = "";
    await run(async (emulator, output) => {
      await sendWith(await savedEnv(), "first-run");
      await emulator.waitForMessages(1);
      const line = output.out.trim().split("\n").at(-1);
      expect(line).toMatch(
        /^delivered smtp {2}from=notifications@contoso\.com {2}to=ada@contoso\.com {2}subject="first-run" {2}size=\d+ {2}message-id=<first-run@contoso\.com>$/,
      );
      expect(Number(/size=(\d+)/.exec(line ?? "")?.[1])).toBe(
        Buffer.byteLength(emulator.messages()[0]?.raw ?? ""),
      );
      token = await emulator.issueAccessToken({ audience: GRAPH_AUDIENCE });
    });
    const first = await savedEnv();
    await run(async (emulator) => {
      expect(await savedEnv()).toEqual(first);
      // The mailbox store came back, the saved env still sends, and a token signed before
      // the restart still verifies.
      expect(emulator.messages().map((message) => message.subject)).toEqual(["first-run"]);
      await sendWith(first, "second-run");
      expect(emulator.messages().map((message) => message.subject)).toEqual([
        "first-run",
        "second-run",
      ]);
      const reply = await fetch(`${emulator.graph.baseUrl}/v1.0/users/${DEFAULT_SENDER}/sendMail`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          message: {
            subject: "token",
            toRecipients: [{ emailAddress: { address: "ada@contoso.com" } }],
          },
        }),
        dispatcher: new Agent({ connect: { ca: emulator.ca } }),
      });
      expect(reply.status).toBe(202);
    });
    expect(await readFile(first.MAILPATH_TLS_CA_FILE ?? "", "utf8")).toContain("BEGIN CERTIFICATE");
  });

  it("prints the endpoints and export lines by default", async () => {
    const { output, io } = capture();
    const code = await runEmulatorCommand([], io, Promise.resolve());
    expect(code).toBe(0);
    expect(output.out).toMatch(/SMTP submission {2}127\.0\.0\.1:\d+/);
    expect(output.out).toMatch(/^export MAILPATH_TRANSPORT=smtp$/m);
    expect(output.out).toContain("Press Ctrl+C to stop.");
    const caFile = /^export MAILPATH_TLS_CA_FILE=(.+)$/m.exec(output.out)?.[1] ?? "";
    expect(await readFile(caFile, "utf8")).toContain("BEGIN CERTIFICATE");
    await rm(dirname(caFile), { recursive: true, force: true });
  });

  it("exits with 2 and the usage on a bad option", async () => {
    const { output, io } = capture();
    expect(await runEmulatorCommand(["--smtp-port", "99999"], io, Promise.resolve())).toBe(2);
    expect(output.err).toContain("--smtp-port must be a port number");
    expect(output.err).toContain("Usage: mailpath-emulator");
  });

  it("quotes values a shell would split", () => {
    expect(formatExports({ A: "plain/value-1", B: "it's here" })).toBe(
      "export A=plain/value-1\nexport B='it'\\''s here'",
    );
  });
});
