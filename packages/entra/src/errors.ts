// Turns what went wrong during a token request (the raw token-endpoint answer this package's
// network client recorded, or msal's own error) into a MailError. Entra's answer is an OAuth
// error body: { error: "invalid_client", error_description: "AADSTS7000215: …",
// error_codes: [7000215], trace_id, correlation_id }. The core classifier decides code and
// retryability, so a failure reads the same on every path; this file adds the AADSTS codes
// the core table does not know and hints that speak of Entra rather than Graph or SMTP.
import {
  type Classification,
  classifyHttpError,
  classifyNetworkError,
  MailError,
  type MailErrorCode,
  redactSecrets,
} from "@mailpath/core";
import type { TokenEndpointRecord } from "./network-client.js";

interface EntraRule {
  readonly aadsts: number;
  readonly code: MailErrorCode;
  readonly hint: string;
}

// Consulted when the core table only has its generic row for the answer. Codes:
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes
const ENTRA_RULES: readonly EntraRule[] = [
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
];

// Core rows whose hint is generic or written for Graph; an Entra-specific rule replaces them.
const GENERIC_ROWS = new Set(["entra-invalid-client", "http-fallback-4xx", "http-fallback-other"]);

const HINTS = {
  throttled:
    "Entra is throttling this app's token requests: wait for retryAfterMs; tokens are cached, so this usually means many processes or providers share one app.",
  server:
    "The Entra token endpoint failed: retry after a delay; if it lasts, check the Azure status page for your cloud.",
  unknown:
    "Entra refused the token request: check tenantId, clientId, the credential and the cloud; quote http.requestId to Microsoft support.",
  timeout:
    "The Entra token endpoint did not answer in time: check network egress to the authority host (proxy, firewall) and retry.",
  tls: "The authority host's certificate is not trusted: for a private cloud or the emulator pass its CA as tls.ca; behind a TLS-inspecting proxy trust the proxy's CA.",
  connection:
    "Check DNS and network egress to the authority host (login.microsoftonline.com or your cloud's), proxy and firewall rules.",
};

/** Most characters of a server's text put into an error message. */
const MAX_ERROR_TEXT = 1000;

