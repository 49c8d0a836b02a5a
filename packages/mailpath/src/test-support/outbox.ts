// The outbox integration tests' outbox: createOutboxFromEnv on the emulator's Graph path,
// queueing in the test's Redis under a key prefix of its own.
import { randomUUID } from "node:crypto";
import type { Emulator } from "@mailpath/emulator";
import type { Outbox } from "@mailpath/outbox";
import { createOutboxFromEnv } from "../outbox.js";

/** A fresh outbox through Graph, with `variables` over the emulator's, and its key prefix. */
export async function graphOutbox(
  emulator: Emulator,
  redisUrl: string,
  variables: Readonly<Record<string, string>> = {},
): Promise<{ outbox: Outbox; prefix: string }> {
  const prefix = `mpt-${randomUUID().slice(0, 8)}`;
  const outbox = await createOutboxFromEnv(
    emulator.env({
      MAILPATH_TRANSPORT: "graph",
      MAILPATH_REDIS_URL: redisUrl,
      MAILPATH_OUTBOX_PREFIX: prefix,
      ...variables,
    }),
  );
  return { outbox, prefix };
}
