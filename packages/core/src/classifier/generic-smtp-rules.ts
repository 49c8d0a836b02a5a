import type { SmtpRule } from "./types.js";

// The layer beneath the Exchange table, for the servers users point the SMTP and relay paths
// at besides Exchange Online: on-premises Exchange, Postfix, Exim, Sendmail smart hosts,
// hybrid relays, Google. It reads what every standard reply carries: the enhanced status
// code (RFC 3463 class.subject.detail, with the RFC 4954 and RFC 7372 additions), then a few
// words every server uses for the same thing (relay, sender, greylisting, rate), then the
// basic reply code (RFC 5321, RFC 4954). The refused command tells a refused sender (MAIL
// FROM) from a refused recipient.

const MINUTE = 60_000;
const ANY = 999;
const MAIL_FROM = /^MAIL FROM/i;
// Everything but the sender's command and the message's (a reply to DATA refuses the message).
const NOT_MAIL_FROM_OR_DATA = /^(?!MAIL FROM|DATA|BDAT)/i;

// Bounded gaps only: an unbounded `.*` between two words backtracks quadratically on a long reply.
const SENDER_WORDS =
  /sender address rejected|sender verify failed|not owned by (?:the )?(?:authenticated )?user|sender\b[^.;\n]{0,80}\b(?:not allowed|denied|refused|rejected)/i;
const SENDER_HINT =
  "The server refused the sender address: send from an address the authenticated account may use (Postfix: smtpd_sender_login_maps), or one in a domain the server accepts and that resolves.";
const RECIPIENT_HINT = "The recipient's server refused this address: check the address.";
const RELAY_HINT =
  "The server does not relay for this client to that domain: authenticate (SMTP AUTH submission), or have the server's admin allow this client's IP or certificate to relay.";

/**
 * Replies every SMTP server sends, classified by enhanced status code and the words servers
 * share. Consulted, in order, after `SMTP_RULES` found no Exchange Online row.
 * @since 0.1.0
 */
