// The fault soak of issue 9: many sends through one path of the emulator while it injects
// temporary errors, dropped connections (half of them after the message was stored), throttling
// and server errors; then every send is matched with what the mailbox store holds.
// Used by soak.integration.test.ts (CI size) and bench/soak (longer, prints the figures).
import { createMailer, MailError, type Transport } from "@mailpath/core";
import { DEFAULT_SENDER, type Emulator, type FaultSpec } from "@mailpath/emulator";
import { createTransportFromEnv } from "../index.js";
import { CONNECTOR_IP } from "./ports.js";

/** A path the soak drives. */
export type SoakPath = "smtp" | "relay" | "graph";

/** What one soak run measured. */
export interface SoakFigures {
  readonly path: SoakPath;
  /** `send()` calls. */
  readonly sends: number;
  /** Sends that resolved. */
  readonly delivered: number;
  /** Sends that rejected with a MailError (the caller was told why). */
  readonly failed: number;
  /** Rejections by code. */
  readonly failedByCode: Readonly<Record<string, number>>;
  /** Sends that resolved without a copy in the mailbox, or settled with something else than a MailError. */
  readonly lost: number;
  /** Sends with more than one copy in the mailbox. */
  readonly duplicates: number;
  /** Duplicates the caller was told about (`ambiguousAttempts > 0`, or an `ambiguous` error). */
  readonly flagged: number;
  /** Duplicates whose copies do not all carry the send's Message-ID. */
  readonly foreignMessageIds: number;
  /** Sends that failed while a copy was delivered, without `ambiguous: true`. */
  readonly silentDeliveries: number;
  /** Results or errors flagged ambiguous (a duplicate was possible). */
  readonly ambiguousReported: number;
  /** Attempts made, over all sends. */
  readonly attempts: number;
  readonly seconds: number;
}

/** A seeded generator (Park–Miller), so a run's faults are reproducible from its seed. */
export function seeded(seed: number): () => number {
  let state = seed % 2_147_483_647 || 1;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return (state - 1) / 2_147_483_646;
  };
}

/** The tenant limits the soak runs under: Exchange's rate windows lifted, concurrency kept. */
export const SOAK_LIMITS = {
  smtpMessagesPerWindow: 1_000_000_000,
  recipientsPerWindow: 1_000_000_000,
  graphRequestsPerWindow: 1_000_000_000,
  relayMessagesPerWindow: 1_000_000_000,
} as const;

/**
 * The fault mix of issue 9, per path: 10% temporary errors, 2% dropped connections (1% before
 * the data was sent, 1% after the message was stored), 1% throttling, 2% server errors (5xx:
 * a permanent SMTP refusal at the end of DATA; HTTP 500 on Graph).
 * @param path - the endpoint to strike
 * @returns the `rate` faults to inject
 */
export function soakFaults(path: SoakPath): FaultSpec[] {
  if (path === "graph") {
    const on = { endpoint: "graph", pathIncludes: "sendMail" } as const;
    return [
      { ...on, kind: "reply", status: 503, errorCode: "ServiceUnavailable", rate: 0.1 },
      { ...on, kind: "drop", stage: "request", rate: 0.01 },
      { ...on, kind: "throttle", rate: 0.01 },
      { ...on, kind: "reply", status: 500, errorCode: "InternalServerError", rate: 0.02 },
      { ...on, kind: "drop", stage: "after-data", rate: 0.01 },
    ];
  }
  return [
    { endpoint: path, kind: "reply", stage: "mail", rate: 0.1 },
    { endpoint: path, kind: "throttle", stage: "mail", rate: 0.01 },
    { endpoint: path, kind: "drop", stage: "before-data", rate: 0.01 },
    {
      endpoint: path,
      kind: "reply",
      stage: "after-data",
      reply: "554 5.3.0 Other mail system problem",
      rate: 0.02,
    },
    { endpoint: path, kind: "drop", stage: "after-data", rate: 0.01 },
  ];
}

/** Options of `runSoak`. */
export interface SoakOptions {
  readonly emulator: Emulator;
  readonly path: SoakPath;
  readonly sends: number;
  /** Sends kept outstanding by the caller. @default 16 */
  readonly outstanding?: number;
}

