// @ts-check
// mailpath quickstart: the same send() through SMTP AUTH, the relay connector and Graph, where
// only the configuration changes. Runs against the local emulator unless MAILPATH_TRANSPORT is
// set (in the environment or a .env file), then it sends through your tenant.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "@mailpath/emulator";
import { createMailerFromEnv, MailError } from "mailpath";

if (existsSync(".env")) process.loadEnvFile(".env");

/** The application's code: it never knows which path it sends by. */
async function sendHello(mailer, to) {
  return mailer.send({
    to,
    subject: `Hello from mailpath via ${mailer.routing}`,
    text: "The same code sent this through SMTP AUTH, the relay connector or Graph.",
    html: "<p>The same code sent this through <b>SMTP AUTH</b>, the <b>relay connector</b> or <b>Graph</b>.</p>",
  });
}

/** Runs the `mailpath` command (the bin of the mailpath package) with these variables. */
async function mailpath(args, env) {
  const manifest = fileURLToPath(import.meta.resolve("mailpath/package.json"));
  const bin = join(dirname(manifest), JSON.parse(readFileSync(manifest, "utf8")).bin.mailpath);
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    stdio: "inherit",
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
}

function printReceipt(result) {
  console.log(
    `  sent by ${result.transport} in ${result.durationMs} ms, attempt ${result.attempts}`,
  );
  console.log(`  message id: ${result.messageId}`);
  console.log(
    `  accepted: ${result.accepted.join(", ")}${result.response ? `  (${result.response})` : ""}`,
  );
}

async function withRealTenant() {
  const to = process.env.QUICKSTART_TO ?? process.env.MAILPATH_FROM;
  console.log(
    `Sending through your tenant (MAILPATH_TRANSPORT=${process.env.MAILPATH_TRANSPORT}) to ${to}`,
  );
  const mailer = await createMailerFromEnv();
  try {
    printReceipt(await sendHello(mailer, to));
  } finally {
    await mailer.close();
  }
}

async function withEmulator() {
  const emulator = await startEmulator();
  console.log("Started the mailpath emulator (a local Exchange Online) on 127.0.0.1.\n");
  try {
    for (const path of ["smtp", "relay", "graph"]) {
      // Only the configuration changes: MAILPATH_TRANSPORT picks the path.
      const mailer = await createMailerFromEnv(emulator.env({ MAILPATH_TRANSPORT: path }));
      try {
        console.log(`MAILPATH_TRANSPORT=${path}`);
        const result = await sendHello(mailer, "ada@contoso.com");
        printReceipt(result);
        const [delivered] = emulator.messages({ path, subject: `Hello from mailpath via ${path}` });
        console.log(
          `  delivered: from ${delivered.from?.address} to ${delivered.to.map((entry) => entry.address).join(", ")}, ` +
            `"${delivered.subject}", text ${delivered.text ? "yes" : "no"}, html ${delivered.html ? "yes" : "no"}, ` +
            `Sent Items copy ${delivered.savedToSentItems ? "yes" : "no"}\n`,
        );
      } finally {
        await mailer.close();
      }
    }
    console.log(`${emulator.messages().length} messages delivered, one through each path.`);
    // The same configuration, checked step by step by the mailpath command (sends nothing).
    console.log("\n$ npx mailpath doctor --no-dns\n");
    const code = await mailpath(
      ["doctor", "--no-dns"],
      emulator.env({ MAILPATH_TRANSPORT: "smtp,relay,graph" }),
    );
    if (code !== 0) process.exitCode = 1;
  } finally {
    await emulator.stop();
  }
}

try {
  if (process.env.MAILPATH_TRANSPORT) await withRealTenant();
  else await withEmulator();
} catch (error) {
  if (MailError.isInstance(error)) {
    console.error(`${error.code}: ${error.message}`);
    if (error.hint) console.error(`hint: ${error.hint}`);
  } else console.error(error);
  process.exitCode = 1;
}
