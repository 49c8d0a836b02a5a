// startEmulator(): one local Exchange Online on loopback — SMTP submission, relay (MX),
// Entra token and Graph endpoints sharing one tenant policy, store, fault registry and stats.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeliveredMessage, DeliveryPath } from "@mailpath/core/testing";
import { createEmulatorTls, type EmulatorTlsInput } from "./certs.js";
import type { EmulatorContext, EmulatorStats, EndpointName, FaultSpec } from "./context.js";
import { openDataDir } from "./data-dir.js";
import { createFaultRegistry } from "./faults.js";
import { startHttpEndpoints } from "./http/index.js";
import type { SmtpEndpoint } from "./smtp/common.js";
import { startRelayEndpoint } from "./smtp/relay.js";
import { SMTP_TOKEN_AUDIENCE, startSubmissionEndpoint } from "./smtp/submission.js";
import { createExchangeStamp } from "./stamp/exchange-stamp.js";
import { createMailStore } from "./store.js";
import {
  DEFAULT_SENDER,
  defaultTenant,
  mergeTenant,
  type TenantPolicy,
  type TenantPolicyInput,
} from "./tenant.js";
import { createTokenAuthority } from "./tokens.js";
import { startWebInbox, type WebInbox, type WebInboxOptions } from "./web/server.js";

/** Options of `startEmulator()`. Every one has a default: `startEmulator()` alone works. */
export interface StartEmulatorOptions {
  /**
   * Tenant policy merged over the default tenant (arrays replace, limits merge).
   * @default the default tenant (`defaultTenant()`)
   */
  readonly tenant?: TenantPolicyInput;
  /** Loopback address every endpoint binds. @default "127.0.0.1" */
  readonly host?: string;
  /** Fixed ports; 0 or absent picks an ephemeral port. @default ephemeral ports */
  readonly ports?: {
    /** SMTP AUTH submission endpoint (smtp.office365.com:587). */
    readonly smtp?: number;
    /** Relay / direct-send endpoint (the MX, port 25). */
    readonly relay?: number;
    /** Microsoft Graph endpoint. */
    readonly graph?: number;
    /** Entra ID token endpoint. */
    readonly entra?: number;
  };
  /**
   * TLS material to use instead of a CA + server certificate generated for this start.
   * @default a CA and server certificate generated at start
   */
  readonly tls?: EmulatorTlsInput;
  /** Clock for rate windows, token expiry and `receivedAt` (ms since epoch). @default Date.now */
  readonly now?: () => number;
  /** Randomness for `rate` faults, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /**
   * A directory that keeps the CA and server certificate (`ca.pem` is the CA file, never
   * deleted on stop), the token signing key, the ports bound (reused when `ports` leaves
   * them unset) and every delivered message, so a restart answers a saved `.emulator.env`
   * as before. Created when missing.
   * @default none: fresh keys, ephemeral ports, and a CA file removed on stop
   * @since 0.1.0
   */
  readonly dataDir?: string;
  /**
   * Called with every message as it is stored (the CLI prints one line per delivery).
   * @since 0.1.0
   */
  readonly onMessage?: (message: DeliveredMessage) => void;
  /**
   * Serve the sandbox: a web inbox of every delivered message, with Mailpit's `/api/v1`, on
   * loopback (`true`, or `{ port, analyzeHeaders }`; pass `analyzeHeaders` from
   * `@mailpath/inspect` for the header analysis). Its address is `web.url`.
   * @default false
   * @since 0.1.0
   */
  readonly web?: boolean | Omit<WebInboxOptions, "host">;
  /**
   * Stamp delivered mail as Exchange Online would: a DKIM signature by the tenant's selector
   * key, Authentication-Results (SPF, DKIM, DMARC by mailauth against `tenant.senderDns`,
   * compauth), X-MS-Exchange-Organization-AuthAs/AuthSource/SCL/MessageDirectionality and an
   * Exchange-shaped Received line (docs/sandbox.md lists them).
   * @default true with `web`, else false
   * @since 0.1.0
   */
  readonly stamp?: boolean;
}

/** Which delivered messages `messages()` returns. */
export type MessageFilter =
  | ((message: DeliveredMessage) => boolean)
  | {
      readonly path?: DeliveryPath;
      /** Envelope sender or `From` address (case-insensitive). */
      readonly from?: string;
      /** Any envelope recipient (case-insensitive). */
      readonly to?: string;
      readonly subject?: string | RegExp;
      readonly submittedBy?: string;
    };

