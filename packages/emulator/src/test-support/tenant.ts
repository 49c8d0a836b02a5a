// Tenant changes the endpoint tests make again and again, written once.
import { DEFAULT_SENDER, defaultTenant, type MailboxPolicy } from "../tenant.js";

/**
 * The default tenant's mailboxes with the default sender's changed, for
 * `emulator.configure({ mailboxes })`.
 * @param changes the sender mailbox's fields to set
 * @returns every mailbox of the default tenant, the sender's with `changes`
 */
export function senderMailboxWith(changes: Partial<MailboxPolicy>): MailboxPolicy[] {
  return defaultTenant().mailboxes.map((mailbox) =>
    mailbox.address === DEFAULT_SENDER ? { ...mailbox, ...changes } : mailbox,
  );
}
