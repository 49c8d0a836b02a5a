// The tenant the emulator plays: accepted domains, mailboxes, app registrations, connectors,
// org switches and limits. Everything has a default so that `startEmulator()` alone works.
import type { SenderDomainDns } from "./stamp/exchange-stamp.js";

/** Microsoft Graph / Exchange application permissions the emulator understands. */
export type AppPermission = "Mail.Send" | "Mail.ReadWrite" | "SMTP.SendAsApp";

/** A mailbox (user or shared) in an accepted domain. */
export interface MailboxPolicy {
  readonly address: string;
  readonly displayName?: string;
  /** Basic-auth password for SMTP AUTH. Absent: Basic auth always fails for this mailbox. */
  readonly password?: string;
  /** `Set-CASMailbox -SmtpClientAuthenticationDisabled`: `true` on, `false` off, absent inherits the org switch. */
  readonly smtpAuthEnabled?: boolean;
  /** Unlicensed mailboxes cannot send (Graph: `MailboxNotEnabledForRESTAPI`). @default true */
  readonly licensed?: boolean;
  /** `MaxSendSize` in bytes. @default 35 MB (36,700,160) */
  readonly maxSendBytes?: number;
  /** `RecipientLimits` per message. @default 500 */
  readonly recipientLimit?: number;
  /** Other addresses this mailbox has Send As on. */
  readonly sendAs?: readonly string[];
}

/** `MaxSendSize` of a mailbox that sets none (35 MB). */
const DEFAULT_MAX_SEND_BYTES = 36_700_160;
/** `RecipientLimits` of a mailbox that sets none. */
const DEFAULT_RECIPIENT_LIMIT = 500;

/** The mailbox's `MaxSendSize` in bytes, its default when unset. */
export function maxSendBytesOf(mailbox: MailboxPolicy): number {
  return mailbox.maxSendBytes ?? DEFAULT_MAX_SEND_BYTES;
}

/** The mailbox's `RecipientLimits` per message, its default when unset. */
export function recipientLimitOf(mailbox: MailboxPolicy): number {
  return mailbox.recipientLimit ?? DEFAULT_RECIPIENT_LIMIT;
}

/** Whether the mailbox may send as `address`: its own address or one it has Send As on. */
export function maySendAs(mailbox: MailboxPolicy, address: string): boolean {
  const wanted = address.toLowerCase();
  return (
    mailbox.address.toLowerCase() === wanted ||
    (mailbox.sendAs ?? []).some((granted) => granted.toLowerCase() === wanted)
  );
}

/** Whether the app's mailbox scope (`AppRegistration.mailboxes`) includes the mailbox. */
export function appMayUseMailbox(app: AppRegistration, mailbox: MailboxPolicy): boolean {
  const scope = app.mailboxes ?? "*";
  const wanted = mailbox.address.toLowerCase();
  return scope === "*" || scope.some((address) => address.toLowerCase() === wanted);
}

/** An Entra app registration with its credentials and granted permissions. */
export interface AppRegistration {
  readonly clientId: string;
  readonly displayName?: string;
  /** Client secrets; an `expiresAt` in the past yields `AADSTS7000222`. */
  readonly secrets?: readonly { readonly value: string; readonly expiresAt?: Date }[];
  /** Registered certificates (PEM, public part) for certificate assertions. */
  readonly certificates?: readonly string[];
  /** Admin-consented application permissions. */
  readonly permissions: readonly AppPermission[];
  /**
   * Mailboxes the app may use (`Add-MailboxPermission` for SMTP.SendAsApp, RBAC for
   * Applications scope for Graph). `"*"`: every mailbox. @default "*"
   */
  readonly mailboxes?: readonly string[] | "*";
}

/** An inbound connector from "Your organization's email server" (OnPremises). */
export interface ConnectorPolicy {
  readonly name: string;
  /** Client IPs matched (exact addresses, e.g. `127.0.0.2`). */
  readonly senderIps?: readonly string[];
  /** TLS client certificate name matched against the certificate's CN/SAN (`*.` allowed). */
  readonly tlsCertificateName?: string;
}

