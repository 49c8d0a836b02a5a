// @ts-check
// A scheduled job (cron, a systemd timer, a Kubernetes CronJob): generate a CSV report, mail it,
// exit 0 on success and 1 on failure. The 5 MB file is over Graph's 3 MB inline limit, so the
// Graph transport creates a draft, uploads the file in chunks through an upload session and
// sends the draft; SMTP AUTH and the relay send it as one MIME message.
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { startEmulator } from "@mailpath/emulator";
import { createMailerFromEnv, formatDeliveryPlan, MailError, planDelivery } from "mailpath";

if (existsSync(".env")) process.loadEnvFile(".env");

const rows = Number(process.env.REPORT_ROWS ?? 115_000);
const day = new Date().toISOString().slice(0, 10);

/** Writes the report to a file, row by row: it is never all in memory. */
async function generateReport(file) {
  function* lines() {
    yield "date,region,product,orders,revenue_eur,refunds_eur\n";
    const regions = ["emea", "amer", "apac"];
    for (let index = 0; index < rows; index++) {
      const orders = (index * 7919) % 500;
      yield `${day},${regions[index % 3]},product-${String(index % 1000).padStart(4, "0")},${orders},${(orders * 19.99).toFixed(2)},${((index % 13) * 4.5).toFixed(2)}\n`;
    }
  }
  await pipeline(Readable.from(lines()), createWriteStream(file));
  return (await stat(file)).size;
}

const directory = await mkdtemp(join(tmpdir(), "mailpath-report-"));
const file = join(directory, `sales-${day}.csv`);
const emulator = process.env.MAILPATH_TRANSPORT ? undefined : await startEmulator();
const env = emulator
  ? emulator.env({ MAILPATH_TRANSPORT: "graph", MAILPATH_FROM: "reports@contoso.com" })
  : process.env;
const to = emulator ? "ada@contoso.com" : (process.env.REPORT_TO ?? process.env.MAILPATH_FROM);

try {
  const bytes = await generateReport(file);
  console.log(`Generated ${file} (${(bytes / 1024 / 1024).toFixed(1)} MB, ${rows} rows)`);
  const message = {
    to,
    subject: `Daily sales report ${day}`,
    text: `The sales report for ${day} is attached (${rows} rows).`,
    // A { path } attachment can be read again if an attempt has to be retried; a stream cannot.
    attachments: [
      { filename: `sales-${day}.csv`, content: { path: file }, contentType: "text/csv" },
    ],
  };
  console.log(formatDeliveryPlan(await planDelivery(message, { env })));

  const mailer = await createMailerFromEnv(env, { timeoutMs: 300_000 });
  mailer.on("retry", ({ attempt, code, delayMs }) =>
    console.log(`attempt ${attempt} failed with ${code}; retrying in ${delayMs} ms`),
  );
  try {
    const started = Date.now();
    const result = await mailer.send(message);
    console.log(
      `\nSent by ${result.transport} in ${Date.now() - started} ms: ${result.messageId} (${result.response})`,
    );
  } finally {
    await mailer.close();
  }

  if (emulator) {
    const [delivered] = emulator.messages({ subject: message.subject });
    const attachment = delivered.attachments[0];
    const expected = createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
    console.log(
      `The emulator received ${attachment.filename}: ${attachment.size} bytes, ` +
        `sha256 ${attachment.sha256 === expected ? "matches" : "DIFFERS"}, largest upload chunk ${emulator.stats().maxUploadChunkBytes} bytes`,
    );
    if (attachment.sha256 !== expected) process.exitCode = 1;
  }
} catch (error) {
  if (MailError.isInstance(error)) {
    console.error(`${error.code}: ${error.message}`);
    if (error.hint) console.error(`hint: ${error.hint}`);
  } else console.error(error);
  process.exitCode = 1;
} finally {
  await emulator?.stop();
  await rm(directory, { recursive: true, force: true });
}
