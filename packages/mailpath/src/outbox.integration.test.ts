// createOutboxFromEnv against the emulator and a real redis-server: MAILPATH_TEST_REDIS_URL, or
// a private one started here (never the machine's own Redis).
import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRedis } from "../../outbox/test/support/redis-global-setup.js";
import { createOutboxFromEnv } from "./outbox.js";
import { graphOutbox } from "./test-support/outbox.js";

const emulator = useEmulator({ beforeAll, afterAll });
let redisUrl: string;
let stopRedis: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const server = await testRedis();
  redisUrl = server.url;
  stopRedis = server.stop;
});
afterAll(async () => {
  await stopRedis?.();
});

describe("createOutboxFromEnv", () => {
  it("queues in the Redis of MAILPATH_REDIS_URL under MAILPATH_OUTBOX_PREFIX and sends through the path MAILPATH_TRANSPORT names", async () => {
    const { outbox } = await graphOutbox(emulator, redisUrl);
    try {
      const { id, messageId } = await outbox.enqueue({
        to: "ada@contoso.com",
        subject: "From the outbox",
        text: "Queued first.",
      });
      expect(id.startsWith("notifications@contoso.com/")).toBe(true);
      expect(outbox.limits).toMatchObject({ maxConcurrency: 4 });
      const sent = new Promise((resolve) => outbox.on("sent", resolve));
      await outbox.startWorker();
      expect(await sent).toMatchObject({ id, messageId, transport: "graph" });
      const [delivered] = await emulator.waitForMessages(1);
      expect(delivered).toMatchObject({ path: "graph", messageId });
    } finally {
      await outbox.close();
    }
  });

  it("names MAILPATH_REDIS_URL when it is missing", async () => {
    await expect(
      createOutboxFromEnv(emulator.env({ MAILPATH_TRANSPORT: "smtp" })),
    ).rejects.toMatchObject({
      code: "INVALID_CONFIG",
      issues: [{ path: "MAILPATH_REDIS_URL" }],
    });
  });

  it("refuses a misspelt outbox variable like any other", async () => {
    const { configFromEnv } = await import("./env.js");
    const { issues } = configFromEnv({ MAILPATH_REDIS_URI: "redis://127.0.0.1:1" });
    expect(issues[0]?.message).toContain("MAILPATH_REDIS_URL");
  });
});
