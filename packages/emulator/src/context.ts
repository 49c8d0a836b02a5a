// The seams between the emulator's parts. `emulator.ts` builds one EmulatorContext and hands
// it to the SMTP endpoints (smtp/) and the HTTPS endpoints (http/): both read the live tenant
// policy, deliver into the same store, consume the same fault registry and count into the
// same stats.
import type { DeliveredMessage, DeliveryPath } from "@mailpath/core/testing";
import type { TenantPolicy } from "./tenant.js";

/** Which endpoint a fault or a statistic is about. */
export type EndpointName = "smtp" | "relay" | "graph" | "token";

/** Where in a request or session a fault strikes. */
export type FaultStage =
  | "connect"
  | "auth"
  | "mail"
  | "rcpt"
  | "before-data"
  | "after-data"
  | "request";

/**
 * A fault to inject. `count` faults strike the next N matching requests/sessions (default 1);
 * `rate` (0..1) strikes that share of them instead, indefinitely until `reset()`.
 */
export type FaultSpec = {
  readonly endpoint: EndpointName;
  readonly count?: number;
  readonly rate?: number;
  /** Graph only: match request paths containing this text (e.g. `/sendMail`, `/createUploadSession`). */
  readonly pathIncludes?: string;
} & (
  | /** Close the TCP connection (SMTP: at `stage`; HTTP: destroy the socket before answering, or after reading the body with `stage: "after-data"`). */
  {
      readonly kind: "drop";
      readonly stage?: FaultStage;
    } /** Answer with this SMTP reply (`"451 4.3.0 Temporary server error"`) or HTTP status + Graph/Entra error body. */
  | {
      readonly kind: "reply";
      readonly stage?: FaultStage;
      readonly reply?: string;
      readonly status?: number;
      readonly errorCode?: string;
      readonly errorMessage?: string;
      readonly retryAfterSeconds?: number;
    } /** Delay the answer. */
  | {
      readonly kind: "latency";
      readonly ms: number;
      readonly stage?: FaultStage;
    } /** Throttle like Exchange does: SMTP `432 4.3.2`/`451 4.7.500` style per endpoint, HTTP 429 + Retry-After. */
  | { readonly kind: "throttle"; readonly retryAfterSeconds?: number; readonly stage?: FaultStage }
);

/** Registry of pending faults; endpoints call `take()` at each stage. */
export interface FaultRegistry {
  add(spec: FaultSpec): void;
  /** Returns (and consumes, for counted faults) the first fault matching endpoint, stage and path. */
  take(endpoint: EndpointName, stage: FaultStage, path?: string): FaultSpec | undefined;
  clear(): void;
}

/** What a delivery into the store carries; the store parses `raw` with mailparser. */
export interface DeliveryInput {
  readonly path: DeliveryPath;
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** The full MIME message (Graph JSON is rendered to MIME first). */
  readonly raw: Buffer | string;
  readonly submittedBy?: string;
  readonly savedToSentItems?: boolean;
}

/** The mailbox store: every accepted message from any path. */
export interface MailStore {
  deliver(input: DeliveryInput): Promise<DeliveredMessage>;
  /** Stores a message parsed earlier (one held back by the message rate, released now). */
  add(message: DeliveredMessage): void;
  list(): readonly DeliveredMessage[];
  /**
   * Removes these messages (the sandbox's delete); returns how many were removed.
   * @since 0.1.0
   */
  remove(ids: readonly string[]): number;
  waitFor(
    count: number,
    options?: { readonly timeoutMs?: number },
  ): Promise<readonly DeliveredMessage[]>;
  clear(): void;
}

/** Counters tests and benchmarks read. */
export interface EmulatorStats {
  /** Requests/sessions per endpoint. */
  readonly requests: Record<EndpointName, number>;
  /** Throttle answers given (SMTP 432/451 4.7.5xx/554 quota, HTTP 429) per endpoint. */
  readonly throttled: Record<EndpointName, number>;
  /** Access tokens issued by the token endpoint. */
  tokensIssued: number;
  /** Highest number of concurrent requests/connections seen for one mailbox, per endpoint. */
  readonly maxConcurrency: Record<EndpointName, number>;
  /** Largest Graph upload-session chunk received, in bytes. */
  maxUploadChunkBytes: number;
}

/** Verifies emulator-issued access tokens (used by SMTP XOAUTH2 and Graph). */
export interface TokenVerifier {
  /**
   * Resolves the token's claims when its signature, issuer, audience and expiry are valid,
   * else rejects with a reason meant for a server log (never echo the token).
   */
  verify(token: string, expectedAudience: string): Promise<AccessTokenClaims>;
}

/** The claims mailpath cares about in an Entra app-only access token. */
export interface AccessTokenClaims {
  readonly aud: string;
  readonly tid: string;
  readonly appid: string;
  readonly roles: readonly string[];
  readonly exp: number;
  readonly iat: number;
}

/** TLS material of one emulator run. */
export interface EmulatorTls {
  /** CA certificate (PEM) that signed every server and client certificate below. */
  readonly ca: string;
  /** Server certificate + key for 127.0.0.1, ::1 and localhost. */
  readonly cert: string;
  readonly key: string;
  /** CA private key (PEM), when known: kept by `dataDir` so the same CA signs after a restart. */
  readonly caKey?: string;
  /** Issues a client certificate with this CN/SAN, signed by the CA (relay connectors, Entra assertions). */
  issueClientCertificate(
    commonName: string,
  ): Promise<{ readonly cert: string; readonly key: string }>;
}

/** Everything an endpoint needs. */
export interface EmulatorContext {
  /** The live policy: read it on every request, `configure()` replaces it. */
  tenant(): TenantPolicy;
  readonly store: MailStore;
  readonly faults: FaultRegistry;
  readonly stats: EmulatorStats;
  readonly tls: EmulatorTls;
  readonly tokens: TokenVerifier;
  /** Loopback address to bind. @default "127.0.0.1" */
  readonly host: string;
  /** Milliseconds since epoch; injectable for tests. */
  now(): number;
}
