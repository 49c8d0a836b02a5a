// The message-rate half of a sender mailbox's quota, shared by every process. (The
// concurrency half is BullMQ's global concurrency.)
//
// Exchange counts a message when its submission completes, over a rolling window. BullMQ's
// rate limiter counts a job when it starts, in fixed windows that open with their first job:
// with `{ max: 30, duration: 60_000 }` a late burst of one window and an early burst of the
// next land in one rolling minute (up to twice the quota), and even a start-paced limiter is
// broken by send times that vary (a cold process's first TLS handshake takes longer than
// its successors'). rate-limiter-flexible's limiters also count at consume time. So the
// window is kept the way core's in-process limiter keeps it: `maxMessagesPerInterval` tokens
// in a Redis sorted set, a token taken by an attempt coming back `intervalMs` after that
// attempt *finishes*. Server time (Redis TIME) is the only clock, so processes on machines
// whose clocks disagree still agree. A job that finds no token is parked with BullMQ's manual
// rate limit (`worker.rateLimit` + `RateLimitError`) until the first token returns: the whole
// mailbox queue waits, in every process, and the job uses no attempt.
import type { Redis } from "ioredis";

// KEYS[1] the token set; ARGV: capacity, member, lease (ms an in-flight token is held if its
// holder never reports back: a crashed process). Returns 0 when taken, else ms until a token
// returns.
const TAKE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  local expires = now + tonumber(ARGV[3])
  redis.call('ZADD', KEYS[1], expires, ARGV[2])
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], math.max(expires, tonumber(last[2])))
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
`;

// KEYS[1] the token set; ARGV: member, window (ms). The attempt finished now: its token
// returns one window from now (re-added if its lease had already lapsed: it still counts).
const FINISH = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expires = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], math.max(expires, tonumber(last[2])))
return 0
`;

/** One sender mailbox's message window. */
export interface MessageWindow {
  /**
   * Takes a token for an attempt.
   * @returns 0 when taken, else the milliseconds until the first token returns.
   */
  take(member: string): Promise<number>;
  /** The attempt finished (delivered or not): its token returns one window from now. */
  finish(member: string): Promise<void>;
}

/**
 * The message window of one mailbox: `capacity` messages per `windowMs`.
 * @param leaseMs - how long the token of an attempt that never reports back is held.
 */
export function messageWindow(
  client: Redis,
  key: string,
  capacity: number,
  windowMs: number,
  leaseMs: number,
): MessageWindow {
  return {
    async take(member) {
      return Number(await client.eval(TAKE, 1, key, capacity, member, Math.ceil(leaseMs)));
    },
    async finish(member) {
      await client.eval(FINISH, 1, key, member, Math.ceil(windowMs));
    },
  };
}
