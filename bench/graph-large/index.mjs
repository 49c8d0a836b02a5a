// graph-large: one 100 MB attachment streamed from a temporary file through a draft, an upload
// session (sequential PUTs of 3,932,160 bytes) and send. Figures: the client process's peak RSS
// growth over its RSS just before the send (target ≤ 64 MB) and MB/s.
//
// A script that prints figures, not a test. Bounded: one send, with a deadline. The emulator
// (which must hold the whole attachment to deliver it) runs in a child process, so the RSS
// measured here is the client's alone.
//
//   cd /work/main && pnpm build && pnpm --filter @mailpath/bench graph-large
//   SIZE_MB=100 node bench/graph-large/index.mjs
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeMessage } from "@mailpath/core";
import { DEFAULT_SENDER } from "@mailpath/emulator";
import { createGraphTransport } from "@mailpath/transport-graph";
import { forkEmulator } from "../emulator-process.mjs";
import { loadavg, printTargets } from "../support/figures.mjs";
import { sampleRss } from "../support/rss.mjs";

const SIZE_MB = Number(process.env.SIZE_MB ?? 100);
const SIZE = SIZE_MB * 1024 * 1024;
const DEADLINE_MS = Number(process.env.DEADLINE_MS ?? 300_000);
const MiB = 1024 * 1024;

/** Writes SIZE pseudo-random bytes in 1 MiB pieces (never the whole file in memory). */
async function writeTempFile(path) {
  const hash = createHash("sha256");
  const out = createWriteStream(path);
  let state = 12_345;
  for (let written = 0; written < SIZE; written += MiB) {
    const piece = Buffer.allocUnsafe(Math.min(MiB, SIZE - written));
    for (let index = 0; index + 4 <= piece.length; index += 4) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      piece.writeUInt32LE(state, index);
    }
    hash.update(piece);
    if (!out.write(piece)) await new Promise((resolve) => out.once("drain", resolve));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
  return hash.digest("hex");
}

const dir = await mkdtemp(join(tmpdir(), "mailpath-graph-large-"));
const emulator = await forkEmulator({}, { maxSendBytes: 150 * MiB });
try {
  const path = join(dir, "large.bin");
  const sha256 = await writeTempFile(path);
  const transport = createGraphTransport({ ...emulator.graphApp, requestTimeoutMs: 60_000 });
  await transport.verify(); // the token first: the clock and RSS measure the send alone
  const message = normalizeMessage(
    {
      to: "reader@fabrikam.com",
      subject: `${SIZE_MB} MB attachment`,
      text: "Streamed from a file.",
      attachments: [{ filename: "large.bin", content: { path } }],
    },
    { from: DEFAULT_SENDER },
  );

  const rss = sampleRss(5);
  const started = performance.now();
  const deadline = setTimeout(() => {
    console.error(`deadline of ${DEADLINE_MS} ms passed`);
    process.exit(1);
  }, DEADLINE_MS);
  await transport.send(message, { signal: AbortSignal.timeout(DEADLINE_MS) });
  const seconds = (performance.now() - started) / 1000;
  clearTimeout(deadline);
  const peak = rss.stop();
  await transport.close();

  const [delivered] = await emulator.messages();
  const attachment = delivered?.attachments.find((item) => item.filename === "large.bin");
  const stats = await emulator.stats();
  const growthMb = (peak - rss.before) / MiB;
  console.log(`graph-large: one ${SIZE_MB} MB attachment from a file; node ${process.version}`);
  console.table({
    "RSS before send (MB)": Math.round(rss.before / MiB),
    "peak RSS growth (MB)": Math.round(growthMb * 10) / 10,
    "time (s)": Math.round(seconds * 100) / 100,
    "MB/s": Math.round((SIZE_MB / seconds) * 10) / 10,
    "largest PUT (bytes)": stats.maxUploadChunkBytes,
    "delivered sha256 equal": attachment?.sha256 === sha256,
  });
  const targets = [
    {
      target: "peak RSS growth <= 64 MB",
      value: Math.round(growthMb * 10) / 10,
      met: growthMb <= 64,
    },
    {
      target: "delivered attachment's sha256 equal",
      value: attachment?.sha256 === sha256 ? 1 : 0,
      met: attachment?.sha256 === sha256,
    },
  ];
  printTargets(targets, "");
  console.log(
    JSON.stringify({
      bench: "graph-large",
      node: process.version,
      load: loadavg(),
      sizeMb: SIZE_MB,
      seconds: Math.round(seconds * 100) / 100,
      rssBeforeMb: Math.round(rss.before / MiB),
      peakRssGrowthMb: Math.round(growthMb * 10) / 10,
      largestPutBytes: stats.maxUploadChunkBytes,
      targets,
      met: targets.every((target) => target.met),
    }),
  );
} finally {
  await emulator.stop().catch(() => {});
  await rm(dir, { recursive: true, force: true });
}
