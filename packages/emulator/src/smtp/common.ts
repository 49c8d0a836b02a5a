// Helpers both SMTP endpoints (submission and relay) share: faults, tenant look-ups, MIME
// header peeking and listening.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { parseAddressHeader } from "mailparser";
import type { EmulatorContext, FaultStage } from "../context.js";
import type { MailboxPolicy, TenantPolicy } from "../tenant.js";
import type { ExchangeSmtpServer } from "./exchange-server.js";
import { parseReply, replies, replyError, type SmtpReply } from "./replies.js";

/** `SIZE` Exchange Online advertises on both SMTP endpoints (150 MiB). */
export const ADVERTISED_SIZE = 157_286_400;

/**
 * The smtp-server options both endpoints share: the run's server certificate, TLS 1.2 or
 * later, Exchange's advertised size.
 * @param context the emulator's shared state
 */
export function exchangeServerOptions(context: EmulatorContext) {
  return {
    key: context.tls.key,
    cert: context.tls.cert,
    minVersion: "TLSv1.2",
    size: ADVERTISED_SIZE,
    closeTimeout: 1_000,
  } as const;
}

/**
 * EHLO keywords (reference §2: SIZE, STARTTLS, CHUNKING, BINARYMIME, SMTPUTF8, AUTH after
 * STARTTLS): STARTTLS on the clear channel, `afterTls` (AUTH) once TLS is up. DSN is not
 * offered, so its parameters are refused.
 * @param secure whether the connection runs TLS
 * @param afterTls keywords offered only over TLS
 */
export function ehloKeywords(secure: boolean, afterTls: readonly string[] = []): string[] {
  return [
    `SIZE ${ADVERTISED_SIZE}`,
    "PIPELINING",
    "ENHANCEDSTATUSCODES",
    ...(secure ? afterTls : ["STARTTLS"]),
    "8BITMIME",
    "BINARYMIME",
    "CHUNKING",
    "SMTPUTF8",
  ];
}

/** A running SMTP endpoint. */
export interface SmtpEndpoint {
  readonly host: string;
  readonly port: number;
  /** Drops every open session and stops listening. */
  close(): Promise<void>;
  /** Forgets rate windows and session slots (`emulator.reset()`). */
  resetLimits(): void;
  /** Delivers the messages held back for the message rate whose time has come. */
  releaseDue?(): void;
}

/** What a fault makes a stage do: continue (`undefined`), answer a reply, or drop the connection. */
export type StageOutcome = undefined | SmtpReply | "drop";

const DEFAULT_FAULT_REPLY: Record<FaultStage, SmtpReply> = {
  connect: { code: 421, text: "4.3.2 Service not available, closing transmission channel" },
  auth: { code: 454, text: "4.7.0 Temporary authentication failure" },
  mail: replies.temporaryServerError(),
  rcpt: replies.temporaryServerError(),
  "before-data": replies.temporaryServerError(),
  "after-data": replies.temporaryServerError(),
  request: replies.temporaryServerError(),
};

/**
 * Consumes the fault registered for this endpoint and stage, if any, and says what to do.
 * Latency is served here (the promise resolves after it); throttles count in `stats.throttled`.
 */
export async function applyFault(
  context: EmulatorContext,
  endpoint: "smtp" | "relay",
  stage: FaultStage,
  throttleReply: () => SmtpReply,
): Promise<StageOutcome> {
  const fault = context.faults.take(endpoint, stage);
  if (!fault) return undefined;
  switch (fault.kind) {
    case "drop":
      return "drop";
    case "latency":
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      return undefined;
    case "throttle":
      context.stats.throttled[endpoint] += 1;
      return throttleReply();
    case "reply":
      return fault.reply === undefined ? DEFAULT_FAULT_REPLY[stage] : parseReply(fault.reply);
  }
}

/** What the client is told when a drop fault closes its connection mid-stage. */
const DROPPED_REPLY: SmtpReply = { code: 421, text: "4.4.2 Connection dropped" };

/**
 * Drops the session's connection and fails the stage's callback, so smtp-server forgets it.
 * @param server the endpoint's server
 * @param sessionId the session to drop
 * @param callback the stage's smtp-server callback
 */
export function dropSession(
  server: ExchangeSmtpServer,
  sessionId: string,
  callback: (error: Error) => void,
): void {
  server.dropSession(sessionId);
  callback(replyError(DROPPED_REPLY));
}

/**
 * Answers a stage's callback from a fault outcome.
 * @param server the endpoint's server (to drop the connection on a `"drop"` outcome)
 * @param sessionId the session the stage belongs to
 * @param outcome what {@link applyFault} decided
 * @param callback the stage's smtp-server callback
 * @returns true when the fault answered the stage, false when the stage goes on
 */
