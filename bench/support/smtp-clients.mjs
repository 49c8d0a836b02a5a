// Shared by the SMTP benchmarks: mailpath and plain nodemailer set up alike against the
// emulator's SMTP AUTH submission (STARTTLS on loopback, the emulator's CA).
import { Readable } from "node:stream";
import { createMailer } from "@mailpath/core";
import { DEFAULT_PASSWORD, DEFAULT_SENDER } from "@mailpath/emulator";
import { createSmtpTransport } from "@mailpath/transport-smtp";
import nodemailer from "nodemailer";

/**
 * mailpath (createMailer + createSmtpTransport) and plain nodemailer (pool: true), each with a
 * pool of `connections` connections to the emulator as DEFAULT_SENDER.
 * @param {{ smtp: { host: string, port: number }, ca: string }} emulator from forkEmulator()
 * @param {{ connections: number, inFlight: number, maxMessages?: number }} options
 *   `maxMessages`: messages per pooled connection before it is replaced, for both (default:
 *   each library's own, 100 for both)
 * @returns {{ connection: object, mailer: import("@mailpath/core").Mailer, plain: import("nodemailer").Transporter }}
 *   `connection` (host, port, auth) for more clients of the same mailbox
 */
export function mailpathAndNodemailer(emulator, { connections, inFlight, maxMessages }) {
  const connection = {
    host: emulator.smtp.host,
    port: emulator.smtp.port,
    auth: { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
  };
  const mailer = createMailer({
    transport: createSmtpTransport({
      ...connection,
      tls: { ca: emulator.ca },
      pool: { maxConnections: connections, ...(maxMessages !== undefined && { maxMessages }) },
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
    ...(maxMessages !== undefined && { maxMessages }),
    secure: false,
    requireTLS: true,
    tls: { ca: emulator.ca, minVersion: "TLSv1.2", rejectUnauthorized: true },
  });
  return { connection, mailer, plain };
}

const FLOOR_MESSAGE_ID = "<pool-floor@bench.mailpath>";

/**
 * Sends bytes composed beforehand through a nodemailer transport's pool, handed to the pool's
 * own `send` as it reads a message (envelope, Message-ID, one stream of the bytes per try):
 * the least CPU any client that sends through nodemailer's pool can spend, and the way
 * transport-smtp hands it its messages.
 * @param {import("nodemailer").Transporter} transporter a nodemailer transport with `pool: true`
 * @param {{ from: string, to: string[] }} envelope
 * @returns {(raw: Buffer) => Promise<unknown>} sends `raw` once
 */
export function poolFloor(transporter, envelope) {
  const pool = transporter.transporter;
  return (raw) =>
    new Promise((resolve, reject) => {
      const message = {
        getEnvelope: () => ({ from: envelope.from, to: [...envelope.to] }),
        messageId: () => FLOOR_MESSAGE_ID,
        getHeader: (key) => (key.toLowerCase() === "message-id" ? FLOOR_MESSAGE_ID : undefined),
        createReadStream: () =>
          new Readable({
            read() {
              this.push(raw);
              this.push(null);
            },
          }),
      };
      pool.send({ data: {}, message }, (error, info) => (error ? reject(error) : resolve(info)));
    });
}