/** What `issueAccessToken()` signs. */
export interface IssueAccessTokenOptions {
  /** @default the first app of the tenant */
  readonly clientId?: string;
  /** @default "https://outlook.office365.com" (SMTP XOAUTH2); Graph is "https://graph.microsoft.com" */
  readonly audience?: string;
  /** @default the app's granted permissions */
  readonly roles?: readonly string[];
  /** @default the tenant's id */
  readonly tenantId?: string;
  /** @default 3599 */
  readonly lifetimeSeconds?: number;
}

/** A running emulator. */
export interface Emulator {
  /** SMTP AUTH submission endpoint (like smtp.office365.com:587). */
  readonly smtp: { readonly host: string; readonly port: number };
  /** Relay / direct-send endpoint (like <domain-key>.mail.protection.outlook.com:25). */
  readonly relay: { readonly host: string; readonly port: number };
  /** Graph root without a version (like https://graph.microsoft.com). */
  readonly graph: { readonly baseUrl: string };
  /** Entra authority host (like https://login.microsoftonline.com) and the tenant's id. */
  readonly entra: { readonly authorityHost: string; readonly tenantId: string };
  /** The sandbox's web inbox (with `web` set): `url` is the page to open. @since 0.1.0 */
  readonly web?: { readonly url: string };
  /** The CA certificate (PEM) every endpoint's certificate chains to. */
  readonly ca: string;
  /** Path of a file holding `ca` (for `MAILPATH_TLS_CA_FILE`, `NODE_EXTRA_CA_CERTS`). */
  readonly caFile: string;
  /** The live tenant policy. */
  readonly tenant: TenantPolicy;
  /** `MAILPATH_*` variables that point a mailer at this emulator (SMTP path by default). */
  env(overrides?: Readonly<Record<string, string | undefined>>): Record<string, string>;
  /** Delivered messages, oldest first. */
  messages(filter?: MessageFilter): readonly DeliveredMessage[];
  /** Resolves once at least `count` messages were delivered; rejects after `timeoutMs` (default 5000). */
  waitForMessages(
    count: number,
    options?: { readonly timeoutMs?: number },
  ): Promise<readonly DeliveredMessage[]>;
  /** Empties the store, zeroes the counters, removes faults and forgets rate windows. `tenant: true` also restores the starting policy. */
  reset(options?: { readonly tenant?: boolean }): void;
  /** Merges a partial policy over the live one (arrays replace, limits merge). */
  configure(policy: TenantPolicyInput): void;
  /** Registers a fault (`count` strikes, default 1, or a `rate`). */
  inject(fault: FaultSpec): void;
  /** Registers a fault that strikes once. */
  failNext(fault: FaultSpec): void;
  /** A snapshot of the counters. */
  stats(): EmulatorStats;
  /** A client certificate (PEM) with this CN/SAN signed by the emulator's CA. */
  issueClientCertificate(commonName: string): Promise<{ cert: string; key: string }>;
  /** An access token as the token endpoint would issue it (XOAUTH2 and Graph tests). */
  issueAccessToken(options?: IssueAccessTokenOptions): Promise<string>;
  /** Stops every endpoint and removes `caFile`, unless it lives in `dataDir`. Idempotent. */
  stop(): Promise<void>;
}

const ENDPOINTS: readonly EndpointName[] = ["smtp", "relay", "graph", "token"];

function createStats(): EmulatorStats {
  const zero = () => ({ smtp: 0, relay: 0, graph: 0, token: 0 });
  return {
    requests: zero(),
    throttled: zero(),
    tokensIssued: 0,
    maxConcurrency: zero(),
    maxUploadChunkBytes: 0,
  };
}

function resetStats(stats: EmulatorStats): void {
  for (const endpoint of ENDPOINTS) {
    stats.requests[endpoint] = 0;
    stats.throttled[endpoint] = 0;
    stats.maxConcurrency[endpoint] = 0;
  }
  stats.tokensIssued = 0;
  stats.maxUploadChunkBytes = 0;
}

