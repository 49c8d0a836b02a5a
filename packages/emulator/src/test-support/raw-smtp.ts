// A minimal SMTP client over a real socket, for the protocol steps nodemailer will not take
// on purpose (AUTH before STARTTLS, MAIL before AUTH) and for sessions held open.
import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";

/** One SMTP session speaking line by line. */
export class RawSmtpSession {
  #socket: Socket | TLSSocket;
  #buffer = "";
  #waiting: (() => void) | undefined;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#listen(socket);
  }

  /** Connects and reads the greeting. */
  static async open(
    port: number,
    host = "127.0.0.1",
    localAddress?: string,
  ): Promise<{ session: RawSmtpSession; greeting: string }> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const created = netConnect({ port, host, ...(localAddress ? { localAddress } : {}) }, () =>
        resolve(created),
      );
      created.once("error", reject);
    });
    const session = new RawSmtpSession(socket);
    const greeting = await session.read();
    return { session, greeting };
  }

  #listen(socket: Socket | TLSSocket): void {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#waiting?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#waiting?.();
    });
    socket.on("error", () => {
      this.#closed = true;
      this.#waiting?.();
    });
  }

  /** Reads one complete (possibly multi-line) reply. */
  async read(timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.#buffer.split("\r\n");
      for (let index = 0; index < lines.length - 1; index++) {
        if (/^\d{3} /.test(lines[index] ?? "") || /^\d{3}$/.test(lines[index] ?? "")) {
          const reply = lines.slice(0, index + 1).join("\r\n");
          this.#buffer = lines.slice(index + 1).join("\r\n");
          return reply;
        }
      }
      if (this.#closed)
        throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no complete reply in ${timeoutMs} ms: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          this.#waiting = undefined;
          resolve();
        };
      });
    }
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<string> {
    this.#socket.write(`${line}\r\n`);
    return this.read();
  }

  /** Writes raw bytes (a BDAT chunk, pipelined commands) without reading a reply. */
  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /**
   * STARTTLS, the TLS handshake trusting `ca`, then EHLO again; returns the new EHLO reply
   * (or, with `ehlo: false`, the first thing the server says after the handshake).
   */
  async startTls(
    ca: string,
    options: ConnectionOptions & { readonly ehlo?: boolean } = {},
  ): Promise<string> {
    const { ehlo = true, ...tlsOptions } = options;
    const reply = await this.command("STARTTLS");
    if (!reply.startsWith("220")) throw new Error(`STARTTLS refused: ${reply}`);
    const plain = this.#socket as Socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    plain.removeAllListeners("error");
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const upgraded = tlsConnect({ socket: plain, ca, minVersion: "TLSv1.2", ...tlsOptions }, () =>
        resolve(upgraded),
      );
      upgraded.once("error", reject);
    });
    this.#socket = secure;
    this.#buffer = "";
    this.#listen(secure);
    return ehlo ? this.command("EHLO client.example") : this.read();
  }

  /** AUTH LOGIN with a user and password; returns the final reply. */
  async login(user: string, password: string): Promise<string> {
    const first = await this.command("AUTH LOGIN");
    if (!first.startsWith("334")) return first;
    const second = await this.command(Buffer.from(user).toString("base64"));
    if (!second.startsWith("334")) return second;
    return this.command(Buffer.from(password).toString("base64"));
  }

  close(): void {
    this.#socket.destroy();
  }
}
