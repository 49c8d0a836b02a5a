import type { SmtpRule } from "./types.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const AUTH_FAILED_HINT =
  "Exchange refused the credentials: check the password, or for OAuth a token for scope https://outlook.office365.com/.default. " +
  "For app-only tokens register the service principal with New-ServicePrincipal using the Enterprise Application's object id (not the App Registration's) and grant the mailbox with Add-MailboxPermission -AccessRights FullAccess.";

/**
 * The Exchange Online SMTP replies the classifier knows, most specific first. Sources and
 * remediation: `docs/reference/exchange-online.md` §5 and §7.
 * @since 0.1.0
 */
export const SMTP_RULES: readonly SmtpRule[] = [
  // --- TLS and authentication -----------------------------------------------------------
  {
    id: "smtp-tls-version",
    match: "421 4.7.66 (TLS 1.0/1.1 not supported)",
    enhanced: "4.7.66",
    code: "TLS_ERROR",
    retryable: false,
    hint: "Exchange Online only accepts TLS 1.2 or later: upgrade the client's TLS (Node 20 does TLS 1.2+ unless minVersion was lowered).",
    example:
      "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.",
  },
  {
    id: "smtp-starttls-required",
    match: "530 5.7.0 Must issue a STARTTLS command first",
    enhanced: "5.7.0",
    text: /STARTTLS/i,
    code: "TLS_ERROR",
    retryable: false,
    hint: "The server requires STARTTLS before anything else: connect to port 587 with secure: false and let the client upgrade with STARTTLS.",
    example: "530 5.7.0 Must issue a STARTTLS command first",
  },
  {
    id: "smtp-auth-disabled-tenant",
    match: "535 5.7.139 SmtpClientAuthentication is disabled",
    enhanced: "5.7.139",
    text: /SmtpClientAuthentication is disabled/i,
    code: "AUTH_DISABLED",
    retryable: false,
    hint: "SMTP AUTH is disabled for this mailbox or tenant: run Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false, or move to OAuth with Graph.",
    example:
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
  },
  {
    id: "smtp-basic-auth-disabled",
    match: "535 5.7.139 basic authentication is disabled",
    enhanced: "5.7.139",
    text: /basic authentication is disabled/i,
    code: "AUTH_DISABLED",
    retryable: false,
    hint: "Basic authentication is blocked (security defaults or an authentication policy): switch to OAuth (XOAUTH2 with a token) or to Graph.",
    example: "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
  },
  {
    id: "smtp-auth-security-defaults",
    match: "535 5.7.139 locked by security defaults",
    enhanced: "5.7.139",
    text: /security defaults/i,
    code: "AUTH_DISABLED",
    retryable: false,
    hint: "Security defaults block Basic authentication for this user: switch to OAuth (XOAUTH2) or to Graph.",
    example:
      "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.",
  },
  {
    id: "smtp-auth-bad-credentials-139",
    match: "535 5.7.139 the user credentials were incorrect",
    enhanced: "5.7.139",
    text: /credentials were incorrect/i,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The user name or password is wrong: check them, and use an app password or OAuth if the account has MFA.",
    example:
      "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect. [AM0PR04CA0022.eurprd04.prod.outlook.com]",
  },
  {
    id: "smtp-auth-disabled-other",
    match: "535 5.7.139 (any other wording)",
    enhanced: "5.7.139",
    code: "AUTH_DISABLED",
    retryable: false,
    hint: "A tenant policy (Conditional Access, MFA, security defaults) refuses this sign-in over SMTP AUTH: use OAuth app-only (XOAUTH2) or Graph.",
    example:
      "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.",
  },
  {
    id: "smtp-basic-auth-retired",
    match: "550 5.7.30 Basic authentication is not supported",
    enhanced: "5.7.30",
    code: "AUTH_DISABLED",
    retryable: false,
    hint: "Basic authentication for Client Submission is retired: switch to OAuth (XOAUTH2 with a token for https://outlook.office365.com/.default) or to Graph.",
    example: "550 5.7.30 Basic authentication is not supported for Client Submission.",
  },
  {
    id: "smtp-auth-failed",
    match: "535 5.7.3 Authentication unsuccessful",
    enhanced: "5.7.3",
    code: "AUTH_FAILED",
    retryable: false,
    hint: AUTH_FAILED_HINT,
    example: "535 5.7.3 Authentication unsuccessful [SN4PR0601CA0002.namprd06.prod.outlook.com]",
  },
  {
    id: "smtp-not-authenticated",
    match: "5.7.57 Client was not authenticated to send anonymous mail",
    enhanced: "5.7.57",
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The client sent mail without authenticating: issue STARTTLS, then AUTH, before MAIL FROM (check that credentials are set and that TLS is not disabled).",
    example:
      "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM [MW4PR03CA0123.namprd03.prod.outlook.com]",
  },
  {
    id: "smtp-auth-mechanism-unavailable",
    match: "504 5.7.4 Unrecognized authentication type",
    enhanced: "5.7.4",
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server does not offer this authentication method at this point: authenticate after STARTTLS, with AUTH LOGIN (Basic) or AUTH XOAUTH2 (OAuth).",
    example: "504 5.7.4 Unrecognized authentication type [MW4PR03CA0123.namprd03.prod.outlook.com]",
  },
  {
    id: "smtp-not-authenticated-571",
    match: "5.7.1 Client was not authenticated",
    enhanced: "5.7.1",
    text: /not authenticated/i,
    code: "AUTH_FAILED",
    retryable: false,
    hint: "The server wants an authenticated client: use SMTP AUTH submission (smtp.office365.com:587) or a relay connector that matches this sender's IP or certificate.",
    example: "530 5.7.1 Client was not authenticated",
  },
  // --- Send As --------------------------------------------------------------------------
  {
    id: "smtp-send-as-denied-560",
    match: "550 5.7.60 Client does not have permissions to send as this sender",
    enhanced: "5.7.60",
    code: "SEND_AS_DENIED",
    retryable: false,
    hint: "The authenticated mailbox may not send as the From address: grant Send As with Add-RecipientPermission -AccessRights SendAs, or send from the mailbox's own address.",
    example: "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
  },
  {
    id: "smtp-send-as-denied-520",
    match: "554 5.2.0 …SendAsDeniedException",
    enhanced: "5.2.0",
    text: /SendAsDenied/i,
    code: "SEND_AS_DENIED",
    retryable: false,
    hint: "The authenticated mailbox may not send as the From address: grant Send As with Add-RecipientPermission -AccessRights SendAs, or send from the mailbox's own address.",
    example:
      "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.",
  },
  // --- Throttling and quotas ------------------------------------------------------------
  {
    id: "smtp-sender-thread-limit",
    match: "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
    enhanced: "4.3.2",
    text: /sender thread limit/i,
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 5_000,
    hint: "More than 3 concurrent SMTP connections for this mailbox: lower the per-mailbox concurrency to 3 or fewer, or spread sends over more mailboxes.",
    example:
      "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=DM6PR10MB4250.namprd10.prod.outlook.com]",
  },
  {
    id: "smtp-concurrent-connections",
    match: "432 4.3.2 Concurrent connections limit exceeded",
    enhanced: "4.3.2",
    text: /concurrent connections limit/i,
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 5_000,
    hint: "More than 3 concurrent SMTP connections for this mailbox: lower the per-mailbox concurrency to 3 or fewer, or spread sends over more mailboxes.",
    example:
      "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information. [Hostname=BY5PR04MB6564.namprd04.prod.outlook.com]",
  },
  {
    id: "smtp-recipient-thread-limit",
    match: "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded",
    enhanced: "4.3.2",
    text: /recipient thread limit/i,
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 30_000,
    hint: "The recipient's mailbox is being throttled by Exchange: retry later; nothing to change on the sending side.",
    example: "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded",
  },
  {
    id: "smtp-ip-throttled",
    match: "451 4.7.500–4.7.699 (ASxxx) Access denied / server busy, try again later",
    enhanced: { prefix: "4.7", from: 500, to: 699 },
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 5 * MINUTE,
    hint: "Exchange is throttling (graylisting) this sending IP after a change in volume: retry later, and create an inbound connector for your relay IP so the IP is trusted.",
    example: "451 4.7.500 Server busy. Please try again later from [203.0.113.10]. (AS843)",
  },
  {
    id: "smtp-suspicious-ip",
    match: "4.7.850–4.7.899 suspicious IP, temporarily restricted",
    enhanced: { prefix: "4.7", from: 850, to: 899 },
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 15 * MINUTE,
    hint: "Exchange temporarily restricts this sending IP as suspicious: retry later; the restriction is lifted when the traffic is seen to be valid.",
    example: "451 4.7.850 Access denied, please try again later. (AS62003)",
  },
  {
    id: "smtp-too-many-recipients",
    match: "452 4.5.3 Too many recipients",
    enhanced: "4.5.3",
    code: "THROTTLED",
    retryable: true,
    retryAfterMs: 1_000,
    hint: "Too many envelope recipients in one transaction: split the recipient list into chunks of at most 200 recipients per domain (and within Set-Mailbox -RecipientLimits).",
    example: "452 4.5.3 Too many recipients",
  },
  {
    id: "smtp-recipient-limit",
    match: "550 5.5.3 RESOLVER.ADR.RecipLimit (more recipients than the mailbox's RecipientLimits)",
    enhanced: "5.5.3",
    text: /RecipLimit/i,
    code: "INVALID_MESSAGE",
    retryable: false,
    hint: "The message has more recipients (to + cc + bcc) than the mailbox allows per message (RecipientLimits, 500 by default): split it over several messages, use a distribution list, or raise the limit with Set-Mailbox -RecipientLimits.",
    example:
      "550 5.5.3 RESOLVER.ADR.RecipLimit; too many recipients (the limit is 500 per message)",
  },
  {
    id: "smtp-submission-quota-recipients",
    match: "554 5.2.0 …SubmissionQuotaExceededException (10,000 recipients / 24 h)",
    enhanced: "5.2.0",
    text: /SubmissionQuotaExceeded/i,
    code: "QUOTA_EXCEEDED",
    retryable: false,
    retryAfterMs: DAY,
    hint: "The mailbox reached its 10,000 recipients per rolling 24 hours: wait for the window to roll, check the account is not compromised, and spread volume over more mailboxes or use HVE.",
    example:
      "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.",
  },
  {
    id: "smtp-daily-recipient-limit",
    match: "550 5.1.90 daily limit for message recipients reached",
    enhanced: "5.1.90",
    code: "QUOTA_EXCEEDED",
    retryable: false,
    retryAfterMs: DAY,
    hint: "The mailbox reached its daily recipient limit: wait 24 hours, check the account is not compromised, and spread volume over more mailboxes.",
    example:
      "550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients.",
  },
  {
    id: "smtp-mailbox-full",
    match: "554 5.2.2 mailbox full; …QuotaExceededException",
    enhanced: "5.2.2",
    // The submitting mailbox's own quota (STOREDRV.Submission); a 5.2.2 from a receiving
    // server (STOREDRV.Deliver, Postfix, Gmail) is the recipient's mailbox: generic layer.
    text: /Submission\.Exception:QuotaExceeded/i,
    code: "QUOTA_EXCEEDED",
    retryable: false,
    hint: "The sending mailbox is full (SMTP AUTH saves a copy to Sent Items): free space or add a retention policy that cleans Sent Items.",
    example:
      "554 5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException.MapiExceptionQuotaExceeded; Failed to process message due to a permanent exception with message Cannot submit message.",
  },
  {
    id: "smtp-submission-quota",
    match: "5.2.2 Submission quota exceeded",
    enhanced: "5.2.2",
    text: /submission quota/i,
    code: "QUOTA_EXCEEDED",
    retryable: false,
    hint: "The mailbox exceeded its submission quota (message or recipient rate): wait for the window to pass, check the account is not compromised, and lower the send rate.",
    example: "554 5.2.2 Submission quota exceeded",
  },
  {
    id: "smtp-continuous-error-throttle",
    match: "550 5.2.251–5.2.255 Sender throttled due to continuous … errors",
    enhanced: { prefix: "5.2", from: 251, to: 255 },
    code: "THROTTLED",
    retryable: false,
    hint: "Exchange throttled this mailbox for SMTP AUTH after repeated failures (mailbox full, Send As denied, licence, too many or invalid recipients): fix that cause; the block lasts a Microsoft-set time that support cannot lift, so send from another mailbox meanwhile.",
    example: "550 5.2.252 Sender throttled due to continuous send as denied errors.",
  },
  // --- Size -----------------------------------------------------------------------------
  {
    id: "smtp-header-too-large",
    match: "552 5.3.4 Header size exceeds fixed maximum size",
    enhanced: "5.3.4",
    text: /header/i,
    code: "MESSAGE_TOO_LARGE",
    retryable: false,
    hint: "The message headers are too large: send fewer or shorter custom headers.",
    example: "552 5.3.4 Header size exceeds fixed maximum size",
  },
  {
    id: "smtp-message-too-large",
    match: "552 5.3.4 Message size exceeds fixed maximum message size",
    enhanced: "5.3.4",
    code: "MESSAGE_TOO_LARGE",
    retryable: false,
    hint: "The message is larger than the mailbox's MaxSendSize (default 35 MB, base64 adds about 33%): reduce the attachments or raise MaxSendSize with Set-Mailbox.",
    example: "552 5.3.4 Message size exceeds fixed maximum message size",
  },
  {
    id: "smtp-recipient-size-limit",
    match: "550 5.2.3 RESOLVER.RST.RecipSizeLimit",
    enhanced: "5.2.3",
    code: "MESSAGE_TOO_LARGE",
    retryable: false,
    hint: "The message is larger than a recipient accepts: reduce its size (base64 adds about 33%).",
    example: "550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient",
  },
  // --- Relay ----------------------------------------------------------------------------
  {
    id: "smtp-connector-mismatch",
    match: "550 5.7.64 TenantAttribution; Relay Access Denied",
    enhanced: "5.7.64",
    code: "RELAY_DENIED",
    retryable: false,
    hint: "No inbound connector matches this sender any more: fix the connector's sender IP addresses or TLS certificate name (New-InboundConnector -SenderIPAddresses / -TlsSenderCertificateName).",
    example:
      "550 5.7.64 TenantAttribution; Relay Access Denied [BN1NAM02FT011.eop-nam02.prod.protection.outlook.com]",
  },
  {
    id: "smtp-direct-send-rejected",
    match: "550 5.7.68 TenantInboundAttribution; Direct Send not allowed",
    enhanced: "5.7.68",
    code: "RELAY_DENIED",
    retryable: false,
    hint: "The tenant rejects Direct Send (Set-OrganizationConfig -RejectDirectSend $true): create a partner inbound connector for this IP or certificate, or use SMTP AUTH submission.",
    example:
      "550 5.7.68 TenantInboundAttribution; Direct Send not allowed for this organization from unauthorized sources",
  },
  {
    id: "smtp-unable-to-relay",
    match: "550 5.7.1 Unable to relay",
    enhanced: "5.7.1",
    text: /unable to relay/i,
    code: "RELAY_DENIED",
    retryable: false,
    hint: "Anonymous mail to a domain the tenant does not accept: use SMTP AUTH submission, or an inbound connector (by static IP or certificate) that allows relaying.",
    example:
      "550 5.7.1 Unable to relay for user@fabrikam.com [BN1NAM02FT011.eop-nam02.prod.protection.outlook.com]",
  },
  {
    id: "smtp-delivery-not-authorized",
    match: "550 5.7.1 Delivery not authorized, message refused",
    enhanced: "5.7.1",
    text: /delivery not authorized/i,
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient (often a group with delivery restrictions) does not accept mail from this sender: ask its owner to allow the sender.",
    example: "550 5.7.1 Delivery not authorized, message refused",
  },
  {
    id: "smtp-relay-access-denied",
    match: "550 5.4.1 Relay Access Denied",
    enhanced: "5.4.1",
    text: /relay access denied/i,
    code: "RELAY_DENIED",
    retryable: false,
    hint: "The server refused to relay for this recipient domain: check the domain's MX records and that the sending path may relay to it.",
    example: "550 5.4.1 Relay Access Denied [BN8NAM12FT049.eop-nam12.prod.protection.outlook.com]",
  },
  {
    id: "smtp-recipient-access-denied",
    match: "550 5.4.1 Recipient address rejected: Access denied (DBEB)",
    enhanced: "5.4.1",
    text: /recipient address rejected/i,
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient does not exist in the receiving tenant (Directory-Based Edge Blocking): check the address.",
    example:
      "550 5.4.1 Recipient address rejected: Access denied. [BN8NAM12FT049.eop-nam12.prod.protection.outlook.com]",
  },
  {
    id: "smtp-banned-ip",
    match: "550 5.7.606–5.7.649 Access denied, banned sending IP",
    enhanced: { prefix: "5.7", from: 606, to: 649 },
    code: "RELAY_DENIED",
    retryable: false,
    hint: "The sending IP is on Microsoft's block list: request delisting at https://sender.office.com, or send through another path.",
    example:
      "550 5.7.606 Access denied, banned sending IP [203.0.113.10]. To request removal from this list please visit https://sender.office.com/ and follow the directions.",
  },
  {
    id: "smtp-ip-not-accepted",
    match: "550 5.7.708 Access denied, traffic not accepted from this IP",
    enhanced: "5.7.708",
    code: "RELAY_DENIED",
    retryable: false,
    hint: "Exchange does not accept traffic from this IP (low reputation, typical of trial tenants): ask Microsoft support for an exception or buy licences.",
    example: "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
  },
  // --- Sender or tenant blocked ---------------------------------------------------------
  {
    id: "smtp-bad-outbound-sender",
    match: "550 5.1.8 Access denied, bad outbound sender",
    enhanced: "5.1.8",
    // Without these words 5.1.8 is RFC 3463's "bad sender's system address": generic layer.
    text: /bad outbound sender/i,
    code: "MAILBOX_UNAVAILABLE",
    retryable: false,
    hint: "The sending account is blocked for sending spam (likely compromised): secure it (reset the password, review rules), then remove it from Restricted entities in the Defender portal.",
    example: "550 5.1.8 Access denied, bad outbound sender",
  },
  {
    id: "smtp-spam-abuse",
    match: "550 5.7.501–5.7.503 Access denied, spam abuse detected / banned sender",
    enhanced: { prefix: "5.7", from: 501, to: 503 },
    code: "MAILBOX_UNAVAILABLE",
    retryable: false,
    hint: "Exchange blocked this sender for spam abuse: secure the account and contact Microsoft support to lift the block.",
    example: "550 5.7.501 Access denied, spam abuse detected",
  },
  {
    id: "smtp-tenant-threshold",
    match: "550 5.7.705 Access denied, tenant has exceeded threshold",
    enhanced: "5.7.705",
    code: "MAILBOX_UNAVAILABLE",
    retryable: false,
    hint: "The whole tenant is blocked from sending (spam, compromise or a lapsed subscription): fix the cause, then contact Microsoft support.",
    example: "550 5.7.705 Access denied, tenant has exceeded threshold",
  },
  {
    id: "smtp-unregistered-domain",
    match: "550 5.7.750 Client blocked from sending from unregistered domains",
    enhanced: "5.7.750",
    code: "PERMISSION_DENIED",
    retryable: false,
    hint: "The tenant is blocked from sending from domains it has not verified: add and verify every sending domain in the tenant, and check for rogue connectors.",
    example:
      "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.",
  },
  // --- Recipients -----------------------------------------------------------------------
  {
    id: "smtp-recipient-not-found",
    match: "550 5.1.10 RESOLVER.ADR.RecipientNotFound",
    enhanced: "5.1.10",
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient address does not exist: check the address.",
    example:
      "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
  },
  {
    id: "smtp-bad-destination-mailbox",
    match: "550 5.1.1 RESOLVER.ADR.RecipNotFound / bad destination mailbox",
    enhanced: "5.1.1",
    code: "RECIPIENT_REJECTED",
    retryable: false,
    hint: "The recipient address does not exist: check the address.",
    example: "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found",
  },
  // --- Server ---------------------------------------------------------------------------
  {
    id: "smtp-bad-sequence",
    match: "503 bad sequence of commands",
    replyCode: 503,
    code: "SERVER_ERROR",
    retryable: true,
    hint: "The session was in the wrong state for a command (not a refusal of the message): retry on a new connection.",
    example: "503 5.5.1 Bad sequence of commands",
  },
  {
    id: "smtp-message-delayed",
    match: "4.4.7 message expired / delayed in queue",
    enhanced: "4.4.7",
    code: "SERVER_ERROR",
    retryable: true,
    retryAfterMs: MINUTE,
    hint: "Exchange could not deliver in time (transient): retry later and check the destination server if it keeps happening.",
    example: "451 4.4.7 Message delayed",
  },
  {
    id: "smtp-message-expired",
    match: "550 5.4.300 Message expired",
    enhanced: "5.4.300",
    code: "SERVER_ERROR",
    retryable: false,
    hint: "The message stayed in the queue until it expired: check that the destination server accepts mail, then send again.",
    example: "550 5.4.300 Message expired",
  },
];