export const GENERIC_SMTP_RULES: readonly SmtpRule[] = [
  // --- Authentication (RFC 4954) ----------------------------------------------------------
  {
    id: "generic-auth-credentials-invalid",
    match: "x.7.8 authentication credentials invalid (RFC 4954): Postfix, Google",
    enhanced: { prefix: "5.7", from: 8, to: 8 },
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server refused the user name and password (or token): check them, and use an app password or OAuth where the account has MFA.",
    example: "535 5.7.8 Error: authentication failed: authentication failure",
  },
  {
    id: "generic-auth-required",
    match: "5.7.0 authentication required: Google, any server requiring SMTP AUTH",
    enhanced: "5.7.0",
    text: /authenticat(?:e|ion) (?:is )?required|must authenticate/i,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server only accepts mail from an authenticated client: set credentials (auth.user with auth.pass or a token).",
    example:
      "530 5.7.0 Authentication Required. For more information, go to https://support.google.com/mail/?p=WantAuthError",
  },
  {
    id: "generic-auth-mechanism-weak",
    match: "534 5.7.9 authentication mechanism too weak (RFC 4954)",
    enhanced: "5.7.9",
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server refuses this authentication method: use a stronger one the server offers, or OAuth.",
    example: "534 5.7.9 Authentication mechanism is too weak",
  },
  {
    id: "generic-encryption-required",
    match: "523 5.7.10 / 538 5.7.11 encryption required (RFC 4954, RFC 5248)",
    enhanced: { prefix: "5.7", from: 10, to: 11 },
    code: "TLS_ERROR",
    retryable: false,
    hint: "The server wants TLS before this step: connect with STARTTLS (port 587) or implicit TLS, and do not turn TLS off.",
    example: "538 5.7.11 Encryption required for requested authentication mechanism",
  },
  {
    id: "generic-auth-password-transition",
    match: "432 4.7.12 a password transition is needed (RFC 4954)",
    enhanced: "4.7.12",
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The account must change its password before it can authenticate: change it, then update the configured password.",
    example: "432 4.7.12 A password transition is needed",
  },
  {
    id: "generic-auth-account-disabled",
    match: "525 5.7.13 user account disabled (RFC 5248)",
    enhanced: "5.7.13",
    code: "MAILBOX_UNAVAILABLE",
    retryable: false,
    hint: "The sending account is disabled on the server: enable it, or send from another account.",
    example: "525 5.7.13 User account disabled",
  },
  {
    id: "generic-auth-temporary",
    match: "454 4.7.0 temporary authentication failure (RFC 4954)",
    replyCode: 454,
    text: /authentication/i,
    code: "SERVER_ERROR",
    retryable: true,
    hint: "The server could not check the credentials just now (its authentication back end failed): retry; nothing is wrong with the credentials yet.",
    example: "454 4.7.0 Temporary authentication failure",
  },
  {
    id: "generic-reply-auth-required",
    match: "530 authentication required (RFC 4954)",
    replyCode: 530,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server only accepts mail from an authenticated client: set credentials (auth.user with auth.pass or a token).",
    example: "530 Authentication required",
  },
  {
    id: "generic-reply-auth-failed",
    match:
      "535 authentication credentials invalid, whatever the enhanced code (RFC 4954): Exim, Sendmail",
    replyCode: 535,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server refused the user name and password (or token): check them, and use an app password or OAuth where the account has MFA.",
    example: "535 5.7.0 authentication failed",
  },
  {
    id: "generic-reply-auth-weak",
    match: "534 authentication mechanism too weak (RFC 4954)",
    replyCode: 534,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server refuses this authentication method: use a stronger one the server offers, or OAuth.",
    example: "534 Authentication mechanism is too weak",
  },
  {
    id: "generic-reply-encryption-required",
    match: "538 encryption required for the authentication mechanism (RFC 4954)",
    replyCode: 538,
    code: "TLS_ERROR",
    retryable: false,
    hint: "The server wants TLS before this step: connect with STARTTLS (port 587) or implicit TLS, and do not turn TLS off.",
    example: "538 Encryption required for requested authentication mechanism",
  },
  // --- What servers say in words, whatever the code -----------------------------------------
  {
    id: "generic-greylisted",
    match: "4xx greylisting: postgrey (Postfix), milter-greylist (Sendmail), greylistd (Exim)",
    replyClass: 4,
    text: /gr[ae]y-?list/i,
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 5 * MINUTE,
    hint: "The server greylists first-time senders: the same message is accepted when it is sent again after a few minutes (the mailer retries; an outbox should too).",
    example:
      "450 4.2.0 <ada@contoso.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/contoso.com.html",
  },
  {
    id: "generic-daily-quota",
    match: "a daily sending limit reached: Google",
    text: /daily (?:user )?sending (?:limit|quota)|sending (?:limit|quota) exceeded/i,
    code: "QUOTA_EXCEEDED",
    retryable: false,
    retryAfterMs: 24 * 60 * MINUTE,
    hint: "The account reached the server's daily sending limit: wait for the window to roll, and spread volume over more accounts.",
    example:
      "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail's sending limits go to https://support.google.com/a/answer/166852",
  },
  {
    id: "generic-rate-limited",
    match:
      "4xx rate limiting: Postfix anvil, Exim ratelimit, Sendmail, on-premises Exchange, Google",
    replyClass: 4,
    text: /\brate\b|too many (?:connections|messages|recipients|mails?|concurrent)|too much mail|throttl|slow down|exceeded a limit/i,
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: MINUTE,
    hint: "The server limits how fast this client may send: lower the concurrency and rate (rateLimit), the mailer backs off by itself.",
    example: "421 4.7.0 mail.contoso.com Error: too many connections from 203.0.113.10",
  },
  {
    id: "generic-relay-denied",
    match: "5xx relay access denied: Postfix, Exim, Sendmail, on-premises Exchange, Google",
    replyClass: 5,
    text: /relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|unable to relay|relay not permitted|credentials for relay/i,
    code: "RELAY_DENIED",
    retryable: false,
    hint: RELAY_HINT,
    example: "554 5.7.1 <ada@fabrikam.com>: Relay access denied",
  },
  {
    id: "generic-client-blocked",
    match: "5xx sending IP on a block list (DNSBL) or refused by reputation",
    replyClass: 5,
    text: /blocked using|block ?list|black ?list|spamhaus|\bDNSBL\b|\bRBL\b|client host \[[^\]]{0,64}\] blocked/i,
    code: "RELAY_DENIED",
    retryable: false,
    hint: "The server refuses mail from this sending IP (a block list or its reputation): get the IP delisted, or send through another path.",
    example:
      "554 5.7.1 Service unavailable; Client host [203.0.113.10] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.10",
  },
  {
    id: "generic-sender-refused",
    match:
      "5xx the sender address refused: Postfix (not owned by user, access denied), Exim (sender verify), Sendmail",
    replyClass: 5,
    text: SENDER_WORDS,
    code: "SEND_AS_DENIED",
    retryable: false,
    hint: SENDER_HINT,
    example:
      "553 5.7.1 <bob@contoso.com>: Sender address rejected: not owned by user alice@contoso.com",
  },
  {
    id: "generic-sender-deferred",
    match: "4xx the sender address refused for now: Postfix (sender domain not found)",
    replyClass: 4,
    text: SENDER_WORDS,
    code: "SEND_AS_DENIED",
    retryable: true,
    retryAfterMs: 5 * MINUTE,
    hint: "The server could not accept the sender address just now (its domain did not resolve): check that the sender's domain has DNS records; the mailer retries.",
    example: "450 4.1.8 <bob@contoso.example>: Sender address rejected: Domain not found",
  },
  {
    id: "generic-mailbox-full",
    match:
      "5xx recipient's mailbox full (x.2.2, or the words): Sendmail, Google, on-premises Exchange, Postfix + Dovecot",
    replyClass: 5,
    enhanced: { prefix: "5.2", from: 2, to: 2 },
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient's mailbox is full: the recipient must free space; sending again later may succeed.",
    example:
      "552 5.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm",
  },
  {
    id: "generic-mailbox-full-temporary",
    match: "4xx recipient's mailbox full for now (x.2.2): Google, Dovecot",
    enhanced: { prefix: "4.2", from: 2, to: 2 },
    code: "RECIPIENT_REJECTED",
    retryable: true,
    retryAfterMs: 15 * MINUTE,
    hint: "The recipient's mailbox is full for now: sending again later may succeed (an outbox should retry after retryAfterMs).",
    example:
      "452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
  },
  // --- Enhanced status codes (RFC 3463) -------------------------------------------------------
  {
    id: "generic-mailbox-full-words",
    match: "5xx recipient's mailbox full, in words without x.2.2",
    replyClass: 5,
    text: /mailbox (?:is )?full|over quota|quota exceeded/i,
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient's mailbox is full: the recipient must free space; sending again later may succeed.",
    example: "552 <ada@contoso.com> Mailbox is full",
  },
  {
    id: "generic-sender-address",
    match: "5.1.7 / 5.1.8 bad sender's mailbox or system address",
    enhanced: { prefix: "5.1", from: 7, to: 8 },
    code: "SEND_AS_DENIED",
    retryable: false,
    hint: SENDER_HINT,
    example:
      "553 5.1.8 <bob@nowhere.invalid>... Domain of sender address bob@nowhere.invalid does not exist",
  },
  {
    id: "generic-address-refused-at-mail-from",
    match: "5.1.x in reply to MAIL FROM: the sender's address is refused",
    command: MAIL_FROM,
    enhanced: { prefix: "5.1", from: 0, to: ANY },
    code: "SEND_AS_DENIED",
    retryable: false,
    hint: SENDER_HINT,
    example: "550 5.1.0 Address rejected",
  },
  {
    id: "generic-policy-refused-at-mail-from",
    match: "5.7.x in reply to MAIL FROM: the sender is refused by policy",
    command: MAIL_FROM,
    enhanced: { prefix: "5.7", from: 0, to: ANY },
    code: "SEND_AS_DENIED",
    retryable: false,
    hint: SENDER_HINT,
    example: "550 5.7.1 Access denied",
  },
  {
    id: "generic-address-deferred-at-mail-from",
    match: "4.1.x in reply to MAIL FROM: the sender's address is refused for now",
    command: MAIL_FROM,
    enhanced: { prefix: "4.1", from: 0, to: ANY },
    code: "SEND_AS_DENIED",
    retryable: true,
    retryAfterMs: 5 * MINUTE,
    hint: "The server could not accept the sender address just now: check that the sender's domain has DNS records; the mailer retries.",
    example: "451 4.1.0 Sender address temporarily unverifiable",
  },
  {
    id: "generic-bad-recipient",
    match:
      "5.1.x bad destination address (5.1.1 unknown user, 5.1.2 bad domain, 5.1.3 syntax, 5.1.6 moved)",
    enhanced: { prefix: "5.1", from: 0, to: ANY },
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: RECIPIENT_HINT,
    example:
      "550 5.1.2 <ada@contoso.example>... Host unknown (Name server: contoso.example: host not found)",
  },
  {
    id: "generic-bad-recipient-temporary",
    match: "4.1.x destination address not verified yet (4.1.1, 4.1.2 domain not found)",
    enhanced: { prefix: "4.1", from: 0, to: ANY },
    code: "RECIPIENT_REJECTED",
    retryable: true,
    retryAfterMs: 5 * MINUTE,
    hint: "The server could not verify the recipient just now (its domain or mailbox lookup failed): retry later, and check the address if it persists.",
    example: "450 4.1.2 <ada@contoso.example>: Recipient address rejected: Domain not found",
  },
  {
    id: "generic-mailbox-disabled",
    match: "5.2.1 mailbox disabled",
    enhanced: { prefix: "5.2", from: 1, to: 1 },
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient's mailbox does not accept mail (it is disabled): check the address.",
    example: "550 5.2.1 <ada@contoso.com>: Recipient address rejected: Mailbox disabled",
  },
  {
    id: "generic-mailbox-temporary",
    match: "4.2.x recipient's mailbox unavailable for now",
    enhanced: { prefix: "4.2", from: 0, to: ANY },
    code: "RECIPIENT_REJECTED",
    retryable: true,
    retryAfterMs: 5 * MINUTE,
    hint: "The recipient's mailbox is unavailable for now: retry later.",
    example: "450 4.2.1 Mailbox disabled, not accepting messages",
  },
  {
    id: "generic-congestion",
    match: "4.4.5 mail system congestion: Sendmail",
    enhanced: { prefix: "4.4", from: 5, to: 5 },
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: MINUTE,
    hint: "The server is congested and asks the client to come back later: the mailer backs off; lower the sending rate if it persists.",
    example: "452 4.4.5 Insufficient disk space; try again later",
  },
  {
    id: "generic-system-resources",
    match: "4.3.1 insufficient system resources (on-premises Exchange back pressure, Sendmail)",
    enhanced: "4.3.1",
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: MINUTE,
    hint: "The server is short of disk or memory and defers mail (Exchange back pressure): the mailer backs off; the server's admin should free resources.",
    example: "452 4.3.1 Insufficient system resources",
  },
  {
    id: "generic-too-many-recipients",
    match: "5.5.3 too many recipients",
    enhanced: "5.5.3",
    code: "INVALID_MESSAGE",
    retryable: false,
    hint: "The message has more recipients than the server accepts in one message: split it over several messages.",
    example: "550 5.5.3 Too many recipients",
  },
  {
    id: "generic-auth-line-too-long",
    match: "500 5.5.6 authentication exchange line too long (RFC 4954)",
    enhanced: "5.5.6",
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server refused an authentication line as too long (usually a large OAuth token): use a server that accepts long XOAUTH2 lines, or Basic credentials where allowed.",
    example: "500 5.5.6 Authentication Exchange line is too long",
  },
  {
    id: "generic-content-refused",
    match: "5.6.x message content or media refused (bare LF, bad MIME, conversion)",
    enhanced: { prefix: "5.6", from: 0, to: ANY },
    code: "INVALID_MESSAGE",
    retryable: false,
    hint: "The server refused the message's content or format: check headers, line endings and MIME parts.",
    example: "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds",
  },
  {
    id: "generic-message-authentication",
    match: "5.7.20–5.7.29 SPF, DKIM, DMARC or reverse DNS failed (RFC 7372): Google",
    enhanced: { prefix: "5.7", from: 20, to: 29 },
    code: "PERMISSION_DENIED",
    retryable: false,
    hint: "The receiving server could not authenticate the sender's domain: publish SPF and DKIM for it (and DMARC), covering the path you send through.",
    example:
      "550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been blocked. The sender must authenticate with at least one of SPF or DKIM.",
  },
  {
    id: "generic-recipient-policy",
    match: "5.7.1 a recipient refused by policy (the reply names the recipient)",
    enhanced: { prefix: "5.7", from: 1, to: 1 },
    text: /recipient|rcpt|user unknown|mailbox/i,
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient's server refuses this address by policy: check the address, or ask the recipient's admin.",
    example: "554 5.7.1 <ada@contoso.com>: Recipient address rejected: Access denied",
  },
  {
    id: "generic-policy-temporary",
    match: "4.7.x deferred by policy (reputation, reverse DNS, rate) ",
    enhanced: { prefix: "4.7", from: 0, to: ANY },
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 5 * MINUTE,
    hint: "The server defers this client by policy for now (greylisting, reputation, rate): the mailer backs off; check the sending IP's reverse DNS and reputation if it persists.",
    example: "450 4.7.1 Client host rejected: cannot find your hostname, [203.0.113.10]",
  },
  {
    id: "generic-policy-refused",
    match: "5.7.x refused by security or policy (spam, content rules)",
    enhanced: { prefix: "5.7", from: 0, to: ANY },
    code: "PERMISSION_DENIED",
    retryable: false,
    hint: "The server's policy refused the message (spam, content or security rules): read its reply; check the sender's SPF, DKIM and DMARC, and the content.",
    example:
      "550 5.7.1 [203.0.113.10] Gmail has detected that this message is likely unsolicited mail.",
  },
];

