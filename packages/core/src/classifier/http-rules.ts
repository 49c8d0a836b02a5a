import type { HttpRule } from "./types.js";

const ROTATE_SECRET =
  "rotate the client secret: create a new one under Certificates & secrets of the app registration and configure its Value (not its Secret ID).";

/**
 * The Graph `sendMail` and Entra token-endpoint errors the classifier knows, most specific
 * first. Sources: `docs/reference/exchange-online.md` §6 and §6.1.
 * @since 0.1.0
 */
export const HTTP_RULES: readonly HttpRule[] = [
  // --- Entra (token endpoint) -----------------------------------------------------------
  {
    id: "entra-invalid-client-secret",
    match: "AADSTS7000215 invalid client secret",
    text: /\bAADSTS7000215\b/,
    code: "AUTH_FAILED",
    retryable: false,
    hint: `Entra refused the client secret: ${ROTATE_SECRET}`,
    example: {
      status: 401,
      code: "invalid_client",
      message:
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '00000000-0000-0000-0000-000000000000'.",
    },
  },
  {
    id: "entra-client-secret-expired",
    match: "AADSTS7000222 client secret expired",
    text: /\bAADSTS7000222\b/,
    code: "AUTH_FAILED",
    retryable: false,
    hint: `The client secret has expired: ${ROTATE_SECRET}`,
    example: {
      status: 401,
      code: "invalid_client",
      message:
        "AADSTS7000222: The provided client secret keys for app '00000000-0000-0000-0000-000000000000' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
    },
  },
  {
    id: "entra-app-not-found",
    match: "AADSTS700016 application not found in the directory",
    text: /\bAADSTS700016\b/,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "No app with this client id exists in this tenant: check clientId and tenantId (and the cloud), and that an admin consented to the app in this tenant.",
    example: {
      status: 400,
      code: "unauthorized_client",
      message:
        "AADSTS700016: Application with identifier '00000000-0000-0000-0000-000000000000' was not found in the directory 'contoso.onmicrosoft.com'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    },
  },
  {
    id: "entra-tenant-not-found",
    match: "AADSTS90002 tenant not found",
    text: /\bAADSTS90002\b/,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The tenant does not exist in this cloud: check tenantId (a GUID or a verified domain) and the cloud option (worldwide, GCC High, DoD, China).",
    example: {
      status: 400,
      code: "invalid_request",
      message:
        "AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
    },
  },
  {
    id: "entra-invalid-client",
    match: "Entra invalid_client (any other AADSTS code)",
    errorCode: "invalid_client",
    code: "AUTH_FAILED",
    retryable: false,
    hint: "Entra refused the app's credentials: check clientId, the client secret or certificate, and tenantId.",
    example: {
      status: 401,
      code: "invalid_client",
      message:
        "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.",
    },
  },
  // --- Graph ----------------------------------------------------------------------------
  {
    id: "graph-invalid-token",
    match: "401 InvalidAuthenticationToken",
    errorCode: "InvalidAuthenticationToken",
    code: "AUTH_FAILED",
    retryable: false,
    hint: "Graph refused the access token: request it for scope https://graph.microsoft.com/.default in the sender's tenant and cloud, and refresh it before it expires.",
    example: {
      status: 401,
      code: "InvalidAuthenticationToken",
      message: "Access token validation failure. Invalid audience.",
    },
  },
  {
    id: "graph-send-as-denied",
    match: "403 ErrorSendAsDenied",
    errorCode: "ErrorSendAsDenied",
    code: "SEND_AS_DENIED",
    retryable: false,
    hint: "The mailbox may not send as the From address: grant Send As (Add-RecipientPermission -AccessRights SendAs) or Send on Behalf, or send from the mailbox's own address.",
    example: {
      status: 403,
      code: "ErrorSendAsDenied",
      message:
        "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.",
    },
  },
  {
    id: "graph-access-denied",
    match: "403 ErrorAccessDenied",
    errorCode: "ErrorAccessDenied",
    code: "PERMISSION_DENIED",
    retryable: false,
    hint: "The app may not send from this mailbox: grant the Mail.Send application permission with admin consent, and check that RBAC for Applications (or an application access policy) includes the mailbox in its scope.",
    example: { status: 403, code: "ErrorAccessDenied", message: "Access to OData is disabled." },
  },
  {
    id: "graph-mailbox-not-enabled",
    match: "404 MailboxNotEnabledForRESTAPI",
    errorCode: "MailboxNotEnabledForRESTAPI",
    code: "MAILBOX_UNAVAILABLE",
    retryable: false,
    hint: "The sender has no Exchange Online mailbox Graph can use (unlicensed, inactive, soft-deleted, a guest, or hosted on-premises): assign an Exchange Online licence or send from another mailbox.",
    example: {
      status: 404,
      code: "MailboxNotEnabledForRESTAPI",
      message: "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    },
  },
  {
    id: "graph-invalid-recipients",
    match: "400 ErrorInvalidRecipients",
    errorCode: "ErrorInvalidRecipients",
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "At least one recipient address is not valid: fix the addresses.",
    example: {
      status: 400,
      code: "ErrorInvalidRecipients",
      message:
        "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    },
  },
  {
    id: "graph-invalid-mime",
    match: "400 ErrorMimeContentInvalidBase64String",
    errorCode: "ErrorMimeContentInvalidBase64String",
    code: "INVALID_MESSAGE",
    retryable: false,
    hint: "The MIME body is not valid base64: send the whole MIME message base64-encoded with Content-Type: text/plain.",
    example: {
      status: 400,
      code: "ErrorMimeContentInvalidBase64String",
      message: "Invalid base64 string for MIME content.",
    },
  },
  {
    id: "graph-invalid-header",
    match: "400 InvalidInternetMessageHeader",
    errorCode: "InvalidInternetMessageHeader",
    code: "INVALID_MESSAGE",
    retryable: false,
    hint: "Graph only accepts custom headers named X-…: rename the header, or send through SMTP or as MIME.",
    example: {
      status: 400,
      code: "InvalidInternetMessageHeader",
      message: "The internet message header name 'Foo' should start with 'x-' or 'X-'.",
    },
  },
  {
    id: "graph-message-too-large",
    match: "ErrorMessageSizeExceeded",
    errorCode: "ErrorMessageSizeExceeded",
    code: "MESSAGE_TOO_LARGE",
    retryable: false,
    hint: "The message is larger than Graph accepts inline: send attachments over 3 MB through an upload session, or raise the mailbox's MaxSendSize.",
    example: {
      status: 400,
      code: "ErrorMessageSizeExceeded",
      message: "The message exceeds the maximum supported size.",
    },
  },
  {
    id: "graph-request-too-large",
    match: "413 / RequestEntityTooLarge",
    status: 413,
    code: "MESSAGE_TOO_LARGE",
    retryable: false,
    hint: "The request body is too large: send attachments over 3 MB through an upload session.",
    example: {
      status: 413,
      code: "RequestEntityTooLarge",
      message: "The maximum request length supported is 4MB.",
    },
  },
  {
    id: "graph-request-too-large-code",
    match: "RequestEntityTooLarge (any status)",
    errorCode: "RequestEntityTooLarge",
    code: "MESSAGE_TOO_LARGE",
    retryable: false,
    hint: "The request body is too large: send attachments over 3 MB through an upload session.",
    example: {
      status: 400,
      code: "RequestEntityTooLarge",
      message: "The maximum request length supported is 4MB.",
    },
  },
  {
    id: "graph-quota-exceeded",
    match: "ErrorQuotaExceeded (mailbox full)",
    errorCode: "ErrorQuotaExceeded",
    code: "QUOTA_EXCEEDED",
    retryable: false,
    hint: "The sending mailbox is full: free space or add a retention policy that cleans Sent Items (or send with saveToSentItems: false).",
    example: {
      status: 403,
      code: "ErrorQuotaExceeded",
      message: "The mailbox quota has been exceeded.",
    },
  },
  {
    id: "graph-mailbox-concurrency",
    match: "429 ApplicationThrottled (MailboxConcurrency)",
    errorCode: "ApplicationThrottled",
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 1_000,
    hint: "Graph allows 4 concurrent requests per app and mailbox: lower the per-mailbox concurrency to 4 or fewer and honour Retry-After.",
    example: {
      status: 429,
      code: "ApplicationThrottled",
      message: "Application is over its MailboxConcurrency limit.",
    },
  },
  // --- Status-only catch-alls: after every row that names an error code ---------------
  {
    id: "graph-unauthorized",
    match: "401 (any other code)",
    status: 401,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "Graph refused the credentials: check the token's tenant, audience (https://graph.microsoft.com) and expiry.",
    example: { status: 401, code: "Unauthorized", message: "Access token is empty." },
  },
  {
    id: "graph-forbidden",
    match: "403 (any other code)",
    status: 403,
    code: "PERMISSION_DENIED",
    retryable: false,
    hint: "The app lacks a permission for this call: grant the Mail.Send application permission with admin consent.",
    example: {
      status: 403,
      code: "Authorization_RequestDenied",
      message: "Insufficient privileges to complete the operation.",
    },
  },
  {
    id: "graph-user-not-found",
    match: "404 ErrorInvalidUser / ResourceNotFound",
    status: 404,
    code: "MAILBOX_UNAVAILABLE",
    retryable: false,
    hint: "Graph does not know the sender: check the sender's user id or userPrincipalName.",
    example: {
      status: 404,
      code: "ErrorInvalidUser",
      message: "The requested user 'nobody@contoso.com' is invalid.",
    },
  },
  {
    id: "graph-throttled",
    match: "429 (any other code)",
    status: 429,
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 10_000,
    hint: "Graph is throttling this app and mailbox (10,000 requests per 10 minutes): wait for Retry-After and lower the send rate.",
    example: {
      status: 429,
      code: "TooManyRequests",
      message: "Too many requests, retry after some time.",
    },
  },
  {
    id: "http-request-timeout",
    match: "408 Request Timeout",
    status: 408,
    code: "TIMEOUT",
    retryable: true,
    hint: "The service timed out reading the request: retry; for large messages use an upload session.",
    example: { status: 408, code: "RequestTimeout", message: "The request timed out." },
  },
  {
    id: "http-server-error",
    match: "5xx (500, 502, 503, 504, …)",
    status: "5xx",
    code: "SERVER_ERROR",
    retryable: true,
    retryAfterMs: 2_000,
    hint: "The service failed temporarily: retry with backoff (honouring Retry-After).",
    example: {
      status: 503,
      code: "ServiceUnavailable",
      message: "The service is temporarily unavailable. Please try again later.",
    },
  },
];

/**
 * Used when no row matches another 4xx: the request is wrong, retrying will not help.
 * @since 0.1.0
 */
export const HTTP_FALLBACK_4XX: HttpRule = {
  id: "http-fallback-4xx",
  match: "any other 4xx",
  status: "4xx",
  code: "UNKNOWN",
  retryable: false,
  hint: "The service refused the request: read the error code and message; retrying the same request will not help.",
  example: { status: 400, code: "ErrorInvalidRequest", message: "The request is invalid." },
};

/**
 * Used for a status that is not an error (1xx–3xx where a failure was expected).
 * @since 0.1.0
 */
export const HTTP_FALLBACK_OTHER: HttpRule = {
  id: "http-fallback-other",
  match: "any other status",
  code: "UNKNOWN",
  retryable: false,
  hint: "The service answered in a way the client did not expect: read the status and body.",
  example: { status: 302 },
};
