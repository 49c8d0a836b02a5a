// Secrets must never reach an error, event or log. Transports pass their known secrets to
// `redactSecrets`; `scrubText` also removes anything shaped like a bearer token, a JWT or an
// XOAUTH2 SASL string, so a server echoing a credential cannot leak it either.

const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
// base64("user=...\x01auth=Bearer ...") always starts with "dXNlcj1".
const XOAUTH2 = /\bdXNlcj1[A-Za-z0-9+/=]{16,}/g;
const SECRET_PARAM = /((?:client_secret|password|pass|access_token|client_assertion)=)[^&\s"]+/gi;
// smtp://user:password@host and https://user:secret@host
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi;
const PRIVATE_KEY =
  /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/**
 * Replaces token-shaped substrings, URL passwords and PEM private keys with `[redacted]`.
 * @param text any text that may reach an error, event or log
 * @returns the text with those parts replaced
 * @since 0.1.0
 */
export function scrubText(text: string): string {
  return text
    .replace(JWT, "[redacted]")
    .replace(BEARER, "$1[redacted]")
    .replace(XOAUTH2, "[redacted]")
    .replace(SECRET_PARAM, "$1[redacted]")
    .replace(URL_PASSWORD, "$1[redacted]@")
    .replace(PRIVATE_KEY, "[redacted $1private key]");
}

/**
 * Replaces every occurrence of the given secrets, then scrubs token-shaped text.
 * @param text any text that may reach an error, event or log
 * @param secrets the passwords, client secrets and keys to remove; `undefined` entries are skipped
 * @returns the text with the secrets and token-shaped parts replaced
 * @since 0.1.0
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join("[redacted]");
  }
  return scrubText(result);
}
