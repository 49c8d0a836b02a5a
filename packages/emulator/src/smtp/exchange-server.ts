// smtp-server, made to talk like Exchange Online on the wire. smtp-server's own texts and
// capability list differ from Exchange's in ways clients (and our classifier) can see: it
// advertises AUTH before STARTTLS, answers an early AUTH with a non-standard 538, and has no
// enhanced status codes in its success replies. Each connection is adjusted as it is created.
import { isAscii } from "node:buffer";
import type { Socket } from "node:net";
import { PassThrough } from "node:stream";
import {
  SMTPServer,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from "smtp-server";
import { replies, replyError, type SmtpReply } from "./replies.js";

/** One smtp-server connection (the class is not exported under its own name). */
export type SmtpConnection = SMTPServer["connections"] extends Set<infer C> ? C : never;

/** What a DATA-command hook decides: go on (`undefined`), answer with a reply, or drop. */
export type DataCommandOutcome = undefined | SmtpReply | "drop";

/** How one endpoint differs from plain smtp-server. */
export interface ExchangeServerHooks {
  /** The server name used in the greeting and in `[host]` suffixes. */
  readonly hostname: string;
  /** EHLO keywords for this connection (after the greeting line). */
  capabilities(connection: SmtpConnection): readonly string[];
  /** Refuses an AUTH command before smtp-server parses it; `undefined` lets it through. */
  refuseAuth(connection: SmtpConnection): SmtpReply | undefined;
  /** Runs when the client sends DATA with at least one accepted recipient. */
  onDataCommand?(connection: SmtpConnection): Promise<DataCommandOutcome>;
}

/** Closes the connection's socket at once, without a reply: a dropped connection. */
export function dropConnection(connection: SmtpConnection): void {
  (connection._socket as Socket).destroy();
}

/** The BODY types Exchange advertises (8BITMIME, BINARYMIME) plus the 7BIT default. */
type BodyType = "7bit" | "8bitmime" | "binarymime";

/** What the emulator keeps about one mail transaction, beside smtp-server's envelope. */
interface Transaction {
  body: BodyType;
  smtpUtf8: boolean;
  /** BDAT chunks received so far. */
  chunks: Buffer[];
  bytes: number;
  /** The first BDAT chunk ran the DATA-command hook. */
  started: boolean;
}

/** MAIL FROM parameters Exchange takes (it does not advertise DSN: RET/ENVID are refused). */
const MAIL_PARAMETERS = new Set(["SIZE", "BODY", "SMTPUTF8", "AUTH"]);
/** smtp-server handlers for commands Exchange does not have; they answer as unknown. */
const FOREIGN_COMMANDS = ["WIZ", "SHELL", "KILL", "XCLIENT", "XFORWARD", "LHLO"];

/** Splits `MAIL FROM:<a@b> SIZE=1 BODY=8BITMIME` into the address and the parameters. */
function parseAddressCommand(line: string): {
  address: string;
  parameters: { name: string; value: string | undefined; raw: string }[];
} {
  const close = line.indexOf(">");
  const address = line.slice(line.indexOf("<") + 1, close === -1 ? undefined : close);
  const rest = close === -1 ? "" : line.slice(close + 1);
  const parameters = rest
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((raw) => {
      const equals = raw.indexOf("=");
      return equals === -1
        ? { name: raw.toUpperCase(), value: undefined, raw }
        : { name: raw.slice(0, equals).toUpperCase(), value: raw.slice(equals + 1), raw };
    });
  return { address, parameters };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Whether any byte has the high bit set. Node's `isAscii` (native): iterating the Buffer in
 * JS was an eighth of the emulator's CPU per message with a 100 kB attachment (bench/peers).
 */
function hasEightBit(raw: Buffer): boolean {
  return !isAscii(raw);
}

/** smtp-server's protocol-error texts and the words Exchange answers the same mistakes with. */
const EXCHANGE_TEXTS = new Map([
  ["500 Error: command not recognized", "5.3.3 Unrecognized command"],
  ["501 Error: Bad sender address syntax", "5.1.7 Invalid address"],
  ["501 Error: Bad recipient address syntax", "5.1.3 Invalid address"],
  ["503 Error: need MAIL command", "5.5.2 Need mail command"],
  ["503 Error: need RCPT command", "5.5.2 Need rcpt command"],
  ["503 Error: nested MAIL command", "5.5.2 Sender already specified"],
  ["503 Error: send HELO/EHLO first", "5.5.2 Send hello first"],
  ["503 Error: No identity changes permitted", "5.5.2 Already authenticated"],
  ["503 Error: TLS already active", "5.5.1 Bad sequence of commands"],
]);

/** smtp-server with Exchange's greeting, capabilities and success texts. */
export class ExchangeSmtpServer extends SMTPServer {
  readonly #hooks: ExchangeServerHooks;

  /** The emulator's side of each open transaction, keyed by smtp-server's envelope. */
  readonly #transactions = new WeakMap<object, Transaction>();

  constructor(options: SMTPServerOptions, hooks: ExchangeServerHooks) {
    const onData = options.onData;
    super({
      ...options,
      // Exchange refuses 8-bit data in a message declared 7BIT (it advertises 8BITMIME and
      // BINARYMIME for that); the endpoint's own handler sees only what passed.
      ...(onData
        ? {
            onData: (stream, session, callback) => {
              this.#checkBody(stream, session).then(
                (checked) => {
                  if ("code" in checked) {
                    callback(replyError(checked));
                    return;
                  }
                  onData(checked.stream, session, callback);
                },
                () => callback(replyError(replies.temporaryServerError())),
              );
            },
          }
        : {}),
      name: hooks.hostname,
      heloResponse: "%s Hello %s",
      // Enhanced codes are written into every reply text by the emulator itself.
      hideENHANCEDSTATUSCODES: true,
      disableReverseLookup: true,
      logger: false,
    });
    this.#hooks = hooks;
    // Failed handshakes (a TLS 1.1 client), resets and timeouts are the client's failures;
    // the client sees them, and they must not crash the process hosting the emulator.
    this.on("error", () => {});
  }

  /**
   * Drops the session's connection (closes its socket without a reply), if it is still open.
   * @param sessionId the smtp-server session id (the connection's id)
   */
  dropSession(sessionId: string): void {
    for (const connection of this.connections) {
      if (connection.id === sessionId) {
        dropConnection(connection);
        return;
      }
    }
  }

  override connect(...args: Parameters<SMTPServer["connect"]>): void {
    super.connect(...args);
    // smtp-server adds the connection it just created last; nothing has been sent yet
    // (the greeting waits ~100 ms to catch early talkers).
    let created: SmtpConnection | undefined;
    for (const connection of this.connections) created = connection;
    if (created) this.#adjust(created);
  }

  #transaction(session: SMTPServerSession): Transaction {
    const envelope = session.envelope as object;
    let transaction = this.#transactions.get(envelope);
    if (!transaction) {
      transaction = { body: "7bit", smtpUtf8: false, chunks: [], bytes: 0, started: false };
      this.#transactions.set(envelope, transaction);
    }
    return transaction;
  }

  /** Reads the message and refuses 8-bit data the transaction did not declare. */
  async #checkBody(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
  ): Promise<SmtpReply | { stream: SMTPServerDataStream }> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const transaction = this.#transaction(session);
    if (transaction.body === "7bit" && !transaction.smtpUtf8 && hasEightBit(raw)) {
      return replies.eightBitDeclared7Bit();
    }
    const replay = Object.assign(new PassThrough(), {
      byteLength: raw.length,
      sizeExceeded: false,
    }) as unknown as SMTPServerDataStream;
    (replay as unknown as PassThrough).end(raw);
    return { stream: replay };
  }

  #adjust(connection: SmtpConnection): void {
    const hooks = this.#hooks;
    const reply = (value: SmtpReply) => connection.send(value.code, value.text);
    for (const command of FOREIGN_COMMANDS) {
      (connection as unknown as Record<string, unknown>)[`handler_${command}`] = undefined;
    }
    connection.handler_HELP = (_command, callback) => {
      const help = replies.help();
      connection.send(help.code, help.lines);
      callback();
    };
    connection.handler_VRFY = (_command, callback) => {
      reply(replies.vrfy());
      callback();
    };

    const handleMail = connection.handler_MAIL.bind(connection);
    connection.handler_MAIL = (command, callback) => {
      const line = command.toString("utf8");
      const { address, parameters } = parseAddressCommand(line);
      let body: BodyType = "7bit";
      let smtpUtf8 = false;
      for (const parameter of parameters) {
        const { name, value } = parameter;
        const valid =
          MAIL_PARAMETERS.has(name) &&
          (name === "SIZE"
            ? value !== undefined && /^\d{1,20}$/.test(value)
            : name === "BODY"
              ? value !== undefined && /^(7bit|8bitmime|binarymime)$/i.test(value)
              : name === "SMTPUTF8"
                ? value === undefined
                : value !== undefined);
        if (!valid) {
          reply(replies.invalidArguments());
          return callback();
        }
        if (name === "BODY") body = (value ?? "7bit").toLowerCase() as BodyType;
        if (name === "SMTPUTF8") smtpUtf8 = true;
      }
      if (NON_ASCII.test(address) && !smtpUtf8) {
        reply(replies.utf8AddressWithoutSmtpUtf8());
        return callback();
      }
      // smtp-server knows no BINARYMIME: the emulator keeps the body type itself and hands
      // smtp-server the command without it (AUTH= is Exchange's to ignore as well).
      const kept = parameters
        .filter((parameter) => parameter.name !== "BODY" && parameter.name !== "AUTH")
        .map((parameter) => parameter.raw);
      const close = line.indexOf(">");
      const rewritten =
        close === -1
          ? line
          : `${line.slice(0, close + 1)}${kept.length ? ` ${kept.join(" ")}` : ""}`;
      const before = connection.session.envelope;
      handleMail(Buffer.from(rewritten, "utf8"), () => {
        const envelope = connection.session.envelope;
        if (envelope === before && envelope.mailFrom) {
          const transaction = this.#transaction(connection.session);
          transaction.body = body;
          transaction.smtpUtf8 = smtpUtf8;
        }
        callback();
      });
    };

    const handleRcpt = connection.handler_RCPT.bind(connection);
    connection.handler_RCPT = (command, callback) => {
      const line = command.toString("utf8");
      const { address, parameters } = parseAddressCommand(line);
      // NOTIFY and ORCPT belong to DSN, which Exchange's EHLO does not offer here.
      if (parameters.length) {
        reply(replies.invalidArguments());
        return callback();
      }
      if (
        connection.session.envelope.mailFrom &&
        NON_ASCII.test(address) &&
        !this.#transaction(connection.session).smtpUtf8
      ) {
        reply(replies.utf8AddressWithoutSmtpUtf8());
        return callback();
      }
      handleRcpt(command, callback);
    };

    // smtp-server dispatches a command to the connection's `handler_<NAME>` when there is one.
    (connection as unknown as Record<string, unknown>).handler_BDAT = (
      command: Buffer,
      callback: () => void,
    ) => this.#bdat(connection, command, callback);
    const send = connection.send.bind(connection);
    connection.send = (code, data, context) => {
      const rewritten = this.#rewrite(connection, code, data, context);
      send(rewritten.code, rewritten.data, context);
    };

    const handleAuth = connection.handler_AUTH.bind(connection);
    connection.handler_AUTH = (command, callback) => {
      const refusal = hooks.refuseAuth(connection);
      if (refusal) {
        connection.send(refusal.code, refusal.text);
        return callback();
      }
      handleAuth(command, callback);
    };

    const onDataCommand = hooks.onDataCommand;
    const handleDataCommand = connection.handler_DATA.bind(connection);
    connection.handler_DATA = (command, callback) => {
      // BINARYMIME content can only travel in BDAT chunks (RFC 3030 §3).
      if (
        connection.session.envelope.mailFrom &&
        this.#transaction(connection.session).body === "binarymime"
      ) {
        reply(replies.badSequence());
        return callback();
      }
      handleDataCommand(command, callback);
    };
    if (onDataCommand) {
      const handleData = connection.handler_DATA.bind(connection);
      connection.handler_DATA = (command, callback) => {
        if (!connection.session.envelope.rcptTo.length) return handleData(command, callback);
        onDataCommand(connection).then(
          (outcome) => {
            if (outcome === undefined) return handleData(command, callback);
            if (outcome === "drop") {
              dropConnection(connection);
              return callback();
            }
            connection.send(outcome.code, outcome.text);
            connection._resetSession();
            callback();
          },
          () => {
            const reply = replies.temporaryServerError();
            connection.send(reply.code, reply.text);
            callback();
          },
        );
      };
    }
  }

  /**
   * BDAT (RFC 3030 CHUNKING): the chunk's octets follow the command line at once, so they are
   * always read, whatever the answer; the answer comes after them. Chunks gather until
   * `BDAT n LAST`, which goes through the endpoint's DATA handling as one message.
   */
  #bdat(connection: SmtpConnection, command: Buffer, callback: () => void): void {
    const match = /^BDAT\s+(\d{1,20})(\s+LAST)?\s*$/i.exec(command.toString("latin1").trim());
    if (!match) {
      connection.send(replies.invalidArguments().code, replies.invalidArguments().text);
      callback();
      return;
    }
    const size = Number(match[1]);
    const last = Boolean(match[2]);
    const session = connection.session;
    const received: Buffer[] = [];

    const answer = async (): Promise<void> => {
      const chunk = Buffer.concat(received);
      const refuse = (value: SmtpReply) => {
        connection.send(value.code, value.text);
        connection._resetSession();
      };
      if (!session.user && !this.options.authOptional) {
        return refuse(replies.notAuthenticated(this.#hooks.hostname));
      }
      if (!session.envelope.mailFrom) return refuse(replies.needMail());
      if (!session.envelope.rcptTo.length) return refuse(replies.needRcpt());
      const transaction = this.#transaction(session);
      if (!transaction.started) {
        transaction.started = true;
        const outcome = await this.#hooks.onDataCommand?.(connection);
        if (outcome === "drop") {
          dropConnection(connection);
          return;
        }
        if (outcome !== undefined) return refuse(outcome);
      }
      transaction.chunks.push(chunk);
      transaction.bytes += chunk.length;
      const limit = this.options.size ?? Number.POSITIVE_INFINITY;
      if (transaction.bytes > limit) return refuse(replies.messageTooLarge());
      if (!last) {
        const ok = replies.chunkReceived(chunk.length);
        connection.send(ok.code, ok.text);
        return;
      }
      const message = Buffer.concat(transaction.chunks);
      transaction.chunks = [];
      const stream = Object.assign(new PassThrough(), {
        byteLength: message.length,
        sizeExceeded: false,
      });
      stream.end(message);
      await new Promise<void>((resolve) => {
        this.onData(stream as unknown as SMTPServerDataStream, session, (error, accepted) => {
          const failure = error as (Error & { responseCode?: number }) | null | undefined;
          if (failure) connection.send(failure.responseCode ?? 450, failure.message);
          else
            connection.send(250, typeof accepted === "string" ? accepted : "2.0.0 OK", "DATA_OK");
          connection._resetSession();
          resolve();
        });
      });
    };
    const settle = (next: () => void) =>
      answer().then(next, () => {
        const failure = replies.temporaryServerError();
        connection.send(failure.code, failure.text);
        connection._resetSession();
        next();
      });

    if (size === 0) {
      settle(callback);
      return;
    }
    // Route the bytes after the command line to this chunk: smtp-server's parser hands its
    // data-mode input to _feedDataStream, which is replaced until `size` octets have arrived.
    const parser = connection._parser as unknown as {
      _dataMode: boolean;
      _feedDataStream: (chunk: Buffer, done: (error?: Error) => void) => void;
      _write: (chunk: Buffer, encoding: string, done: (error?: Error) => void) => void;
    };
    let remaining = size;
    parser._dataMode = true;
    parser._feedDataStream = (chunk, done) => {
      const take = Math.min(remaining, chunk.length);
      received.push(chunk.subarray(0, take));
      remaining -= take;
      if (remaining > 0) {
        done();
        return;
      }
      parser._dataMode = false;
      delete (parser as { _feedDataStream?: unknown })._feedDataStream;
      const rest = chunk.subarray(take);
      // Commands pipelined after the chunk wait for its answer.
      settle(() => (rest.length ? parser._write(rest, "buffer", done) : done()));
    };
    callback();
  }

  #rewrite(
    connection: SmtpConnection,
    code: number,
    data: string | string[] | null | undefined,
    context: string | false | undefined,
  ): { code: number; data: string | string[] | null | undefined } {
    const name = this.#hooks.hostname;
    if (Array.isArray(data) && code === 250) {
      return { code, data: [data[0] ?? name, ...this.#hooks.capabilities(connection)] };
    }
    if (typeof data !== "string" && data !== undefined && data !== null) return { code, data };
    const text = data ?? "";
    const as = (value: SmtpReply) => ({ code: value.code, data: value.text });
    if (code === 220 && text.startsWith(`${name} ESMTP`)) {
      const greeting = replies.greeting(name, new Date());
      return { code: greeting.code, data: greeting.text };
    }
    if (code === 220 && text === "Ready to start TLS") return as(replies.startTls());
    if (code === 250 && context === "MAIL_FROM_OK") return as(replies.senderOk());
    if (code === 250 && context === "RCPT_TO_OK") return as(replies.recipientOk());
    if (code === 354) return as(replies.startMailInput());
    if (code === 235) return as(replies.authenticated());
    if (code === 221) return { code, data: "2.0.0 Service closing transmission channel" };
    if (code === 250 && text === "OK") return { code, data: "2.0.0 OK" };
    if (code === 250 && text === "Flushed") return { code, data: "2.0.0 Resetting" };
    if (code === 552 && text.startsWith("Error: message exceeds")) {
      return as(replies.messageTooLarge());
    }
    if (code === 504 && text === "Error: Unrecognized authentication type") {
      return as(replies.unrecognizedAuth(name));
    }
    if (code === 500 && text === "Error: command not recognized") {
      return as(replies.unrecognizedCommand(typeof context === "string" ? context : ""));
    }
    if (code === 421 && /^Error: too many (unrecognized|unauthenticated) commands$/.test(text)) {
      return as(replies.tooManyErrors());
    }
    const exchangeText = EXCHANGE_TEXTS.get(`${code} ${text}`);
    if (exchangeText) return { code, data: exchangeText };
    // Whatever else smtp-server would say in its own words answers in Exchange's shape: the
    // same code with an enhanced status code and no library text.
    if (code >= 400 && !/^\d\.\d{1,3}\.\d{1,3} /.test(text)) return as(fallbackReply(code));
    return { code, data };
  }
}

/** Exchange-shaped words for an error smtp-server phrased itself, by reply code. */
const FALLBACK_TEXTS: Readonly<Record<number, string>> = {
  421: "4.3.2 Service not available, closing transmission channel",
  451: replies.temporaryServerError().text,
  452: "4.5.3 Too many recipients",
  500: "5.3.3 Unrecognized command",
  501: "5.5.4 Invalid arguments",
  503: replies.badSequence().text,
  504: "5.5.4 Invalid arguments",
  530: "5.7.0 Must issue a STARTTLS command first",
  552: replies.messageTooLarge().text,
};

/** The reply for an error smtp-server phrased itself: Exchange's words for its code. */
function fallbackReply(code: number): SmtpReply {
  const text =
    FALLBACK_TEXTS[code] ??
    (code >= 500 ? "5.0.0 Requested action not taken" : "4.0.0 Requested action not taken");
  return { code, text };
}
