import { ConfidentialClientApplication, type Configuration, LogLevel } from "@azure/msal-node";
import {
  type GetTokenOptions,
  MailError,
  redactSecrets,
  startRequestSpan,
  type TokenProvider,
} from "@mailpath/core";
import { authorityConfig } from "./authority.js";
import { tokenFailureToMailError } from "./errors.js";
import { type EntraEventListener, type EntraEventMap, EntraEvents } from "./events.js";
import { createNetworkClient, type TokenEndpointRecord } from "./network-client.js";
import { type ClientCredentialsOptions, resolveOptions } from "./options.js";

/**
 * A `TokenProvider` for one app, tenant and scope, backed by one msal
 * `ConfidentialClientApplication`. Hand it to the SMTP (XOAUTH2) or Graph transport.
 * @since 0.1.0
 */
export interface EntraTokenProvider extends TokenProvider {
  /** The `/.default` scope tokens are requested for. */
  readonly scope: string;
  /** `<authorityHost>/<tenantId>`. */
  readonly authority: string;
  /** The directory (tenant) the tokens are issued by. */
  readonly tenantId: string;
  /** The app registration's Application (client) ID. */
  readonly clientId: string;
  /** The client certificate in use (public facts only). */
  readonly certificate?: { readonly thumbprintSha256: string; readonly notAfter?: Date };
  /**
   * An access token for `scope`: the cached one while it has more than
   * `refreshBeforeExpiryMs` left, else a new one. Concurrent calls share one request.
   * @param options - `forceRefresh` to skip the cache, `signal` to stop waiting.
   * @returns the access token (a JWT), never logged or put in an event.
   * @throws MailError `AUTH_FAILED`, `INVALID_CONFIG`, `THROTTLED`, `SERVER_ERROR`,
   *   `CONNECTION_FAILED`, `TIMEOUT`, `TLS_ERROR`, `ABORTED`.
   */
  getToken(options?: GetTokenOptions): Promise<string>;
  /**
   * Listen to `token`, `certificateExpiring` or `error`.
   * @param name - the event name.
   * @param listener - called with the event's payload.
   * @returns the provider, to chain calls.
   */
  on<Name extends keyof EntraEventMap>(name: Name, listener: EntraEventListener<Name>): this;
  /**
   * Stop listening.
   * @param name - the event name given to `on`.
   * @param listener - the listener given to `on`.
   * @returns the provider, to chain calls.
   */
  off<Name extends keyof EntraEventMap>(name: Name, listener: EntraEventListener<Name>): this;
  /** Forget the cached token and any throttle window (the next call fetches). */
  clearCache(): void;
}

interface CachedToken {
  readonly token: string;
  /** By the provider's clock. */
  readonly expiresAtMs: number;
}

// A cached token still this valid is used when a refresh ahead of expiry fails.
const MIN_USABLE_MS = 60_000;
// After a failed refresh while the cached token is usable, wait this long before the next try.
const REFRESH_HOLDOFF_MS = 10_000;
const DAY_MS = 86_400_000;

/**
 * Creates a token provider for app-only access (OAuth client credentials) with a client
 * secret or certificate.
 *
 * @param options See {@link ClientCredentialsOptions}.
 * @returns An {@link EntraTokenProvider}.
 * @throws MailError `INVALID_CONFIG` naming each wrong option and the fix.
 * @example
 * const tokens = createClientCredentialsProvider({
 *   tenantId: process.env.MAILPATH_TENANT_ID!,
 *   clientId: process.env.MAILPATH_CLIENT_ID!,
 *   clientSecret: process.env.MAILPATH_CLIENT_SECRET!,
 *   target: "smtp",
 * });
 * const accessToken = await tokens.getToken();
 * @since 0.1.0
 */