/**
 * Drives `sends` messages through `path` with the fault mix injected, then matches each send
 * with the copies the mailbox store holds. The emulator must have been started with a seeded
 * `random`; its store and faults are reset first.
 * @param options - the emulator, the path and how many sends
 * @returns the figures
 */
export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const { emulator, path, sends } = options;
  emulator.reset();
  const transport: Transport = await createTransportFromEnv(
    emulator.env({ MAILPATH_TRANSPORT: path, MAILPATH_RELAY_LOCAL_ADDRESS: CONNECTOR_IP }),
  );
  const mailer = createMailer({
    transport,
    from: DEFAULT_SENDER,
    // Enough attempts that a message meets its faults and still gets through; the backoff
    // (and the throttles' Retry-After) is requested, not waited: the sleep is injected.
    retry: { maxAttempts: 12, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 3_600_000 },
    sleep: () => Promise.resolve(),
    // The paths' connection limits stay (SMTP 3, Graph 4 per mailbox); the per-minute rate of
    // SMTP AUTH is lifted in the tenant and here.
    rateLimit: { maxPerInterval: 1_000_000_000, intervalMs: 1 },
    // 14% of attempts fail as path failures: far from the 50% that opens the breaker.
    circuitBreaker: { volumeThreshold: 50 },
    timeoutMs: 30_000,
  });
  for (const fault of soakFaults(path)) emulator.inject(fault);

  interface Outcome {
    readonly messageId?: string;
    readonly ambiguous: boolean;
    readonly error?: unknown;
    readonly attempts: number;
  }
  const outcomes: Outcome[] = new Array(sends);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < sends) {
      const index = next++;
      try {
        const result = await mailer.send({
          to: "ada@contoso.com",
          subject: `soak ${path} ${index}`,
          text: `Message ${index} of the ${path} soak.`,
        });
        outcomes[index] = {
          messageId: result.messageId,
          ambiguous: result.ambiguousAttempts > 0,
          attempts: result.attempts,
        };
      } catch (error) {
        const mailError = MailError.isInstance(error) ? error : undefined;
        outcomes[index] = {
          ...(mailError?.messageId !== undefined && { messageId: mailError.messageId }),
          ambiguous: mailError?.ambiguous === true,
          error,
          attempts: mailError?.attempts ?? 0,
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.outstanding ?? 16, sends) }, worker));
  const seconds = (performance.now() - started) / 1_000;
  await mailer.close();

  const copies = new Map<string, string[]>();
  for (const delivered of emulator.messages()) {
    const list = copies.get(delivered.subject ?? "") ?? [];
    list.push(delivered.messageId ?? "");
    copies.set(delivered.subject ?? "", list);
  }
  let delivered = 0;
  let failed = 0;
  let lost = 0;
  let duplicates = 0;
  let flagged = 0;
  let foreignMessageIds = 0;
  let silentDeliveries = 0;
  let ambiguousReported = 0;
  let attempts = 0;
  const failedByCode: Record<string, number> = {};
  outcomes.forEach((outcome, index) => {
    const ids = copies.get(`soak ${path} ${index}`) ?? [];
    attempts += outcome.attempts;
    if (outcome.ambiguous) ambiguousReported++;
    if (outcome.error === undefined) {
      delivered++;
      if (ids.length === 0) lost++;
    } else if (MailError.isInstance(outcome.error)) {
      failed++;
      failedByCode[outcome.error.code] = (failedByCode[outcome.error.code] ?? 0) + 1;
      if (ids.length > 0 && !outcome.ambiguous) silentDeliveries++;
    } else {
      lost++;
    }
    if (ids.length > 1) {
      duplicates++;
      if (outcome.ambiguous) flagged++;
    }
    if (ids.some((id) => id !== outcome.messageId)) foreignMessageIds++;
  });
  return {
    path,
    sends,
    delivered,
    failed,
    failedByCode,
    lost,
    duplicates,
    flagged,
    foreignMessageIds,
    silentDeliveries,
    ambiguousReported,
    attempts,
    seconds: Math.round(seconds * 100) / 100,
  };
}
