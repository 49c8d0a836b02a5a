// graph-throughput: 1,000 messages into the emulator's Graph with 50 ms latency on every request
// and its 4-concurrent-requests-per-mailbox limit on. The ceiling is 4 / 0.05 s = 80 messages/s.
//
//   A. mailpath: createGraphTransport + createMailer (its per-mailbox limiter takes
//      maxConcurrency 4 from the transport's limits). Figures: messages/s as a fraction of the
//      ceiling (target ≥ 0.95) and 429s received (target 0).
//   B. the Graph client's DEFAULT middleware chain (with its RetryHandler), every message fired
//      at once without a limiter, as code built on the client alone would do. Figures: 429s,
//      messages delivered, requests that failed after the RetryHandler gave up, total time.
//
// A script that prints figures, not a test. Bounded: MESSAGES sends per run (B: at most 4
// requests each, the RetryHandler's default), and a deadline per run.
// The emulator runs in a child process (see ../emulator-process.mjs).
//
//   cd /work/main && pnpm build && pnpm --filter @mailpath/bench graph-throughput
//   MESSAGES=1000 LATENCY_MS=50 node bench/graph-throughput/index.mjs

import { createMailer } from "@mailpath/core";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SENDER } from "@mailpath/emulator";
import { createClientCredentialsProvider } from "@mailpath/entra";
import { createGraphTransport } from "@mailpath/transport-graph";
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RetryHandler,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
import { Agent, setGlobalDispatcher } from "undici";
import { forkEmulator } from "../emulator-process.mjs";

const MESSAGES = Number(process.env.MESSAGES ?? 1_000);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 50);
const CONCURRENCY_LIMIT = 4;
const DEADLINE_MS = Number(process.env.DEADLINE_MS ?? 180_000);
const CEILING = CONCURRENCY_LIMIT / (LATENCY_MS / 1000);

const emulator = await forkEmulator();
const recipient = "reader@fabrikam.com";

async function prepare() {
  await emulator.reset({ tenant: true });
  await emulator.inject({ endpoint: "graph", kind: "latency", ms: LATENCY_MS, rate: 1 });
}

