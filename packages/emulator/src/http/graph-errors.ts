// Graph's error replies: `{ error: { code, message, innerError: { date, request-id,
// client-request-id } } }` with the status Graph uses for each code. Texts are Exchange's own
// where known (see docs/emulator.md, "Graph endpoint").

/** A Graph error to answer with. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "GraphError";
  }
}

/** The ids Graph puts in every reply's headers and in `innerError`. */
export interface RequestIds {
  readonly requestId: string;
  readonly clientRequestId: string;
}

/** Graph's `innerError.date`: ISO 8601 to the second, no zone designator. */
function graphDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** The JSON body of a Graph error. */
export function graphErrorBody(error: GraphError, ids: RequestIds, nowMs: number): object {
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: {
        date: graphDate(nowMs),
        "request-id": ids.requestId,
        "client-request-id": ids.clientRequestId,
      },
    },
  };
}

// 401: Graph answers every token problem with InvalidAuthenticationToken and a
// WWW-Authenticate challenge naming the Graph resource.
const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

export const graphErrors = {
  tokenMissing: () =>
    new GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", {
      "WWW-Authenticate": WWW_AUTHENTICATE,
    }),
  tokenMalformed: () =>
    new GraphError(
      401,
      "InvalidAuthenticationToken",
      "CompactToken parsing failed with error code: 80049217",
      { "WWW-Authenticate": WWW_AUTHENTICATE },
    ),
  tokenExpired: () =>
    new GraphError(
      401,
      "InvalidAuthenticationToken",
      "Lifetime validation failed, the token is expired.",
      { "WWW-Authenticate": WWW_AUTHENTICATE },
    ),
  tokenInvalid: (reason: string) =>
    new GraphError(
      401,
      "InvalidAuthenticationToken",
      `Access token validation failure. ${reason}`,
      {
        "WWW-Authenticate": WWW_AUTHENTICATE,
      },
    ),
  accessDenied: () =>
    new GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."),
  invalidUser: (user: string) =>
    new GraphError(404, "ErrorInvalidUser", `The requested user '${user}' is invalid.`),
  mailboxNotEnabled: () =>
    new GraphError(
      404,
      "MailboxNotEnabledForRESTAPI",
      "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    ),
  sendAsDenied: () =>
    new GraphError(
      403,
      "ErrorSendAsDenied",
      "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.",
    ),
  noRecipients: () =>
    new GraphError(
      400,
      "ErrorInvalidRecipients",
      "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    ),
  invalidRecipient: (address: string) =>
    new GraphError(
      400,
      "ErrorInvalidRecipients",
      `At least one recipient isn't valid., Recipient '${address}' isn't resolved. All recipients must be resolved before a message can be submitted.`,
    ),
  tooManyRecipients: (limit: number) =>
    new GraphError(
      400,
      "ErrorTooManyRecipients",
      `The message has too many recipients. The maximum number of recipients per message is ${limit}.`,
    ),
  messageTooLarge: () =>
    new GraphError(
      400,
      "ErrorMessageSizeExceeded",
      "The message exceeds the maximum supported size., Cannot save changes made to an item to store.",
    ),
  requestTooLarge: (limitBytes: number) =>
    new GraphError(
      413,
      "RequestEntityTooLarge",
      `The maximum request length supported is ${formatMegabytes(limitBytes)}.`,
    ),
  attachmentTooLargeForPost: (limitBytes: number) =>
    new GraphError(
      413,
      "RequestEntityTooLarge",
      `The attachment is too large to add in a single request; attachments of ${formatMegabytes(limitBytes)} or more must be added with an upload session.`,
    ),
  attachmentTooSmallForSession: () =>
    new GraphError(
      400,
      "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
      "Attachment size must be greater than the minimum size.",
    ),
  invalidHeader: (name: string) =>
    new GraphError(
      400,
      "InvalidInternetMessageHeader",
      `The internet message header name '${name}' should start with 'x-' or 'X-'.`,
    ),
  invalidBase64: () =>
    new GraphError(
      400,
      "ErrorMimeContentInvalidBase64String",
      "Invalid base64 string for MIME content.",
    ),
  unreadableBody: () =>
    new GraphError(400, "UnableToDeserializePostBody", "were unable to deserialize "),
  invalidRequest: (message: string) => new GraphError(400, "ErrorInvalidRequest", message),
  itemNotFound: () =>
    new GraphError(
      404,
      "ErrorItemNotFound",
      "The specified object was not found in the store., The process failed to get the correct properties.",
    ),
  segmentNotFound: (segment: string) =>
    new GraphError(400, "BadRequest", `Resource not found for the segment '${segment}'.`),
  methodNotAllowed: () =>
    new GraphError(
      405,
      "Request_BadRequest",
      "The requested HTTP method is not supported for this resource.",
    ),
  concurrencyThrottled: (retryAfterSeconds: number) =>
    new GraphError(
      429,
      "ApplicationThrottled",
      "Application is over its MailboxConcurrency limit.",
      {
        "Retry-After": String(retryAfterSeconds),
      },
    ),
  requestLimitThrottled: (retryAfterSeconds: number) =>
    new GraphError(
      429,
      "ApplicationThrottled",
      "Application is over its MailboxRequestLimit limit.",
      {
        "Retry-After": String(retryAfterSeconds),
      },
    ),
} as const;

function formatMegabytes(bytes: number): string {
  const megabytes = bytes / (1024 * 1024);
  return Number.isInteger(megabytes) ? `${megabytes}MB` : `${bytes} bytes`;
}

/** The code and text Graph uses for a bare status (fault injection replies). */
export function defaultErrorFor(status: number): { code: string; message: string } {
  switch (status) {
    case 429:
      return { code: "TooManyRequests", message: "Too many requests." };
    case 500:
      return { code: "InternalServerError", message: "An internal server error occurred." };
    case 502:
      return { code: "BadGateway", message: "Bad gateway." };
    case 503:
      return {
        code: "ServiceUnavailable",
        message: "The service is temporarily unavailable. Please try again later.",
      };
    case 504:
      return { code: "GatewayTimeout", message: "The gateway timed out." };
    default:
      return status >= 500
        ? { code: "UnknownError", message: "An error occurred." }
        : { code: "BadRequest", message: "The request is invalid." };
  }
}
