import type { NetworkRule } from "./types.js";

const TLS_TRUST_HINT =
  "The server's certificate is not trusted: fix the server certificate, or pass its CA in tls.ca (for the emulator, its CA certificate); never turn off certificate checks.";

/**
 * Node.js and nodemailer error codes for network and TLS failures, first match wins.
 * @since 0.1.0
 */
export const NETWORK_RULES: readonly NetworkRule[] = [
  {
    id: "net-aborted",
    codes: ["EABORT", "ABORT_ERR", "ABORTED", "ERR_CANCELED"],
    code: "ABORTED",
    retryable: false,
    hint: "The send was aborted by its AbortSignal or the mailer was closed.",
    example: "The operation was aborted",
  },
  {
    id: "tls-self-signed",
    codes: ["DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN"],
    text: /self[- ]signed certificate/i,
    code: "TLS_ERROR",
    retryable: false,
    hint: TLS_TRUST_HINT,
    example: "self-signed certificate",
  },
  {
    id: "tls-untrusted-chain",
    codes: [
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "UNABLE_TO_GET_ISSUER_CERT",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      "CERT_SIGNATURE_FAILURE",
      "CERT_UNTRUSTED",
      "CERT_REJECTED",
    ],
    text: /unable to (?:verify the first|get (?:local )?issuer) certificate/i,
    code: "TLS_ERROR",
    retryable: false,
    hint: TLS_TRUST_HINT,
    example: "unable to verify the first certificate",
  },
  {
    id: "tls-cert-expired",
    codes: ["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"],
    text: /certificate has expired|certificate is not yet valid/i,
    code: "TLS_ERROR",
    retryable: false,
    hint: "The server's certificate is expired or not yet valid: renew it, and check this machine's clock.",
    example: "certificate has expired",
  },
  {
    id: "tls-altname",
    codes: ["ERR_TLS_CERT_ALTNAME_INVALID"],
    code: "TLS_ERROR",
    retryable: false,
    hint: "The certificate does not name the host connected to: connect by the name on the certificate (smtp.office365.com, <domain>.mail.protection.outlook.com), not by IP.",
    example:
      "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ",
  },
  {
    id: "tls-protocol",
    codes: ["ERR_SSL_*", "ERR_TLS_*", "ETLS", "EPROTO", "EREQUIRETLS"],
    text: /\bSSL routines\b|wrong version number|unsupported protocol|tlsv1 alert/i,
    code: "TLS_ERROR",
    retryable: false,
    hint: "TLS could not be negotiated: use TLS 1.2 or later, STARTTLS on port 587 (secure: false) or implicit TLS only where the server offers it.",
    example:
      "write EPROTO 40C8F6E1:error:0A00010B:SSL routines:ssl3_get_record:wrong version number",
  },
  {
    id: "net-timeout",
    codes: ["ETIMEDOUT", "ESOCKETTIMEDOUT", "ETIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "TimeoutError"],
    code: "TIMEOUT",
    retryable: true,
    hint: "The server did not answer in time: retry; if it persists check the network path and firewall (outbound port 587 or 25).",
    example: "Connection timeout",
  },
  {
    id: "net-dns",
    codes: ["ENOTFOUND", "EAI_AGAIN", "EDNS"],
    code: "CONNECTION_FAILED",
    retryable: true,
    hint: "The host name could not be resolved: check the host option and DNS.",
    example: "getaddrinfo ENOTFOUND smtp.office365.com",
  },
  {
    id: "net-refused",
    codes: ["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "EPROXY"],
    code: "CONNECTION_FAILED",
    retryable: true,
    hint: "The server could not be reached: check host and port, and that outbound port 587 or 25 is open (many clouds block port 25).",
    example: "connect ECONNREFUSED 127.0.0.1:587",
  },
  {
    id: "net-dropped",
    codes: ["ECONNRESET", "EPIPE", "ECONNABORTED", "ESOCKET", "ECONNECTION", "UND_ERR_SOCKET"],
    code: "CONNECTION_FAILED",
    retryable: true,
    hint: "The connection was dropped: retry; if it persists check proxies and firewalls on the path.",
    example: "read ECONNRESET",
  },
  {
    id: "net-protocol",
    codes: ["EPROTOCOL"],
    code: "CONNECTION_FAILED",
    retryable: false,
    hint: "The server did not speak SMTP as expected: check host and port (587 with STARTTLS for submission, 25 for relay).",
    example: "Invalid greeting. response=HTTP/1.1 400 Bad Request: HTTP/1.1 400 Bad Request",
  },
];

/**
 * Used when no row matches.
 * @since 0.1.0
 */
export const NETWORK_FALLBACK: NetworkRule = {
  id: "net-fallback",
  codes: [],
  code: "UNKNOWN",
  retryable: false,
  hint: "An unexpected error: read its message.",
  example: "Something went wrong",
};
