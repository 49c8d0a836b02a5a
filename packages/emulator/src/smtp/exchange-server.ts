// smtp-server, made to talk like Exchange Online on the wire. smtp-server's own texts and
// capability list differ from Exchange's in ways clients (and our classifier) can see: it
// advertises AUTH before STARTTLS, answers an early AUTH with a non-standard 538, and has no
// enhanced status codes in its success replies. Each connection is adjusted as it is created.
import type { Socket } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { replies, type SmtpReply } from "./replies.js";

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

  constructor(options: SMTPServerOptions, hooks: ExchangeServerHooks) {
    super({
      ...options,
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

  #adjust(connection: SmtpConnection): void {
    const hooks = this.#hooks;
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
    const exchangeText = EXCHANGE_TEXTS.get(`${code} ${text}`);
    return exchangeText ? { code, data: exchangeText } : { code, data };
  }
}
