// Turns what went wrong during a token request (the raw token-endpoint answer this package's
// network client recorded, or msal's own error) into a MailError. Entra's answer is an OAuth
// error body: { error: "invalid_client", error_description: "AADSTS7000215: …",
// error_codes: [7000215], trace_id, correlation_id }.
import { MailError, type MailErrorCode, redactSecrets } from "@mailpath/core";
import { TIMEOUT_CODE, type TokenEndpointRecord } from "./network-client.js";

const ROTATE_SECRET =
  "rotate the client secret: create a new one under Certificates & secrets of the app registration and configure its Value (not its Secret ID).";

interface EntraRule {
  readonly aadsts?: number;
  readonly error?: string;
  readonly code: MailErrorCode;
  readonly hint: string;
}

// Most specific first. Codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes
const RULES: readonly EntraRule[] = [
  {
    aadsts: 7000215,
    code: "AUTH_FAILED",
    hint: `Entra refused the client secret: ${ROTATE_SECRET}`,
  },
  { aadsts: 7000222, code: "AUTH_FAILED", hint: `The client secret has expired: ${ROTATE_SECRET}` },
  {
    aadsts: 700016,
    code: "AUTH_FAILED",
    hint: "No app with this client id exists in this tenant: check clientId and tenantId (and the cloud), and that an admin consented to the app in this tenant.",
  },
  {
    aadsts: 90002,
    code: "AUTH_FAILED",
    hint: "The tenant does not exist in this cloud: check tenantId (the Directory (tenant) ID GUID or a verified domain) and the cloud option.",
  },
  {
    aadsts: 700027,
    code: "AUTH_FAILED",
    hint: "Entra does not know the certificate that signed the assertion: upload the certificate (public part, .cer/.pem) under Certificates & secrets of the app registration, and check thumbprintSha256.",
  },
  {
    aadsts: 700024,
    code: "AUTH_FAILED",
    hint: "The client assertion is outside its validity window: check this machine's clock (NTP).",
  },
  {
    aadsts: 7000112,
    code: "AUTH_FAILED",
    hint: "The app is disabled in this tenant: enable its Enterprise Application (Properties → Enabled for users to sign in).",
  },
  {
    aadsts: 7000229,
    code: "AUTH_FAILED",
    hint: "The app has no service principal in this tenant: have an admin consent to the app (or run New-MgServicePrincipal -AppId <clientId>).",
  },
  {
    aadsts: 53003,
    code: "AUTH_FAILED",
    hint: "A Conditional Access policy blocked the app: exclude the workload identity or allow its location in Entra Conditional Access.",
  },
  {
    aadsts: 500011,
    code: "INVALID_CONFIG",
    hint: "The resource of the scope is not in this tenant: check the target and the cloud (SMTP needs Exchange Online in the tenant).",
  },
  {
    aadsts: 1002012,
    code: "INVALID_CONFIG",
    hint: 'The scope is invalid: client credentials take the resource\'s "/.default" scope.',
  },
  {
    aadsts: 70011,
    code: "INVALID_CONFIG",
    hint: 'The scope is invalid: client credentials take the resource\'s "/.default" scope.',
  },
  {
    error: "invalid_client",
    code: "AUTH_FAILED",
    hint: "Entra refused the app's credentials: check clientId, the client secret or certificate, and tenantId.",
  },
  {
    error: "unauthorized_client",
    code: "AUTH_FAILED",
    hint: "Entra refused the app: check clientId and tenantId, and that an admin consented to the app in this tenant.",
  },
  {
    error: "invalid_scope",
    code: "INVALID_CONFIG",
    hint: 'The scope is invalid: client credentials take the resource\'s "/.default" scope.',
  },
];

/** `Retry-After` in ms: seconds or an HTTP-date. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The AADSTS number of an Entra error body. */
function aadstsOf(body: Record<string, unknown> | undefined): number | undefined {
  const codes = body?.error_codes;
  if (Array.isArray(codes) && typeof codes[0] === "number") return codes[0];
  const match = /\bAADSTS(\d+)\b/.exec(String(body?.error_description ?? ""));
  return match?.[1] ? Number(match[1]) : undefined;
}

const TLS_CODES =
  /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE)|ERR_TLS_CERT|ERR_SSL_|HOSTNAME_MISMATCH|ERR_TLS_)/;

