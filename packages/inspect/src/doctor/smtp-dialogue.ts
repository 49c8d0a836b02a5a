// A small SMTP client over node:net / node:tls that exposes each step of the dialogue (TCP,
// banner, EHLO, STARTTLS, the TLS session, AUTH, MAIL, RCPT), so the doctor can time and
// report each one. It sends only what it is told and never logs what it sends.
import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";

/**
 * One SMTP reply (all lines of a multi-line reply).
 * @since 0.1.0
 */
export interface SmtpReply {
  readonly code: number;
  /** Every line without the code (`2.0.0 OK <id>`). */
  readonly lines: readonly string[];
  /** The reply as the server wrote it, lines joined by a space (`250 2.0.0 OK <id>`). */
  readonly text: string;
}

export class SmtpDialogueError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "SmtpDialogueError";
  }
}

export interface SmtpConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly timeoutMs: number;
}

/** An SMTP conversation, one command at a time. */
export class SmtpDialogue {
  private buffer = "";
  private lines: string[] = [];
  /** Replies that arrived before anyone asked (the banner). */
  private replies: SmtpReply[] = [];
  private waiting?:
    | {
        resolve: (reply: SmtpReply) => void;
        reject: (error: Error) => void;
      }
    | undefined;
  private closedError?: Error;
  private socket: Socket | TLSSocket;

  private constructor(
    socket: Socket,
    private readonly timeoutMs: number,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Opens the TCP connection (no reply read yet). */
  static connect(options: SmtpConnectOptions): Promise<SmtpDialogue> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({
        host: options.host,
        port: options.port,
        ...(options.localAddress && { localAddress: options.localAddress }),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SmtpDialogueError(`no TCP connection within ${options.timeoutMs} ms`, "ETIMEDOUT"),
        );
      }, options.timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new SmtpDialogue(socket, options.timeoutMs));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.receive(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () =>
      this.fail(new SmtpDialogueError("the server closed the connection", "ECONNRESET")),
    );
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let index = this.buffer.indexOf("\n");
    while (index >= 0) {
      const line = this.buffer.slice(0, index).replace(/\r$/, "");
      this.buffer = this.buffer.slice(index + 1);
      this.lines.push(line);
      // The last line of a reply has a space (or nothing) after the code.
      if (/^\d{3}(?: |$)/.test(line)) {
        const lines = this.lines;
        this.lines = [];
        const code = Number(line.slice(0, 3));
        const reply: SmtpReply = {
          code,
          lines: lines.map((entry) => entry.slice(4)),
          text: lines.map((entry, position) => (position === 0 ? entry : entry.slice(4))).join(" "),
        };
        const waiting = this.waiting;
        this.waiting = undefined;
        if (waiting) waiting.resolve(reply);
        else this.replies.push(reply);
      }
      index = this.buffer.indexOf("\n");
    }
  }

  /** Reads the next reply (the banner, or the answer to what was sent). */
  read(): Promise<SmtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new SmtpDialogueError(`no reply within ${this.timeoutMs} ms`, "ETIMEDOUT"));
      }, this.timeoutMs);
      this.waiting = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  /** Sends one line and reads the reply. */
  async command(line: string): Promise<SmtpReply> {
    const reply = this.read();
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /** Sends raw data (a message body ending in CRLF.CRLF) and reads the reply. */
  async data(raw: string): Promise<SmtpReply> {
    const reply = this.read();
    this.socket.write(raw);
    return reply;
  }

  /** Upgrades the connection after `220` to STARTTLS. Resolves once the handshake ended. */
  upgrade(options: ConnectionOptions): Promise<TLSSocket> {
    const plain = this.socket as Socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("error");
    plain.removeAllListeners("close");
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({ ...options, socket: plain });
      const timer = setTimeout(() => {
        secure.destroy();
        reject(new SmtpDialogueError(`no TLS handshake within ${this.timeoutMs} ms`, "ETIMEDOUT"));
      }, this.timeoutMs);
      secure.once("secureConnect", () => {
        clearTimeout(timer);
        secure.removeAllListeners("error");
        this.socket = secure;
        this.attach(secure);
        resolve(secure);
      });
      secure.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Says QUIT (without waiting long) and closes. */
  async close(): Promise<void> {
    if (!this.closedError && !this.socket.destroyed) {
      const quit = this.command("QUIT").catch(() => undefined);
      await Promise.race([quit, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    }
    this.closedError ??= new SmtpDialogueError("closed", "ECLOSED");
    this.socket.destroy();
  }
}

/** EHLO keywords: `{ STARTTLS: [], AUTH: ["LOGIN", "XOAUTH2"], SIZE: ["157286400"] }`. */
export function ehloKeywords(reply: SmtpReply): Record<string, string[]> {
  const keywords: Record<string, string[]> = {};
  for (const line of reply.lines.slice(1)) {
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (keyword) keywords[keyword.toUpperCase()] = values;
  }
  return keywords;
}
