// SMTP through an HTTP CONNECT proxy (nodemailer's `proxy`): the client is pointed at a closed
// port that only the proxy maps to the emulator, so a delivery proves the tunnel was used;
// STARTTLS runs inside it with the certificate still verified.
import { createMailer } from "@mailpath/core";
import { closedPort, DEFAULT_SENDER, startConnectProxy, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSmtpTransport } from "./index.js";
import { emulatorSmtpOptions } from "./test-support/emulator-harness.js";

const emulator = useEmulator({ beforeAll, afterAll });

it("submits through an HTTP CONNECT proxy with STARTTLS inside the tunnel", async () => {
  const hidden = await closedPort();
  const proxy = await startConnectProxy({
    routes: new Map([[`localhost:${hidden}`, emulator.smtp.port]]),
  });
  const mailer = createMailer({
    transport: createSmtpTransport(
      emulatorSmtpOptions(emulator, { host: "localhost", port: hidden, proxy: proxy.url }),
    ),
  });
  try {
    const result = await mailer.send({
      from: DEFAULT_SENDER,
      to: "ada@contoso.com",
      subject: "Through the proxy",
      text: "Hi",
    });
    expect(result.accepted).toEqual(["ada@contoso.com"]);
  } finally {
    await mailer.close();
    await proxy.close();
  }
  expect(proxy.connects.map((record) => record.target)).toContain(`localhost:${hidden}`);
  expect(emulator.messages().map((message) => message.subject)).toContain("Through the proxy");
});

it("refuses a SOCKS proxy URL at creation, naming the option", () => {
  expect(() =>
    createSmtpTransport(emulatorSmtpOptions(emulator, { proxy: "socks5://127.0.0.1:1080" })),
  ).toThrow(
    expect.objectContaining({ code: "INVALID_CONFIG", message: expect.stringMatching(/proxy/) }),
  );
});