/** Limits, per mailbox unless said otherwise. Scale them down in tests. */
export interface TenantLimits {
  /** Concurrent SMTP AUTH connections per mailbox → `432 4.3.2`. @default 3 */
  readonly smtpConnectionsPerMailbox: number;
  /** SMTP AUTH messages per `smtpMessageWindowMs` per mailbox. @default 30 */
  readonly smtpMessagesPerWindow: number;
  /** @default 60_000 */
  readonly smtpMessageWindowMs: number;
  /** Recipients per rolling `recipientWindowMs` per mailbox → `554 5.2.0 …SubmissionQuotaExceeded…`. @default 10_000 */
  readonly recipientsPerWindow: number;
  /** @default 86_400_000 (24 h) */
  readonly recipientWindowMs: number;
  /** Graph concurrent requests per app + mailbox → 429 MailboxConcurrency. @default 4 */
  readonly graphConcurrentRequests: number;
  /** Graph requests per `graphWindowMs` per app + mailbox → 429 ApplicationThrottled. @default 10_000 */
  readonly graphRequestsPerWindow: number;
  /** @default 600_000 (10 min) */
  readonly graphWindowMs: number;
  /** Largest Graph request body. @default 4 MB (4,194,304) */
  readonly graphMaxRequestBytes: number;
  /** Largest inline (POST) attachment on Graph. @default 3 MB (3,145,728) */
  readonly graphMaxInlineAttachmentBytes: number;
  /** Largest upload-session chunk. @default 4 MB (4,194,304) */
  readonly graphMaxChunkBytes: number;
  /** Seconds sent in `Retry-After` on throttling replies. @default 1 */
  readonly retryAfterSeconds: number;
  /**
   * Messages per `relayWindowMs` the relay (MX) endpoint takes from one client IP before it
   * answers `451 4.7.500 Server busy. Please try again later from [ip]. (AS761)`.
   * @default Infinity (no IP throttling)
   */
  readonly relayMessagesPerWindow: number;
  /** @default 60_000 */
  readonly relayWindowMs: number;
  /**
   * The organization's maximum receive size on the relay (MX) endpoint (`MaxReceiveSize`,
   * org-wide): a larger message is refused with `552 5.3.4 Message size exceeds fixed maximum
   * message size` (at MAIL FROM for a larger `SIZE=`, else at the end of DATA).
   * @default 36 MB (37,748,736)
   */
  readonly relayMaxMessageBytes: number;
}

/** The whole tenant. */
export interface TenantPolicy {
  /** Directory (tenant) id. */
  readonly tenantId: string;
  /** Accepted domains; recipients elsewhere are external. */
  readonly domains: readonly string[];
  readonly mailboxes: readonly MailboxPolicy[];
  readonly apps: readonly AppRegistration[];
  readonly connectors: readonly ConnectorPolicy[];
  /** `Set-TransportConfig -SmtpClientAuthenticationDisabled:$false`. @default true */
  readonly smtpAuthEnabled: boolean;
  /**
   * Basic auth for SMTP AUTH: `enabled`; `disabled` (security defaults / auth policy →
   * `535 5.7.139 …basic authentication is disabled.`); `retired` (→ `550 5.7.30`). @default "enabled"
   */
  readonly basicAuth: "enabled" | "disabled" | "retired";
  /** `Set-OrganizationConfig -RejectDirectSend`. @default false */
  readonly rejectDirectSend: boolean;
  /** Unknown recipients in accepted domains are refused at RCPT / as invalid recipients. @default true */
  readonly rejectUnknownInternalRecipients: boolean;
  /**
   * Which words the 4th concurrent SMTP AUTH session of a mailbox gets:
   * `sender-thread-limit` → `432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded`
   * (long-standing text); `concurrent-connections` → `432 4.3.2 Concurrent connections limit
   * exceeded. Visit https://aka.ms/concurrent_sending for more information.` (newer servers).
   * @default "sender-thread-limit"
   */
  readonly concurrencyReply?: "sender-thread-limit" | "concurrent-connections";
  /**
   * What a message over `limits.smtpMessagesPerWindow` gets. `delay`: accepted (250) and
   * delivered once the window has room, as Exchange throttles submission ("the excess is
   * carried over to following minutes"); `refuse`: `451 4.7.500 Server busy. Please try again
   * later` at MAIL FROM, for tests that want the client to see a throttle.
   * @default "delay"
   */
  readonly messageRateExcess?: "delay" | "refuse";
  /**
   * DNS each sender domain publishes, for the sandbox's Exchange stamps (SPF, DKIM, DMARC);
   * a domain not listed is aligned and passing.
   * @default {}
   * @since 0.1.0
   */
  readonly senderDns?: Readonly<Record<string, SenderDomainDns>>;
  readonly limits: TenantLimits;
}