/** `text` cut to `max` characters, saying so. */
function clip(text: string, max = MAX_ERROR_TEXT): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}… (${text.length - max} more characters cut)`;
}

/** The AADSTS number of an Entra error body. */
function aadstsOf(body: Record<string, unknown> | undefined): number | undefined {
  const codes = body?.error_codes;
  if (Array.isArray(codes) && typeof codes[0] === "number") return codes[0];
  const match = /\bAADSTS(\d+)\b/.exec(String(body?.error_description ?? ""));
  return match?.[1] ? Number(match[1]) : undefined;
}

/** Context of a failed token request. */
export interface TokenFailure {
  readonly record?: TokenEndpointRecord | undefined;
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

  if (record?.redirect !== undefined) {
    // Not followed (the secret or assertion would go to another origin), and the token
    // endpoint did not process the request: nothing to retry until the setup changes.
    return new MailError({
      code: "CONNECTION_FAILED",
      retryable: false,
      message: clean(
        `The token endpoint ${failure.tokenEndpoint} answered HTTP ${record.status} redirecting to ${record.redirect}; redirects are not followed.`,
      ),
      ...(record.status !== undefined && { http: { status: record.status } }),
      hint: clean(
        `Entra never redirects a token request: a proxy, a captive portal or a wrong authorityHost answered (${new URL(failure.tokenEndpoint).origin}). Point authorityHost at your cloud's Entra host (https://login.microsoftonline.com for the global one) and let HTTPS to it through without interception.`,
      ),
    });
  }

  if (record?.error?.code === "EPROXY") {
    // The proxy refused the CONNECT: the token endpoint never saw the request.
    const status = /answered (\d+)/.exec(record.error.message)?.[1];
    return new MailError({
      code: "CONNECTION_FAILED",
      retryable: Number(status) >= 500,
      message: clean(`${record.error.message}; the token request was not sent.`),
      hint:
        status === "407"
          ? "The proxy wants credentials: put them in the proxy URL (http://user:password@proxy:3128)."
          : "The proxy refused the tunnel to Entra: allow CONNECT to the Entra host on port 443, or list it in NO_PROXY.",
    });
  }

  if (record?.error) {
    const { code: errno = "", message } = record.error;
    const classification = classifyNetworkError({ code: errno, message });
    const hint =
      classification.code === "TIMEOUT"
        ? HINTS.timeout
        : classification.code === "TLS_ERROR"
          ? HINTS.tls
          : classification.code === "CONNECTION_FAILED"
            ? HINTS.connection
            : classification.hint;
    const what =
      classification.code === "TIMEOUT"
        ? `Token request to ${failure.tokenEndpoint} timed out: ${message}`
        : classification.code === "TLS_ERROR"
          ? `TLS with ${failure.tokenEndpoint} failed: ${errno} ${message}`
          : `Could not reach the token endpoint ${failure.tokenEndpoint}: ${errno} ${message}`;
    return new MailError({
      // A request that never got an answer is worth retrying unless TLS itself is wrong.
      code: classification.code === "UNKNOWN" ? "CONNECTION_FAILED" : classification.code,
      retryable: classification.code === "UNKNOWN" ? true : classification.retryable,
      message: clean(what.trim()),
      hint,
    });
  }

  if (record?.status !== undefined && record.status >= 400) {
    const body = record.body ?? {};
    const aadsts = aadstsOf(body);
    // Server texts are cut before they are copied (and scrubbed) into the error.
    const error = typeof body.error === "string" ? clip(body.error, 200) : undefined;
    const description =
      typeof body.error_description === "string"
        ? // Entra appends "Trace ID: … Correlation ID: … Timestamp: …" on new lines.
          clip(body.error_description.split(/\r?\n/, 1)[0] ?? "")
        : "";
    const requestId = typeof body.trace_id === "string" ? clip(body.trace_id, 200) : undefined;
    const retryAfter = record.headers?.["retry-after"];
    const classification: Classification = classifyHttpError(
      { status: record.status, code: error, message: description, retryAfter: retryAfter ?? null },
      { now: failure.nowMs },
    );
    const extra =
      GENERIC_ROWS.has(classification.ruleId) && aadsts !== undefined
        ? ENTRA_RULES.find((rule) => rule.aadsts === aadsts)
        : undefined;
    const hint = extra
      ? extra.hint
      : classification.code === "THROTTLED"
        ? HINTS.throttled
        : classification.code === "SERVER_ERROR"
          ? HINTS.server
          : classification.ruleId.startsWith("entra-")
            ? classification.hint
            : HINTS.unknown;
    return new MailError({
      code: extra?.code ?? classification.code,
      retryable: extra ? false : classification.retryable,
      message: clean(
        `Entra refused the token request (HTTP ${record.status}${error ? ` ${error}` : ""}): ${description || "no description"}`,
      ),
      http: {
        status: record.status,
        ...(aadsts !== undefined
          ? { code: `AADSTS${aadsts}` }
          : error !== undefined && { code: error }),
        ...(requestId !== undefined && { requestId }),
      },
      ...(classification.retryAfterMs !== undefined &&
        classification.retryable && { retryAfterMs: classification.retryAfterMs }),
      hint,
    });
  }

  // No HTTP answer recorded: msal failed before or after the request (configuration, a
  // response without a token, a local throttle entry).
  const cause = failure.cause as { errorCode?: string; message?: string } | undefined;
  return new MailError({
    code: "UNKNOWN",
    retryable: false,
    message: clean(
      clip(
        `Token request failed in msal: ${cause?.errorCode ?? ""} ${cause?.message ?? String(failure.cause)}`.trim(),
      ),
    ),
    hint: "Check the Entra options (tenantId, clientId, credential, authorityHost); listen to the error event to see failures as they happen.",
  });
}