/**
 * Replies with no enhanced status code (Exim, old servers), by the basic reply code of
 * RFC 5321 and RFC 4954. Consulted after `GENERIC_SMTP_RULES`, only when the reply carries
 * no enhanced code (one that no row knows falls back by class instead).
 * @since 0.1.0
 */
export const BASIC_SMTP_RULES: readonly SmtpRule[] = [
  {
    id: "basic-sender-refused",
    match: "550 / 553 in reply to MAIL FROM: the sender is refused",
    command: MAIL_FROM,
    replyClass: 5,
    code: "SEND_AS_DENIED",
    retryable: false,
    hint: SENDER_HINT,
    example: "550 Requested action not taken: mailbox unavailable",
  },
  {
    id: "basic-recipient-refused",
    match:
      "550 mailbox unavailable, 551 user not local, 553 mailbox name not allowed (RFC 5321): Exim",
    replyCode: 550,
    command: NOT_MAIL_FROM_OR_DATA,
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: RECIPIENT_HINT,
    example: "550 Unrouteable address",
  },
  {
    id: "basic-user-not-local",
    match: "551 user not local, 553 mailbox name not allowed (RFC 5321)",
    replyCode: 551,
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: RECIPIENT_HINT,
    example: "551 User not local; please try <ada@fabrikam.com>",
  },
  {
    id: "basic-mailbox-name",
    match: "553 mailbox name not allowed (RFC 5321)",
    replyCode: 553,
    command: NOT_MAIL_FROM_OR_DATA,
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: RECIPIENT_HINT,
    example: "553 Requested action not taken: mailbox name not allowed",
  },
  {
    id: "basic-no-mail-domain",
    match: "521 / 556 the domain does not accept mail (RFC 7504)",
    replyCode: 556,
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient's domain does not accept mail (a null MX): check the address.",
    example: "556 Domain does not accept mail",
  },
  {
    id: "basic-too-large",
    match: "552 exceeded storage allocation (RFC 5321): Exim",
    replyCode: 552,
    code: "MESSAGE_TOO_LARGE",
    retryable: false,
    hint: "The message is larger than the server accepts: reduce attachments (base64 adds about 33%).",
    example: "552 Message size exceeds maximum permitted",
  },
];
