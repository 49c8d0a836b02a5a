import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../emulator.js";
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

let directory: string | undefined;
afterEach(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
  directory = undefined;
});

describe("mailpath-emulator", () => {
  it("prints the env as JSON, writes the env file, runs until told to stop, then stops", async () => {
    directory = await mkdtemp(join(tmpdir(), "mailpath-cli-"));
    const envFile = join(directory, "emulator.env");
    const { output, io } = capture();
    let stop!: () => void;
    const until = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let running: Emulator | undefined;
    const exit = runEmulatorCommand(
      ["--json", "--transport", "relay", "--write-env", envFile],
      io,
      until,
      (emulator) => {
        running = emulator;
      },
    );
    await expect.poll(() => running, { timeout: 10_000 }).toBeDefined();
    const env = JSON.parse(output.out) as Record<string, string>;
    expect(env.MAILPATH_TRANSPORT).toBe("relay");
    expect(env.MAILPATH_SMTP_PORT).toBe(String(running?.smtp.port));
    expect(await readFile(envFile, "utf8")).toContain(
      `MAILPATH_RELAY_PORT=${running?.relay.port}\n`,
    );
    stop();
    expect(await exit).toBe(0);
    await expect(readFile(env.MAILPATH_TLS_CA_FILE ?? "", "utf8")).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("prints the endpoints and export lines by default", async () => {
    const { output, io } = capture();
    const code = await runEmulatorCommand([], io, Promise.resolve());
    expect(code).toBe(0);
    expect(output.out).toMatch(/SMTP submission {2}127\.0\.0\.1:\d+/);
    expect(output.out).toMatch(/^export MAILPATH_TRANSPORT=smtp$/m);
    expect(output.out).toContain("Press Ctrl+C to stop.");
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