/** Context of a failed token request. */
export interface TokenFailure {
  readonly record?: TokenEndpointRecord;
  /** What msal threw. */
  readonly cause: unknown;
  /** Where the request went (no secrets in it). */
  readonly tokenEndpoint: string;
  /** Strings that must never appear in the error (the secret, the assertion). */
  readonly secrets: readonly (string | undefined)[];
  readonly nowMs: number;
}

/** The MailError for a failed token request. */
export function tokenFailureToMailError(failure: TokenFailure): MailError {
  const { record, secrets } = failure;
  const clean = (text: string) => redactSecrets(text, secrets);

  if (record?.error) {
    const errno = record.error.code ?? "";
    if (errno === TIMEOUT_CODE) {
      return new MailError({
        code: "TIMEOUT",
        retryable: true,
        message: clean(`Token request to ${failure.tokenEndpoint} timed out.`),
        hint: "The Entra token endpoint did not answer in time: check network egress to the authority host (proxy, firewall) and retry.",
      });
    }
    if (TLS_CODES.test(errno)) {
      return new MailError({
        code: "TLS_ERROR",
        retryable: false,
        message: clean(
          `TLS with ${failure.tokenEndpoint} failed: ${errno} ${record.error.message}`,
        ),
        hint: "The authority host's certificate is not trusted: for a private cloud or the emulator pass its CA as tls.ca; behind a TLS-inspecting proxy trust the proxy's CA.",
      });
    }
    return new MailError({
      code: "CONNECTION_FAILED",
      retryable: true,
      message: clean(
        `Could not reach the token endpoint ${failure.tokenEndpoint}: ${errno} ${record.error.message}`.trim(),
      ),
      hint: "Check DNS and network egress to the authority host (login.microsoftonline.com or your cloud's), proxy and firewall rules.",
    });
  }

  if (record?.status !== undefined && record.status >= 400) {
    const body = record.body ?? {};
    const aadsts = aadstsOf(body);
    const error = typeof body.error === "string" ? body.error : undefined;
    const description =
      typeof body.error_description === "string"
        ? // Entra appends "Trace ID: … Correlation ID: … Timestamp: …" on new lines.
          (body.error_description.split(/\r?\n/)[0] ?? "")
        : "";
    const requestId = typeof body.trace_id === "string" ? body.trace_id : undefined;
    const http = {
      status: record.status,
      ...((aadsts !== undefined || error !== undefined) && {
        code: aadsts !== undefined ? `AADSTS${aadsts}` : error,
      }),
      ...(requestId !== undefined && { requestId }),
    };
    const retryAfterMs = parseRetryAfterMs(record.headers?.["retry-after"], failure.nowMs);
    const what = clean(
      `Entra refused the token request (HTTP ${record.status}${error ? ` ${error}` : ""}): ${description || "no description"}`,
    );
    if (record.status === 429 || record.status >= 500) {
      const throttled = record.status === 429;
      return new MailError({
        code: throttled ? "THROTTLED" : "SERVER_ERROR",
        retryable: true,
        message: what,
        http,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
        hint: throttled
          ? "Entra is throttling this app's token requests: wait for retryAfterMs; tokens are cached, so this usually means many processes or providers share one app."
          : "The Entra token endpoint failed: retry after a delay; if it lasts, check the Azure status page for your cloud.",
      });
    }
    const rule =
      RULES.find((candidate) => aadsts !== undefined && candidate.aadsts === aadsts) ??
      RULES.find((candidate) => candidate.error !== undefined && candidate.error === error);
    return new MailError({
      code: rule?.code ?? "AUTH_FAILED",
      retryable: false,
      message: what,
      http,
      hint:
        rule?.hint ??
        "Entra refused the token request: check tenantId, clientId, the credential and the cloud; quote http.requestId to Microsoft support.",
    });
  }

  // No HTTP answer recorded: msal failed before or after the request (configuration, a
  // response without a token, a local throttle entry).
  const cause = failure.cause as { errorCode?: string; message?: string } | undefined;
  return new MailError({
    code: "UNKNOWN",
    retryable: false,
    message: clean(
      `Token request failed in msal: ${cause?.errorCode ?? ""} ${cause?.message ?? String(failure.cause)}`.trim(),
    ),
    hint: "Check the Entra options (tenantId, clientId, credential, authorityHost); run with onEvent to see errors as they happen.",
  });
}