/** What `configure()` and `startEmulator({ tenant })` accept: any part of the policy. */
export type TenantPolicyInput = Partial<Omit<TenantPolicy, "limits">> & {
  readonly limits?: Partial<TenantLimits>;
};

// The default tenant's well-known values, also used by `env()`.

/**
 * Tenant (directory) id of the default tenant.
 * @since 0.1.0
 */
export const DEFAULT_TENANT_ID = "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b";
/**
 * Client (application) id of the default tenant's app registration, which holds `Mail.Send`,
 * `Mail.ReadWrite` and `SMTP.SendAsApp` for every mailbox.
 * @since 0.1.0
 */
export const DEFAULT_CLIENT_ID = "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f";
/**
 * Client secret of the default app registration (an emulator value, never a real secret).
 * @since 0.1.0
 */
export const DEFAULT_CLIENT_SECRET = "emulator-client-secret";
/**
 * Address of the default tenant's sending mailbox.
 * @since 0.1.0
 */
export const DEFAULT_SENDER = "notifications@contoso.com";
/**
 * SMTP AUTH password of {@link DEFAULT_SENDER} (an emulator value, never a real password).
 * @since 0.1.0
 */
export const DEFAULT_PASSWORD = "emulator-password";

/**
 * Exchange Online's limits as the default tenant applies them
 * (docs/reference/exchange-online.md §5); the relay's message rate is unlimited unless configured.
 * @since 0.1.0
 */
export const DEFAULT_LIMITS: TenantLimits = {
  smtpConnectionsPerMailbox: 3,
  smtpMessagesPerWindow: 30,
  smtpMessageWindowMs: 60_000,
  recipientsPerWindow: 10_000,
  recipientWindowMs: 86_400_000,
  graphConcurrentRequests: 4,
  graphRequestsPerWindow: 10_000,
  graphWindowMs: 600_000,
  graphMaxRequestBytes: 4 * 1024 * 1024,
  graphMaxInlineAttachmentBytes: 3 * 1024 * 1024,
  graphMaxChunkBytes: 4 * 1024 * 1024,
  retryAfterSeconds: 1,
  relayMessagesPerWindow: Number.POSITIVE_INFINITY,
  relayWindowMs: 60_000,
  relayMaxMessageBytes: 36 * 1024 * 1024,
};

/** The tenant `startEmulator()` plays when given nothing. */
export function defaultTenant(): TenantPolicy {
  return {
    tenantId: DEFAULT_TENANT_ID,
    domains: ["contoso.com"],
    mailboxes: [
      { address: DEFAULT_SENDER, displayName: "Contoso Notifications", password: DEFAULT_PASSWORD },
      { address: "ada@contoso.com", displayName: "Ada Lovelace", password: "ada-password" },
      { address: "grace@contoso.com", displayName: "Grace Hopper", password: "grace-password" },
      { address: "alan@contoso.com", displayName: "Alan Turing", password: "alan-password" },
      { address: "reports@contoso.com", displayName: "Reports", password: "reports-password" },
    ],
    apps: [
      {
        clientId: DEFAULT_CLIENT_ID,
        displayName: "mailpath emulator app",
        secrets: [{ value: DEFAULT_CLIENT_SECRET }],
        permissions: ["Mail.Send", "Mail.ReadWrite", "SMTP.SendAsApp"],
        mailboxes: "*",
      },
    ],
    connectors: [{ name: "On-premises relay", senderIps: ["127.0.0.2"] }],
    smtpAuthEnabled: true,
    basicAuth: "enabled",
    rejectDirectSend: false,
    rejectUnknownInternalRecipients: true,
    limits: DEFAULT_LIMITS,
  };
}

/** Merges a partial policy over a full one (arrays replace, limits merge). */
export function mergeTenant(base: TenantPolicy, input: TenantPolicyInput = {}): TenantPolicy {
  return { ...base, ...input, limits: { ...base.limits, ...input.limits } } as TenantPolicy;
}