function matches(message: DeliveredMessage, filter: MessageFilter | undefined): boolean {
  if (!filter) return true;
  if (typeof filter === "function") return filter(message);
  const same = (left: string | undefined, right: string) =>
    left !== undefined && left.toLowerCase() === right.toLowerCase();
  if (filter.path !== undefined && message.path !== filter.path) return false;
  if (filter.submittedBy !== undefined && message.submittedBy !== filter.submittedBy) return false;
  if (
    filter.from !== undefined &&
    !same(message.envelope.from, filter.from) &&
    !same(message.from?.address, filter.from)
  ) {
    return false;
  }
  if (filter.to !== undefined) {
    const wanted = filter.to;
    if (!message.envelope.to.some((address) => same(address, wanted))) return false;
  }
  if (filter.subject !== undefined) {
    const subject = message.subject ?? "";
    if (
      typeof filter.subject === "string"
        ? subject !== filter.subject
        : !filter.subject.test(subject)
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Starts a local Exchange Online: SMTP submission, relay, Entra token and Graph endpoints on
 * loopback, with a CA generated for this start.
 * @param options tenant policy, host, ports, TLS material, clock
 * @returns the running emulator; call `stop()` when done
 * @example
 * const emulator = await startEmulator({ tenant: { limits: { smtpMessagesPerWindow: 5 } } });
 * const mailer = createMailerFromEnv(emulator.env());
 * await mailer.send({ to: "ada@contoso.com", subject: "Hi", text: "Hello" });
 * const [message] = await emulator.waitForMessages(1);
 * await emulator.stop();
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now;
  const initialTenant = mergeTenant(defaultTenant(), options.tenant);
  let tenant = initialTenant;
  // Key generation dominates start-up time: make the TLS keys and the signing key together.
  const data = options.dataDir ? await openDataDir(options.dataDir) : undefined;
  const [tls, tokens] = await Promise.all([
    createEmulatorTls(options.tls ?? data?.tls),
    createTokenAuthority({ now, ...(data?.signingKey ? { signingKey: data.signingKey } : {}) }),
  ]);
  if (data && !options.tls && !data.tls) {
    await data.saveTls({
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      ...(tls.caKey ? { caKey: tls.caKey } : {}),
    });
  }
  if (data && !data.signingKey) await data.saveSigningKey(await tokens.exportSigningKey());
  // Appends run one after another, so the file keeps the order of delivery.
  let persisting: Promise<void> = Promise.resolve();
  const changeListeners = new Set<() => void>();
  const onStored = (message: DeliveredMessage) => {
    if (data) persisting = persisting.then(() => data.append(message)).catch(() => {});
    options.onMessage?.(message);
    for (const listener of changeListeners) listener();
  };
  const stats = createStats();
  const context: EmulatorContext & { readonly tokens: typeof tokens } = {
    tenant: () => tenant,
    store: createMailStore(now, { restored: data?.messages ?? [], onStored }),
    faults: createFaultRegistry(options.random),
    stats,
    tls,
    tokens,
    host: options.host ?? "127.0.0.1",
    now,
  };

  if (options.stamp ?? Boolean(options.web)) {
    const stamp = createExchangeStamp(() => tenant, now);
    const deliver = context.store.deliver.bind(context.store);
    context.store.deliver = async (input) => deliver(await stamp(input));
  }

  const closers: (() => Promise<void>)[] = [() => persisting];
  let caFile: string;
  if (data) {
    // The data directory's CA file outlives every run: it is what a saved env points at.
    caFile = data.caFile;
    if (options.tls) await writeFile(caFile, tls.ca, { mode: 0o644 });
  } else {
    const directory = await mkdtemp(join(tmpdir(), "mailpath-emulator-"));
    caFile = join(directory, "ca.pem");
    await writeFile(caFile, tls.ca, { mode: 0o644 });
    closers.push(() => rm(directory, { recursive: true, force: true }));
  }
  const savedPorts = data?.ports;
  const stopAll = async () => {
    const pending = closers.splice(0).reverse();
    await Promise.allSettled(pending.map((close) => close()));
  };
  let submission: SmtpEndpoint;
  let relay: SmtpEndpoint;
  let http: Awaited<ReturnType<typeof startHttpEndpoints>>;
  let web: WebInbox | undefined;
  try {
    submission = await startSubmissionEndpoint(context, {
      port: options.ports?.smtp ?? savedPorts?.smtp ?? 0,
    });
    closers.push(() => submission.close());
    relay = await startRelayEndpoint(context, {
      port: options.ports?.relay ?? savedPorts?.relay ?? 0,
    });
    closers.push(() => relay.close());
    http = await startHttpEndpoints(context, {
      graphPort: options.ports?.graph ?? savedPorts?.graph ?? 0,
      entraPort: options.ports?.entra ?? savedPorts?.entra ?? 0,
    });
    closers.push(() => http.close());
    if (options.web) {
      const webOptions = options.web === true ? {} : options.web;
      web = await startWebInbox(
        {
          list: () => {
            submission.releaseDue?.();
            return context.store.list();
          },
          remove(ids) {
            if (context.store.remove(ids) === 0) return;
            if (data) {
              const kept = context.store.list();
              persisting = persisting.then(() => data.replaceMessages(kept)).catch(() => {});
            }
            for (const listener of changeListeners) listener();
          },
          subscribe(listener) {
            changeListeners.add(listener);
            return () => changeListeners.delete(listener);
          },
        },
        { ...webOptions, host: context.host },
      );
      const started = web;
      closers.push(() => started.close());
    }
    await data?.savePorts({
      smtp: submission.port,
      relay: relay.port,
      graph: Number(new URL(http.graphBaseUrl).port),
      entra: Number(new URL(http.authorityHost).port),
    });
  } catch (error) {
    await stopAll();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const sender = () => {
    const mailboxes = tenant.mailboxes;
    return (
      mailboxes.find((mailbox) => mailbox.address.toLowerCase() === DEFAULT_SENDER) ??
      mailboxes.find((mailbox) => mailbox.password !== undefined) ??
      mailboxes[0]
    );
  };

  return {
    smtp: { host: submission.host, port: submission.port },
    relay: { host: relay.host, port: relay.port },
    graph: { baseUrl: http.graphBaseUrl },
    ...(web ? { web: { url: web.url } } : {}),
    entra: {
      authorityHost: http.authorityHost,
      get tenantId() {
        return tenant.tenantId;
      },
    },
    ca: tls.ca,
    caFile,
    get tenant() {
      return tenant;
    },
    env(overrides = {}) {
      const mailbox = sender();
      const app = tenant.apps[0];
      const secret = app?.secrets?.[0]?.value;
      const values: Record<string, string | undefined> = {
        MAILPATH_TRANSPORT: "smtp",
        MAILPATH_FROM: mailbox?.address,
        MAILPATH_TENANT_ID: tenant.tenantId,
        MAILPATH_CLIENT_ID: app?.clientId,
        MAILPATH_CLIENT_SECRET: secret,
        MAILPATH_AUTHORITY_HOST: http.authorityHost,
        MAILPATH_GRAPH_BASE_URL: http.graphBaseUrl,
        MAILPATH_SMTP_HOST: submission.host,
        MAILPATH_SMTP_PORT: String(submission.port),
        MAILPATH_SMTP_USER: mailbox?.address,
        MAILPATH_SMTP_PASSWORD: mailbox?.password,
        MAILPATH_SMTP_AUTH: "password",
        MAILPATH_RELAY_HOST: relay.host,
        MAILPATH_RELAY_PORT: String(relay.port),
        // Connect from the IP an IP-matched connector lists (127.0.0.2 by default), so the relay
        // path relays like a configured connector, not like direct send.
        MAILPATH_RELAY_LOCAL_ADDRESS: tenant.connectors.find(
          (connector) => connector.senderIps?.length,
        )?.senderIps?.[0],
        MAILPATH_TLS_CA_FILE: caFile,
        ...overrides,
      };
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(values))
        if (value !== undefined) env[name] = value;
      return env;
    },
    messages(filter) {
      submission.releaseDue?.();
      return context.store.list().filter((message) => matches(message, filter));
    },
    waitForMessages(count, waitOptions) {
      submission.releaseDue?.();
      return context.store.waitFor(count, waitOptions);
    },
    reset(resetOptions = {}) {
      context.store.clear();
      if (data) persisting = persisting.then(() => data.clearMessages()).catch(() => {});
      for (const listener of changeListeners) listener();
      context.faults.clear();
      resetStats(stats);
      submission.resetLimits();
      relay.resetLimits();
      http.reset();
      if (resetOptions.tenant) tenant = initialTenant;
    },
    configure(policy) {
      tenant = mergeTenant(tenant, policy);
    },
    inject(fault) {
      context.faults.add(fault);
    },
    failNext(fault) {
      const { rate: _rate, ...rest } = fault;
      context.faults.add({ ...rest, count: 1 } as FaultSpec);
    },
    stats() {
      return structuredClone(stats);
    },
    issueClientCertificate(commonName) {
      return tls.issueClientCertificate(commonName);
    },
    async issueAccessToken(tokenOptions = {}) {
      const app = tokenOptions.clientId
        ? tenant.apps.find((entry) => entry.clientId === tokenOptions.clientId)
        : tenant.apps[0];
      const roles = tokenOptions.roles ?? app?.permissions ?? [];
      return tokens.issue({
        tid: tokenOptions.tenantId ?? tenant.tenantId,
        appid: tokenOptions.clientId ?? app?.clientId ?? "",
        aud: tokenOptions.audience ?? SMTP_TOKEN_AUDIENCE,
        roles: [...roles],
        ...(tokenOptions.lifetimeSeconds !== undefined
          ? { lifetimeSeconds: tokenOptions.lifetimeSeconds }
          : {}),
      });
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}
