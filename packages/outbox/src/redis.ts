import { MailError, scrubText } from "@mailpath/core";
import { Redis, type RedisOptions } from "ioredis";
import type { OutboxConnection } from "./options.js";

/** The outbox's Redis clients: one for commands, and a factory for workers' connections. */
export interface OutboxRedis {
  /** Queues, status, the sender registry. */
  readonly client: Redis;
  /** A new connection for a BullMQ worker (which blocks on it): `maxRetriesPerRequest: null`. */
  workerConnection(): Redis;
  /** Closes the connections the outbox opened (never a client the caller passed). */
  close(): Promise<void>;
}

/**
 * ioredis options as its constructor takes them: with exactOptionalPropertyTypes its own
 * `RedisOptions` (`replyMapping` may be undefined) does not fit its constructor (it may not).
 * Type only: a `replyMapping` the caller set still reaches the client.
 */
type ClientOptions = Omit<RedisOptions, "replyMapping">;

function isRedisClient(value: OutboxConnection): value is Redis {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Redis).duplicate === "function" &&
    typeof (value as Redis).info === "function"
  );
}

/** Opens (lazily) the clients for a connection option. */
export function openRedis(connection: OutboxConnection): OutboxRedis {
  const owned: Redis[] = [];
  const make = (extra: ClientOptions): Redis => {
    let client: Redis;
    if (isRedisClient(connection)) client = connection.duplicate(extra);
    else if (typeof connection === "string") client = new Redis(connection, extra);
    else {
      const options: ClientOptions = connection;
      client = new Redis({ ...options, ...extra });
    }
    // Errors reach the calls that need Redis; an unhandled 'error' event must not crash the app.
    client.on("error", () => {});
    owned.push(client);
    return client;
  };
  const client = isRedisClient(connection) ? connection : make({});
  return {
    client,
    workerConnection: () => make({ maxRetriesPerRequest: null }),
    async close() {
      await Promise.all(
        owned.splice(0).map((redis) => redis.quit().catch(() => redis.disconnect())),
      );
    },
  };
}

/** A Redis failure as a `MailError` (URL passwords scrubbed from the text). */
export function redisError(error: unknown, doing: string): MailError {
  if (MailError.isInstance(error)) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new MailError({
    code: "CONNECTION_FAILED",
    message: scrubText(`Redis failed while ${doing}: ${text}`),
    retryable: true,
    hint: "Check that the outbox's Redis is running and reachable (connection option / MAILPATH_REDIS_URL).",
    cause: error,
  });
}

/**
 * Refuses a Redis that may evict keys: an evicted job is a message lost without a trace, and
 * BullMQ needs `maxmemory-policy noeviction`. Reads `INFO memory`, which managed Redis services
 * answer even where `CONFIG` is disabled.
 * @throws MailError `INVALID_CONFIG` for any other policy; `CONNECTION_FAILED` when Redis is unreachable.
 */
export async function checkNoEviction(client: Redis): Promise<void> {
  let info: string;
  try {
    info = await client.info("memory");
  } catch (error) {
    throw redisError(error, "reading INFO memory");
  }
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy !== undefined && policy !== "noeviction") {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `The outbox's Redis has maxmemory-policy ${policy}: it may evict queued messages.`,
      hint: "Set maxmemory-policy noeviction on this Redis (redis.conf or CONFIG SET), or give the outbox a Redis of its own.",
      issues: [
        { path: "connection", message: `maxmemory-policy is ${policy}, must be noeviction` },
      ],
    });
  }
}
