import type { NormalizedMessage, Transport } from "@mailpath/core";
import nodemailer from "nodemailer";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "./emulator.js";
import { type EmulatorHarness, emulatorHarness } from "./harness.js";
import { DEFAULT_PASSWORD, DEFAULT_SENDER } from "./tenant.js";

// A small SMTP AUTH transport over the emulator's submission endpoint: real nodemailer over
// loopback TLS, trusting only the emulator's CA.
function submissionTransport(emulator: Emulator, pass = DEFAULT_PASSWORD): Transport {
  const client = nodemailer.createTransport({
    host: emulator.smtp.host,
    port: emulator.smtp.port,
    secure: false,
    requireTLS: true,
    tls: { ca: emulator.ca, minVersion: "TLSv1.2" },
    auth: { user: DEFAULT_SENDER, pass },
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 5_000,
  });
  return {
    specificationVersion: "v1",
    name: "test-submission",
    async send(message: NormalizedMessage) {
      const info = await client.sendMail({
        from: message.from.address,
        to: message.to.map((address) => address.address),
        subject: message.subject,
        text: message.text ?? "",
      });
      return {
        accepted: info.accepted.map(String),
        rejected: info.rejected.map(String),
        response: info.response,
      };
    },
    async close() {
      client.close();
    },
  };
}

function message(to: readonly string[], subject = "Harness check"): NormalizedMessage {
  return {
    messageId: `<${subject.replaceAll(" ", "-")}@contoso.com>`,
    from: { address: DEFAULT_SENDER },
    to: to.map((address) => ({ address })),
    cc: [],
    bcc: [],
    replyTo: [],
    subject,
    text: "Numbers inside.",
    attachments: [],
    headers: {},
    importance: "normal",
    references: [],
    recipients: [...to],
  };
}

const signal = new AbortController().signal;
let harness: EmulatorHarness | undefined;
const transports: Transport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close?.()));
  await harness?.teardown();
  harness = undefined;
});

async function started(options: Parameters<typeof emulatorHarness>[0]): Promise<EmulatorHarness> {
  harness = emulatorHarness(options);
  await harness.setup();
  return harness;
}

function track(transport: Transport): Transport {
  transports.push(transport);
  return transport;
}

describe("emulatorHarness()", () => {
  it("has no emulator before setup() and after teardown()", async () => {
    const built = emulatorHarness({ createTransport: submissionTransport });
    expect(() => built.emulator()).toThrow("the harness has not been set up");
    expect(() => built.messages()).toThrow("the harness has not been set up");
    await built.setup();
    expect(built.emulator().smtp.host).toBe("127.0.0.1");
    await built.teardown();
    expect(() => built.emulator()).toThrow("the harness has not been set up");
    await built.teardown();
  });

  it("starts the emulator with the given start options", async () => {
    const built = await started({
      startOptions: { tenant: { limits: { smtpMessagesPerWindow: 5 } } },
      createTransport: submissionTransport,
    });
    expect(built.emulator().tenant.limits.smtpMessagesPerWindow).toBe(5);
  });

  it("sends as the default mailbox to ten recipients the submission endpoint accepts", async () => {
    const built = await started({ createTransport: submissionTransport });
    expect(built.sender).toBe(DEFAULT_SENDER);
    expect(built.recipients).toHaveLength(10);
    const transport = track(await built.createTransport());
    const receipt = await transport.send(message(built.recipients), { signal });
    expect(receipt.accepted).toEqual(built.recipients);
    const [delivered] = await built.waitForMessages(1, { timeoutMs: 5_000 });
    expect(delivered?.envelope.from).toBe(DEFAULT_SENDER);
    expect(delivered?.envelope.to).toEqual(built.recipients);
    expect(built.messages()).toHaveLength(1);
  });

  it("names a recipient the emulator refuses with 550 5.1.10", async () => {
    const built = await started({ createTransport: submissionTransport });
    const transport = track(await built.createTransport());
    await expect(
      transport.send(message([built.rejectedRecipient]), { signal }),
    ).rejects.toMatchObject({
      responseCode: 550,
      response: expect.stringContaining("5.1.10"),
    });
    expect(built.messages()).toEqual([]);
  });

  it("uses the recipients it is given instead of the default ones", async () => {
    const recipients = Array.from({ length: 10 }, (_, index) => `reader${index + 1}@fabrikam.com`);
    const built = await started({ createTransport: submissionTransport, recipients });
    expect(built.recipients).toEqual(recipients);
  });

  it("reset() forgets deliveries and faults and restores the starting tenant policy", async () => {
    const built = await started({ createTransport: submissionTransport });
    const transport = track(await built.createTransport());
    await transport.send(message(["ada@contoso.com"]), { signal });
    built.emulator().configure({ smtpAuthEnabled: false });
    built.emulator().failNext({ endpoint: "smtp", kind: "reply", stage: "mail" });
    built.reset();
    expect(built.messages()).toEqual([]);
    expect(built.emulator().tenant.smtpAuthEnabled).toBe(true);
    await transport.send(message(["grace@contoso.com"], "After reset"), { signal });
    expect(built.messages().map((delivered) => delivered.subject)).toEqual(["After reset"]);
  });

  it("offers only the scenarios it is given, each run against the running emulator", async () => {
    const built = await started({
      createTransport: submissionTransport,
      scenarios: {
        authDisabled: async (emulator) => {
          emulator.configure({ smtpAuthEnabled: false });
          return { transport: submissionTransport(emulator) };
        },
      },
    });
    expect(Object.keys(built.scenarios)).toEqual(["authDisabled"]);
    const setup = await built.scenarios.authDisabled?.();
    expect(setup).toBeDefined();
    const transport = track(setup!.transport);
    await expect(transport.send(message(["ada@contoso.com"]), { signal })).rejects.toMatchObject({
      responseCode: 535,
      response: expect.stringContaining("5.7.139"),
    });
  });
});
