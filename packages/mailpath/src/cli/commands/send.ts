// `mailpath send`: one message through the configured path (or --transport), with the receipt.
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { type MailError, MailError as MailErrorClass } from "@mailpath/core";
import { createSpinner } from "nanospinner";
import type { MailpathConfig } from "../../config.js";
import { createMailerFromEnv } from "../../create-mailer.js";
import { type CliIo, EXIT, interactive, UsageError, writeJson } from "../io.js";
import { loadEnv } from "../load-env.js";
import { MARKS } from "../render.js";
import { configOrUsageError } from "../resolve-config.js";

export interface SendOptions {
  readonly to: string[];
  readonly cc?: string[];
  readonly from?: string;
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  readonly attach?: string[];
  readonly transport?: string;
  readonly envFile?: string;
  readonly json?: boolean;
}

/** Attachments at or above this size show progress (Graph moves them to an upload session). */
const PROGRESS_BYTES = 3 * 1024 * 1024;

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function errorJson(error: MailError) {
  return {
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    ...(error.hint && { hint: error.hint }),
    ...(error.transport && { transport: error.transport }),
    ...(error.smtp && { smtp: error.smtp }),
    ...(error.http && { http: error.http }),
    ...(error.attempts !== undefined && { attempts: error.attempts }),
    ...(error.ambiguous !== undefined && { ambiguous: error.ambiguous }),
  };
}

export async function sendCommand(io: CliIo, options: SendOptions): Promise<number> {
  if (options.to.length === 0) throw new UsageError("--to is required");
  if (options.text !== undefined && options.html !== undefined)
    throw new UsageError("Give --text or --html, not both");
  const env = await loadEnv(io, options.envFile);
  const attachments: { path: string; filename: string; size: number }[] = [];
  for (const file of options.attach ?? []) {
    const path = resolve(io.cwd, file);
    try {
      attachments.push({ path, filename: basename(path), size: (await stat(path)).size });
    } catch (error) {
      throw new UsageError(
        `--attach ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
  const overrides: Partial<MailpathConfig> = {
    ...(options.transport && { transport: options.transport }),
    ...(options.from && { from: options.from }),
  };
  const mailer = await configOrUsageError(() => createMailerFromEnv(env, overrides));
  const json = options.json === true;
  const total = attachments.reduce((sum, attachment) => sum + attachment.size, 0);
  const tty = !json && interactive(io);
  const spinner = tty ? createSpinner("", { stream: io.stdout as NodeJS.WriteStream }) : undefined;
  const started = Date.now();
  let ticker: NodeJS.Timeout | undefined;
  const label = `sending${total >= PROGRESS_BYTES ? ` ${megabytes(total)} of attachments` : ""} through ${mailer.routing}`;
  if (spinner) {
    spinner.start({ text: label });
    if (total >= PROGRESS_BYTES)
      ticker = setInterval(
        () => spinner.update({ text: `${label}… ${Math.round((Date.now() - started) / 1000)} s` }),
        1000,
      );
  } else if (!json && total >= PROGRESS_BYTES) io.stdout.write(`${label}…\n`);
  mailer.on(
    "retry",
    (event: { attempt: number; code: string; delayMs: number; nextTransport?: string }) => {
      const line = `attempt ${event.attempt} failed (${event.code}); retrying in ${event.delayMs} ms${event.nextTransport ? ` through ${event.nextTransport}` : ""}`;
      if (spinner) spinner.update({ text: line });
      else if (!json) io.stdout.write(`  ${MARKS.warn} ${line}\n`);
    },
  );
  try {
    const result = await mailer.send({
      to: options.to,
      ...(options.cc && { cc: options.cc }),
      subject: options.subject ?? "Test message from mailpath",
      ...(options.html !== undefined
        ? { html: options.html }
        : { text: options.text ?? "Sent with npx mailpath send." }),
      ...(attachments.length > 0 && {
        attachments: attachments.map((attachment) => ({
          filename: attachment.filename,
          content: { path: attachment.path },
        })),
      }),
    });
    if (ticker) clearInterval(ticker);
    const receipt = {
      path: result.transport,
      messageId: result.messageId,
      accepted: result.accepted,
      rejected: result.rejected,
      ...(result.response !== undefined && { response: result.response }),
      attempts: result.attempts,
      durationMs: result.durationMs,
    };
    if (json) writeJson(io, { command: "send", ok: true, receipt });
    else {
      const line = `sent through ${receipt.path} in ${receipt.durationMs} ms (${receipt.attempts} attempt${receipt.attempts === 1 ? "" : "s"})`;
      if (spinner) spinner.stop({ mark: MARKS.pass, text: line });
      else io.stdout.write(`${MARKS.pass} ${line}\n`);
      io.stdout.write(`  Message-ID: ${receipt.messageId}\n`);
      io.stdout.write(`  accepted:   ${receipt.accepted.join(", ") || "-"}\n`);
      if (receipt.rejected.length > 0)
        io.stdout.write(`  rejected:   ${receipt.rejected.join(", ")}\n`);
      if (receipt.response) io.stdout.write(`  server:     ${receipt.response}\n`);
    }
    return EXIT.pass;
  } catch (error) {
    if (ticker) clearInterval(ticker);
    if (!MailErrorClass.isInstance(error)) throw error;
    if (json) writeJson(io, { command: "send", ok: false, error: errorJson(error) });
    else {
      const line = `${error.code}: ${error.message}`;
      if (spinner) spinner.stop({ mark: MARKS.fail, text: line });
      else io.stdout.write(`${MARKS.fail} ${line}\n`);
      if (error.smtp) io.stdout.write(`  server:   ${error.smtp.response}\n`);
      if (error.http)
        io.stdout.write(
          `  server:   HTTP ${error.http.status}${error.http.code ? ` ${error.http.code}` : ""}\n`,
        );
      if (error.attempts !== undefined) io.stdout.write(`  attempts: ${error.attempts}\n`);
      if (error.hint) io.stdout.write(`  fix:      ${error.hint}\n`);
    }
    return EXIT.fail;
  } finally {
    await mailer.close();
  }
}