/**
 * Used when no row matches a 4xx reply: transient by SMTP's rule.
 * @since 0.1.0
 */
export const SMTP_FALLBACK_4XX: SmtpRule = {
  id: "smtp-fallback-4xx",
  match: "any other 4xx reply",
  code: "SERVER_ERROR",
  retryable: true,
  hint: "The server reported a temporary failure: retry with backoff.",
  example: "451 4.3.0 Temporary server error. Please try again later",
};

/**
 * Used when no row matches a 5xx reply: permanent, but not a path failure, so an unknown
 * rejection of one message does not open the circuit breaker.
 * @since 0.1.0
 */
export const SMTP_FALLBACK_5XX: SmtpRule = {
  id: "smtp-fallback-5xx",
  match: "any other 5xx reply",
  code: "UNKNOWN",
  retryable: false,
  hint: "The server permanently refused the message: read the server's reply; retrying the same message will not help.",
  example: "554 5.3.0 Other mail system problem",
};

/**
 * Used when there is no usable reply code (2xx/3xx where a failure was expected, garbage).
 * @since 0.1.0
 */
export const SMTP_FALLBACK_OTHER: SmtpRule = {
  id: "smtp-fallback-other",
  match: "a reply without a 4xx or 5xx code",
  code: "UNKNOWN",
  retryable: false,
  hint: "The server answered in a way the client did not expect: read the server's reply.",
  example: "250 2.0.0 OK",
};
