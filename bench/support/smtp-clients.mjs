// Shared by the SMTP benchmarks: mailpath and plain nodemailer set up alike against the
// emulator's SMTP AUTH submission (STARTTLS on loopback, the emulator's CA).
import { createMailer } from "@mailpath/core";
import { DEFAULT_PASSWORD, DEFAULT_SENDER } from "@mailpath/emulator";
import { createSmtpTransport } from "@mailpath/transport-smtp";
import nodemailer from "nodemailer";

/**
 * mailpath (createMailer + createSmtpTransport) and plain nodemailer (pool: true), each with a
 * pool of `connections` connections to the emulator as DEFAULT_SENDER.
 * @param {{ smtp: { host: string, port: number }, ca: string }} emulator from forkEmulator()
 * @param {{ connections: number, inFlight: number }} options
 * @returns {{ connection: object, mailer: import("@mailpath/core").Mailer, plain: import("nodemailer").Transporter }}
 *   `connection` (host, port, auth) for more clients of the same mailbox
 */
export function mailpathAndNodemailer(emulator, { connections, inFlight }) {
  const connection = {
    host: emulator.smtp.host,
    port: emulator.smtp.port,
    auth: { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
  };
  const mailer = createMailer({
    transport: createSmtpTransport({
      ...connection,
      tls: { ca: emulator.ca },
      pool: { maxConnections: connections },
      // Lifted like nodemailer's (which does not pace): the pool still opens at most
      // `connections` connections, but the mailer keeps its queue full like a caller of plain
      // nodemailer does.
      limits: {
        maxConcurrency: inFlight,
        maxMessagesPerInterval: 1_000_000_000,
        intervalMs: 1_000,
      },
    }),
    from: DEFAULT_SENDER,
  });
  const plain = nodemailer.createTransport({
    ...connection,
    pool: true,
    maxConnections: connections,
    secure: false,
    requireTLS: true,
    tls: { ca: emulator.ca, minVersion: "TLSv1.2", rejectUnauthorized: true },
  });
  return { connection, mailer, plain };
}