export function createClientCredentialsProvider(
  options: ClientCredentialsOptions,
): EntraTokenProvider {
  const resolved = resolveOptions(options);
  const { now, scope } = resolved;
  const events = new EntraEvents(resolved.onEvent);
  const secrets = [
    resolved.clientSecret,
    options.clientCertificate?.passphrase,
    ...(resolved.proxy?.secrets ?? []),
  ];
  const logger = resolved.logger;
  const authority = authorityConfig(resolved.authorityHost, resolved.tenantId);
  const tokenEndpoint = `${authority.authority}/oauth2/v2.0/token`;
  // The token request's span (inside a traced send): where it went, never the tenant's secrets.
  const endpointUrl = new URL(tokenEndpoint);
  const spanAttributes = {
    "server.address": endpointUrl.hostname,
    "server.port": Number(endpointUrl.port || 443),
    "mailpath.token.scope": scope,
  };

  // The token endpoint's last answer, set by the network client during a request.
  const last: { record?: TokenEndpointRecord | undefined } = {};
  const configuration: Configuration = {
    auth: {
      clientId: resolved.clientId,
      ...authority,
      ...(resolved.clientSecret !== undefined && { clientSecret: resolved.clientSecret }),
      ...(resolved.certificate && {
        clientCertificate: {
          thumbprintSha256: resolved.certificate.thumbprintSha256,
          privateKey: resolved.certificate.privateKeyPem,
          ...(resolved.certificate.x5c !== undefined && { x5c: resolved.certificate.x5c }),
        },
      }),
    },
    system: {
      networkClient: createNetworkClient({
        ca: resolved.ca,
        timeoutMs: resolved.timeoutMs,
        ...(resolved.proxy !== undefined && { proxy: resolved.proxy }),
        ...(logger?.debug !== undefined && {
          onRequest: (trace) => {
            try {
              logger.debug?.(
                { component: "entra", ...trace },
                `entra ${trace.method} ${trace.host}${trace.path} ${trace.status ?? trace.error}`,
              );
            } catch {
              // A logger's failure must not fail the token request.
            }
          },
        }),
        onTokenEndpoint: (outcome) => {
          last.record = outcome;
        },
      }),
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Error,
        loggerCallback: () => {},
      },
    },
  };
  let application: ConfidentialClientApplication;
  try {
    application = new ConfidentialClientApplication(configuration);
  } catch (cause) {
    // Options were validated above; this is msal disagreeing with something we let through.
    const detail = (cause as { errorCode?: string; message?: string }) ?? {};
    throw new MailError({
      code: "INVALID_CONFIG",
      message: redactSecrets(
        `msal refused the Entra options: ${detail.errorCode ?? ""} ${detail.message ?? String(cause)}`,
        secrets,
      ),
      hint: "Check tenantId, clientId, the credential and authorityHost.",
    });
  }

  let cached: CachedToken | undefined;
  let inflight: Promise<CachedToken> | undefined;
  // A Retry-After window from the token endpoint, by the provider's clock.
  let blocked: { untilMs: number; error: MailError } | undefined;
  let refreshHoldoffUntilMs = 0;
  // msal remembers a 429/5xx and refuses identical requests on its own (real) clock until
  // its Retry-After passes; our clock decides instead, so its state is dropped before retrying.
  let msalHoldsThrottle = false;
  let lastCertificateWarningMs: number | undefined;

  const warnIfCertificateExpiring = () => {
    const notAfter = resolved.certificate?.notAfter;
    if (!notAfter || !resolved.certificate) return;
    const current = now();
    const daysLeft = Math.floor((notAfter.getTime() - current) / DAY_MS);
    if (daysLeft > resolved.certificateExpiryWarningDays) return;
    if (lastCertificateWarningMs !== undefined && current - lastCertificateWarningMs < DAY_MS)
      return;
    lastCertificateWarningMs = current;
    events.emit("certificateExpiring", {
      daysLeft,
      notAfter,
      thumbprint: resolved.certificate.thumbprintSha256,
    });
  };

  const fetchToken = async (): Promise<CachedToken> => {
    if (msalHoldsThrottle) {
      application.clearCache();
      msalHoldsThrottle = false;
    }
    warnIfCertificateExpiring();
    last.record = undefined;
    const startedMs = now();
    const span = startRequestSpan("mailpath.token", spanAttributes);
    const endSpan = (error?: MailError) => {
      const record = last.record as TokenEndpointRecord | undefined;
      span?.end({
        ...(record?.status !== undefined && { status: record.status }),
        ...(error && { error }),
        attributes: { "mailpath.entra.request_id": record?.headers?.["x-ms-request-id"] },
      });
    };
    let result: Awaited<ReturnType<typeof application.acquireTokenByClientCredential>>;
    try {
      // skipCache: this provider's own bookkeeping decided a new token is needed.
      result = await application.acquireTokenByClientCredential({
        scopes: [scope],
        skipCache: true,
      });
    } catch (cause) {
      const record = last.record as TokenEndpointRecord | undefined;
      const error = tokenFailureToMailError({
        record,
        cause,
        tokenEndpoint,
        secrets,
        nowMs: now(),
      });
      if (record?.status !== undefined) msalHoldsThrottle = true;
      // Only a window the server asked for is enforced locally; the classifier's suggested
      // delay for a bare 5xx is left to the caller's retry policy.
      if (error.retryable && error.retryAfterMs && record?.headers?.["retry-after"] !== undefined)
        blocked = { untilMs: now() + error.retryAfterMs, error };
      endSpan(error);
      events.emit("error", { error });
      throw error;
    }
    if (!result?.accessToken) {
      const error = new MailError({
        code: "UNKNOWN",
        message: `The token endpoint ${tokenEndpoint} answered without an access token.`,
        hint: "Check that authorityHost points at an Entra-compatible token endpoint.",
      });
      endSpan(error);
      events.emit("error", { error });
      throw error;
    }
    const record = last.record as TokenEndpointRecord | undefined;
    const expiresIn = Number(record?.body?.expires_in);
    const lifetimeMs =
      Number.isFinite(expiresIn) && expiresIn > 0
        ? expiresIn * 1000
        : (result.expiresOn?.getTime() ?? Date.now()) - Date.now();
    const fresh: CachedToken = { token: result.accessToken, expiresAtMs: startedMs + lifetimeMs };
    cached = fresh;
    blocked = undefined;
    endSpan();
    const requestId = record?.headers?.["x-ms-request-id"];
    events.emit("token", {
      expiresOn: new Date(fresh.expiresAtMs),
      fromCache: false,
      scope,
      ...(requestId !== undefined && { requestId }),
    });
    return fresh;
  };

  const sharedFetch = (): Promise<CachedToken> => {
    if (!inflight) {
      const started = fetchToken();
      inflight = started;
      const clear = () => {
        if (inflight === started) inflight = undefined;
      };
      started.then(clear, clear);
    }
    return inflight;
  };

  const aborted = (signal: AbortSignal) =>
    new MailError({
      code: "ABORTED",
      message: "The token request was aborted by the caller.",
      hint: "The caller's AbortSignal fired; nothing to fix unless that was unexpected.",
      ...(signal.reason !== undefined && { cause: signal.reason }),
    });

  const withSignal = <T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
    if (!signal) return promise;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(aborted(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  };

  const provider: EntraTokenProvider = {
    scope,
    authority: authority.authority,
    tenantId: resolved.tenantId,
    clientId: resolved.clientId,
    ...(resolved.certificate && {
      certificate: {
        thumbprintSha256: resolved.certificate.thumbprintSha256,
        ...(resolved.certificate.notAfter && { notAfter: resolved.certificate.notAfter }),
      },
    }),

    async getToken(getOptions: GetTokenOptions = {}) {
      const { signal, forceRefresh = false } = getOptions;
      if (signal?.aborted) throw aborted(signal);
      const current = now();
      if (
        !forceRefresh &&
        cached &&
        current < cached.expiresAtMs - resolved.refreshBeforeExpiryMs
      ) {
        return cached.token;
      }
      // Ahead of expiry the cached token still works; a failed refresh falls back to it.
      const fallback =
        !forceRefresh && cached && current < cached.expiresAtMs - MIN_USABLE_MS
          ? cached
          : undefined;
      if (blocked && current < blocked.untilMs) {
        if (fallback) return fallback.token;
        throw blocked.error.with({ retryAfterMs: blocked.untilMs - current });
      }
      if (fallback && !inflight && current < refreshHoldoffUntilMs) return fallback.token;
      try {
        return (await withSignal(sharedFetch(), signal)).token;
      } catch (error) {
        if (fallback && !(MailError.isInstance(error) && error.code === "ABORTED")) {
          refreshHoldoffUntilMs = now() + REFRESH_HOLDOFF_MS;
          return fallback.token;
        }
        throw error;
      }
    },

    on(name, listener) {
      events.on(name, listener);
      return provider;
    },

    off(name, listener) {
      events.off(name, listener);
      return provider;
    },

    clearCache() {
      cached = undefined;
      blocked = undefined;
      refreshHoldoffUntilMs = 0;
      application.clearCache();
      msalHoldsThrottle = false;
    },
  };
  return provider;
}
