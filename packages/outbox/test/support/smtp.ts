import type { TransportLimits } from "@mailpath/core";
import { createSmtpTransport, type SmtpTransport } from "@mailpath/transport-smtp";

/** Where an emulator's SMTP AUTH endpoint is, and the mailbox's credentials. */
export interface SmtpTarget {
  readonly host: string;
  readonly port: number;
  readonly ca: string;
  readonly user: string;
  readonly pass: string;
}

/** An SMTP AUTH transport pointed at the emulator, advertising the scaled-down `limits`. */
export function createSmtpTransportFor(target: SmtpTarget, limits: TransportLimits): SmtpTransport {
  return createSmtpTransport({
    host: target.host,
    port: target.port,
    auth: { user: target.user, pass: target.pass },
    tls: { ca: target.ca },
    limits,
  });
}
