// AUTH is never sent before TLS, even to a server (or a man in the middle) that strips
// STARTTLS from its EHLO answer or refuses the upgrade. The server here is a plain loopback
// socket that records every byte the client sends.
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { MailError, normalizeMessage } from "@mailpath/core";
import { afterEach, describe, expect, it } from "vitest";
import { createSmtpTransport } from "./index.js";

const PASSWORD = "Plaintext-Never-0b5e7a";
const USER = "notifications@contoso.com";

interface CleartextServer {
  readonly port: number;
  /** Everything the client wrote, as text. */
  readonly received: () => string;
  readonly close: () => Promise<void>;
}

const servers: CleartextServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** An SMTP server that offers AUTH in the clear and answers STARTTLS with `starttlsReply`. */
async function cleartextServer(
  ehlo: readonly string[],
  starttlsReply: string,
): Promise<CleartextServer> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.write("220 attacker.example ESMTP\r\n");
    let pending = "";
    socket.on("data", (data: Buffer) => {
      chunks.push(data);
      pending += data.toString("latin1");
      let end = pending.indexOf("\r\n");
      // Bounded by the input: each turn consumes one line.
      while (end !== -1) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const verb = line.split(" ")[0]?.toUpperCase();
        if (verb === "EHLO") {
          socket.write(
            ehlo
              .map((item, index) => `250${index === ehlo.length - 1 ? " " : "-"}${item}\r\n`)
              .join(""),
          );
        } else if (verb === "STARTTLS") socket.write(`${starttlsReply}\r\n`);
        else if (verb === "QUIT") socket.end("221 2.0.0 Bye\r\n");
        else if (verb === "AUTH") socket.write("334 UGFzc3dvcmQ6\r\n");
        else socket.write("250 2.0.0 OK\r\n");
        end = pending.indexOf("\r\n");
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  const handle: CleartextServer = {
    port: address.port,
    received: () => Buffer.concat(chunks).toString("latin1"),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(handle);
  return handle;
}

async function sendThrough(port: number): Promise<unknown> {
  const transport = createSmtpTransport({
    host: "127.0.0.1",
    port,
    auth: { user: USER, pass: PASSWORD },
    connectionTimeoutMs: 5_000,
    greetingTimeoutMs: 5_000,
    socketTimeoutMs: 5_000,
  });
  const message = normalizeMessage(
    { to: "ada@contoso.com", subject: "Cleartext", text: "Never in the clear." },
    { from: USER },
  );
  try {
    await transport.send(message, { signal: new AbortController().signal });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await transport.close();
  }
}

/** Neither AUTH nor MAIL FROM was sent, nor the password, plain or base64. */
function expectNoCredentials(received: string): void {
  expect(received).not.toMatch(/^(AUTH|MAIL FROM)/im);
  expect(received).not.toContain(Buffer.from(PASSWORD).toString("base64"));
  expect(received).not.toContain(PASSWORD);
}

describe("AUTH never before TLS", () => {
  it.each([
    [
      "to a server whose EHLO offers no STARTTLS",
      ["attacker.example", "AUTH LOGIN PLAIN", "8BITMIME"],
      "502 5.5.2 Command not recognized",
      { code: "TLS_ERROR" },
      /^EHLO /m,
    ],
    [
      "when the server offers STARTTLS but refuses it (454)",
      ["attacker.example", "STARTTLS", "AUTH LOGIN PLAIN"],
      "454 4.7.0 TLS not available due to temporary reason",
      { code: "TLS_ERROR", retryable: true },
      /^STARTTLS/m,
    ],
  ])(
    "sends neither AUTH nor the password %s",
    async (_when, ehlo, starttlsReply, expected, reached) => {
      const server = await cleartextServer(ehlo, starttlsReply);
      const error = await sendThrough(server.port);
      expect(MailError.isInstance(error)).toBe(true);
      expect(error).toMatchObject(expected);
      expect(server.received()).toMatch(reached);
      expectNoCredentials(server.received());
    },
  );
});