function withDeadline(promise, label) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label}: deadline of ${DEADLINE_MS} ms passed`)),
      DEADLINE_MS,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function runMailpath() {
  await prepare();
  const transport = createGraphTransport(emulator.graphApp);
  // Measures how long the 4 slots the mailer allows are busy inside transport.send(): the
  // ceiling assumes 50 ms per request, but the emulator also spends time on each one.
  let busyMs = 0;
  const measured = {
    specificationVersion: "v1",
    name: transport.name,
    limits: transport.limits,
    async send(message, options) {
      const started = performance.now();
      try {
        return await transport.send(message, options);
      } finally {
        busyMs += performance.now() - started;
      }
    },
    verify: () => transport.verify(),
    close: () => transport.close(),
  };
  const mailer = createMailer({ transport: measured, from: DEFAULT_SENDER });
  await mailer.verify(); // the token, so the clock measures sending only
  busyMs = 0;
  let failed = 0;
  const started = performance.now();
  await withDeadline(
    Promise.all(
      Array.from({ length: MESSAGES }, (_, index) =>
        mailer
          .send({ to: recipient, subject: `mailpath ${index + 1}`, text: `Message ${index + 1}` })
          .catch(() => {
            failed++;
          }),
      ),
    ),
    "mailpath",
  );
  const seconds = (performance.now() - started) / 1000;
  const stats = await emulator.stats();
  const delivered = await emulator.count();
  await mailer.close();
  return {
    seconds,
    messagesPerSecond: delivered / seconds,
    fractionOfCeiling: delivered / seconds / CEILING,
    delivered,
    failed,
    throttled429: stats.throttled.graph,
    requests: stats.requests.graph,
    maxConcurrency: stats.maxConcurrency.graph,
    slotUtilization: busyMs / (CONCURRENCY_LIMIT * seconds * 1000),
    meanRequestMs: busyMs / delivered,
  };
}

async function runGraphClientDefault() {
  await prepare();
  // Node's global fetch ignores `ca`; the Graph client's HTTPMessageHandler calls the global
  // fetch, so the emulator's CA goes into the global dispatcher.
  setGlobalDispatcher(new Agent({ connect: { ca: emulator.ca } }));
  const tokens = createClientCredentialsProvider({
    tenantId: emulator.tenantId,
    clientId: DEFAULT_CLIENT_ID,
    clientSecret: DEFAULT_CLIENT_SECRET,
    authorityHost: emulator.authorityHost,
    tls: { ca: emulator.ca },
  });
  await tokens.getToken();
  // The chain HTTPClientFactory builds by default (Auth → Retry → Redirect → Telemetry → fetch),
  // with the RetryHandler's defaults: 3 retries of 429/503/504 honouring Retry-After.
  const client = Client.initWithMiddleware({
    baseUrl: emulator.baseUrl,
    customHosts: new Set([new URL(emulator.baseUrl).hostname]),
    middleware: [
      new AuthenticationHandler({ getAccessToken: () => tokens.getToken() }),
      new RetryHandler(),
      new RedirectHandler(),
      new TelemetryHandler(),
      new HTTPMessageHandler(),
    ],
  });
  let failed = 0;
  const failures = new Map();
  const started = performance.now();
  await withDeadline(
    Promise.all(
      Array.from({ length: MESSAGES }, (_, index) =>
        client
          .api(`/users/${DEFAULT_SENDER}/sendMail`)
          .post({
            message: {
              subject: `graph-client ${index + 1}`,
              body: { contentType: "Text", content: `Message ${index + 1}` },
              toRecipients: [{ emailAddress: { address: recipient } }],
            },
          })
          .catch((error) => {
            failed++;
            const key = `${error.statusCode} ${error.code}`;
            failures.set(key, (failures.get(key) ?? 0) + 1);
          }),
      ),
    ),
    "graph client",
  );
  const seconds = (performance.now() - started) / 1000;
  const stats = await emulator.stats();
  const delivered = await emulator.count();
  return {
    seconds,
    messagesPerSecond: delivered / seconds,
    fractionOfCeiling: delivered / seconds / CEILING,
    delivered,
    failed,
    failures: Object.fromEntries(failures),
    throttled429: stats.throttled.graph,
    requests: stats.requests.graph,
    maxConcurrency: stats.maxConcurrency.graph,
  };
}

const round = (value) => Math.round(value * 100) / 100;
try {
  console.log(
    `graph-throughput: ${MESSAGES} messages, ${LATENCY_MS} ms latency per request, ${CONCURRENCY_LIMIT} concurrent per mailbox → ceiling ${CEILING}/s; node ${process.version}`,
  );
  const mailpath = await runMailpath();
  const client = await runGraphClientDefault();
  const rows = [
    ["", "mailpath (createMailer + Graph transport)", "Graph client default chain, no limiter"],
    ["messages/s", round(mailpath.messagesPerSecond), round(client.messagesPerSecond)],
    ["fraction of ceiling", round(mailpath.fractionOfCeiling), round(client.fractionOfCeiling)],
    ["delivered", mailpath.delivered, client.delivered],
    ["failed", mailpath.failed, client.failed],
    ["429s received", mailpath.throttled429, client.throttled429],
    ["HTTP requests", mailpath.requests, client.requests],
    ["max concurrent", mailpath.maxConcurrency, client.maxConcurrency],
    ["total time (s)", round(mailpath.seconds), round(client.seconds)],
  ];
  console.table(
    Object.fromEntries(
      rows.slice(1).map(([label, a, b]) => [label, { mailpath: a, "graph-client default": b }]),
    ),
  );
  if (client.failed > 0) console.log("graph client failures:", client.failures);
  const ok = mailpath.fractionOfCeiling >= 0.95 && mailpath.throttled429 === 0;
  console.log(
    `mailpath: the 4 slots were busy ${round(mailpath.slotUtilization * 100)}% of the time; a send took ${round(mailpath.meanRequestMs)} ms on average (50 ms latency + the emulator's own work), so the reachable rate was ${round((CONCURRENCY_LIMIT * 1000) / mailpath.meanRequestMs)}/s`,
  );
  console.log(
    `mailpath: ${round(mailpath.fractionOfCeiling)} of the ceiling (target ≥ 0.95), ${mailpath.throttled429} 429s (target 0): ${ok ? "MET" : "NOT MET"}`,
  );
} finally {
  await emulator.stop().catch(() => {});
}