export function settleFault(
  server: ExchangeSmtpServer,
  sessionId: string,
  outcome: StageOutcome,
  callback: (error: Error) => void,
): boolean {
  if (outcome === undefined) return false;
  if (outcome === "drop") dropSession(server, sessionId, callback);
  else callback(replyError(outcome));
  return true;
}

/**
 * Runs an async stage handler; an error thrown inside answers 451 4.3.0 (never leaking
 * internals) instead of leaving the client waiting.
 * @param callback the stage's smtp-server callback
 * @param handler the stage's work
 */
export function runStage(callback: (error: Error) => void, handler: () => Promise<void>): void {
  // The reply never carries the error: internals stay out of the wire.
  handler().catch(() => callback(replyError(replies.temporaryServerError())));
}

/**
 * Runs a stage: first its fault, which may answer the stage or drop the connection, then
 * `handler`; an error thrown answers 451 4.3.0 as in {@link runStage}.
 * @param server the endpoint's server
 * @param sessionId the session the stage belongs to
 * @param callback the stage's smtp-server callback
 * @param fault what {@link applyFault} decides for the stage
 * @param handler the stage's own work when no fault answered it
 */
export function faultedStage(
  server: ExchangeSmtpServer,
  sessionId: string,
  callback: (error: Error) => void,
  fault: Promise<StageOutcome>,
  handler: () => void | Promise<void>,
): void {
  runStage(callback, async () => {
    if (settleFault(server, sessionId, await fault, callback)) return;
    await handler();
  });
}

/** Lower-cased domain of an address. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/** Whether the address is in one of the tenant's accepted domains. */
export function isAcceptedDomain(tenant: TenantPolicy, address: string): boolean {
  const domain = domainOf(address);
  return tenant.domains.some((accepted) => accepted.toLowerCase() === domain);
}

/** The mailbox with this address (case-insensitive). */
export function findMailbox(tenant: TenantPolicy, address: string): MailboxPolicy | undefined {
  const wanted = address.trim().toLowerCase();
  return tenant.mailboxes.find((mailbox) => mailbox.address.toLowerCase() === wanted);
}

/**
 * The header block of raw MIME (up to the first empty line), decoded. Only the header bytes
 * are decoded: a 35 MB message is not turned into a string to read a few header lines.
 */
function headerBlock(raw: Buffer): string {
  const LF = 0x0a;
  const CR = 0x0d;
  for (let index = raw.indexOf(LF); index !== -1; index = raw.indexOf(LF, index + 1)) {
    const next = raw[index + 1] === CR ? index + 2 : index + 1;
    if (raw[next] === LF) {
      const end = index > 0 && raw[index - 1] === CR ? index - 1 : index;
      return raw.subarray(0, end).toString("utf8");
    }
  }
  return raw.toString("utf8");
}

/** Addresses of the message's `From` header (Exchange checks Send As against it at end of DATA). */
export function fromHeaderAddresses(raw: Buffer): string[] {
  const unfolded = headerBlock(raw).replace(/\r?\n[ \t]+/g, " ");
  const line = unfolded.split(/\r?\n/).find((entry) => /^from\s*:/i.test(entry));
  if (!line) return [];
  const value = line.slice(line.indexOf(":") + 1);
  return parseAddressHeader(value, { flatten: true, decodePunycode: false })
    .value.map((entry) => entry.address)
    .filter((address): address is string => Boolean(address));
}

/** Returns the message's Message-ID, adding one to the header like Exchange does when absent. */
export function ensureMessageId(raw: Buffer, host: string): { raw: Buffer; messageId: string } {
  const unfolded = headerBlock(raw).replace(/\r?\n[ \t]+/g, " ");
  const line = unfolded.split(/\r?\n/).find((entry) => /^message-id\s*:/i.test(entry));
  const existing = line ? /<[^>]+>/.exec(line)?.[0] : undefined;
  if (existing) return { raw, messageId: existing };
  const messageId = `<${randomUUID()}@${host.toLowerCase()}>`;
  return { raw: Buffer.concat([Buffer.from(`Message-ID: ${messageId}\r\n`), raw]), messageId };
}

/** Reads a DATA stream to the end. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Starts listening and resolves the bound port. */
export async function listen(
  server: ExchangeSmtpServer,
  host: string,
  port: number,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(port, host, () => {
      server.server.off("error", reject);
      resolve();
    });
  });
  return (server.server.address() as AddressInfo).port;
}

/** Drops every session and closes the listener. */
export async function closeServer(server: ExchangeSmtpServer): Promise<void> {
  for (const connection of server.connections) {
    connection._socket.destroy();
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export { replies };
