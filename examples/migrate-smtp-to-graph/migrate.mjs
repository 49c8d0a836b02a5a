// @ts-check
// Moving a service from SMTP AUTH to Graph without touching its sending code:
//   0. plan: what would Graph deliver differently? (planDelivery, nothing is sent)
//   1. MAILPATH_TRANSPORT=smtp                today
//   2. MAILPATH_TRANSPORT=graph,smtp          Graph first, SMTP when Graph fails as a path
//   3. MAILPATH_TRANSPORT=graph:10,smtp:90 → graph:50,smtp:50 → graph   the ramp
// Roll back at any step by setting MAILPATH_TRANSPORT=smtp again.
import { existsSync } from "node:fs";
import { startEmulator } from "@mailpath/emulator";
import { createMailerFromEnv, formatDeliveryPlan, MailError, planDelivery } from "mailpath";

if (existsSync(".env")) process.loadEnvFile(".env");

/** The application's sending code. It is the same in every step. */
function welcomeMessage(user) {
  return {
    to: user.email,
    subject: `Welcome, ${user.name}`,
    text: `Hello ${user.name}, your account is ready.`,
    html: `<p>Hello <b>${user.name}</b>, your account is ready.</p>`,
    headers: { "List-Unsubscribe": "<https://contoso.com/unsubscribe>", "X-Template": "welcome" },
  };
}

async function sendWelcome(mailer, user) {
  return mailer.send(welcomeMessage(user));
}

const tenantMode = Boolean(process.env.MAILPATH_TRANSPORT);
const emulator = tenantMode ? undefined : await startEmulator();
// The emulator enforces Exchange's 30 messages per minute per mailbox on SMTP AUTH; this demo
// sends more than that within seconds, so it lifts the limit (a real tenant would throttle).
emulator?.configure({ limits: { smtpMessagesPerWindow: 1_000 } });
const baseEnv = emulator ? emulator.env() : process.env;
const user = {
  name: "Ada",
  email: tenantMode ? (process.env.MIGRATE_TO ?? process.env.MAILPATH_FROM) : "ada@contoso.com",
};
const perStep = tenantMode ? 1 : 10;

/** Sends `count` welcomes with MAILPATH_TRANSPORT=routing and counts the paths used. */
async function step(routing, count) {
  const mailer = await createMailerFromEnv({ ...baseEnv, MAILPATH_TRANSPORT: routing });
  const used = {};
  try {
    for (let index = 0; index < count; index++) {
      const result = await sendWelcome(mailer, user);
      used[result.transport] = (used[result.transport] ?? 0) + 1;
    }
  } finally {
    await mailer.close();
  }
  const summary = Object.entries(used)
    .map(([path, sent]) => `${path} ${sent}`)
    .join(", ");
  console.log(`MAILPATH_TRANSPORT=${routing.padEnd(17)} ${count} sent: ${summary}`);
  return used;
}

try {
  console.log("Step 0: what would change? (nothing is sent)\n");
  const plan = await planDelivery(welcomeMessage(user), { env: baseEnv, paths: ["smtp", "graph"] });
  console.log(`${formatDeliveryPlan(plan)}\n`);

  console.log("Step 1: today, SMTP AUTH");
  await step("smtp", perStep);

  console.log("\nStep 2: Graph first, SMTP AUTH as the fallback");
  await step("graph,smtp", perStep);
  if (emulator) {
    // A Graph outage: 503 for the next 3 requests. Each send fails over to SMTP AUTH.
    emulator.inject({
      endpoint: "graph",
      kind: "reply",
      status: 503,
      errorCode: "ServiceUnavailable",
      count: 3,
    });
    console.log("  (Graph answers 503 for the next 3 requests)");
    await step("graph,smtp", 3);
  }

  console.log("\nStep 3: the ramp");
  for (const routing of ["graph:10,smtp:90", "graph:50,smtp:50", "graph"])
    await step(routing, perStep);

  if (emulator) {
    const byPath = (path) => emulator.messages({ path }).length;
    console.log(
      `\nThe emulator received ${emulator.messages().length} messages: smtp ${byPath("smtp")}, graph ${byPath("graph")}.`,
    );
  }
  console.log("Roll back at any step: MAILPATH_TRANSPORT=smtp");
} catch (error) {
  if (MailError.isInstance(error)) {
    console.error(`${error.code}: ${error.message}`);
    if (error.hint) console.error(`hint: ${error.hint}`);
  } else console.error(error);
  process.exitCode = 1;
} finally {
  await emulator?.stop();
}
