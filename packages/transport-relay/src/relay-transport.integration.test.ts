import { type MailMessage, type NormalizedMessage, normalizeMessage } from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRelayTransport, type RelayTransport, type RelayTransportOptions } from "./index.js";
import type { RelayLogger } from "./options.js";
import { emulatorRelayOptions } from "./test-support/emulator-harness.js";

const transports: RelayTransport[] = [];

const emulator = useEmulator({ beforeAll, afterAll });
beforeEach(() => {
  emulator.reset({ tenant: true });
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
});

/** A relay transport against the emulator; from the IP connector's address unless overridden. */
function transport(overrides: Partial<RelayTransportOptions> = {}): RelayTransport {
  const created = createRelayTransport(emulatorRelayOptions(emulator, overrides));
  transports.push(created);
  return created;
}

/** From 127.0.0.1, which no connector matches by IP. */
const anonymous = (overrides: Partial<RelayTransportOptions> = {}) =>
  transport({ localAddress: "127.0.0.1", ...overrides });

function message(overrides: Partial<MailMessage> = {}): NormalizedMessage {
  return normalizeMessage(
    { to: "partner@fabrikam.com", subject: "Relay", text: "Scanned document", ...overrides },
    { from: DEFAULT_SENDER },
  );
}

const send = (target: RelayTransport, normalized: NormalizedMessage) =>
  target.send(normalized, { signal: new AbortController().signal });

describe("relay connector against the emulator", () => {
  it("relays to an external recipient from 127.0.0.2, matched by the IP connector", async () => {
    const receipt = await send(transport(), message());
    expect(receipt.accepted).toEqual(["partner@fabrikam.com"]);
    expect(receipt.response).toMatch(/^250 2\.6\.0 .*Queued mail for delivery/);
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.path).toBe("relay");
    expect(delivered?.submittedBy).toBe("On-premises relay");
    expect(delivered?.savedToSentItems).toBe(false);
  });

  it("relays with a TLS client certificate matched by a certificate connector", async () => {
    const { cert, key } = await emulator.issueClientCertificate("relay.contoso.com");
    emulator.configure({
      connectors: [{ name: "Certificate relay", tlsCertificateName: "relay.contoso.com" }],
    });
    const relay = anonymous({ tls: { cert, key } });
    const receipt = await send(relay, message({ subject: "By certificate" }));
    expect(receipt.accepted).toEqual(["partner@fabrikam.com"]);
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.submittedBy).toBe("Certificate relay");
    expect(delivered?.subject).toBe("By certificate");
  });

  it("answers a certificate no connector matches with 550 5.7.64 as RELAY_DENIED", async () => {
    const { cert, key } = await emulator.issueClientCertificate("printer.fabrikam.com");
    const error = await rejectedMailError(send(anonymous({ tls: { cert, key } }), message()));
    expect(error.code).toBe("RELAY_DENIED");
    expect(error.smtp).toMatchObject({ replyCode: 550, enhancedCode: "5.7.64" });
    expect(error.retryable).toBe(false);
    expect(error.hint).toBeTruthy();
  });

  it("answers anonymous mail to an external domain with 550 5.7.1 Unable to relay as RELAY_DENIED", async () => {
    const error = await rejectedMailError(send(anonymous(), message()));
    expect(error.code).toBe("RELAY_DENIED");
    expect(error.smtp).toMatchObject({ replyCode: 550, enhancedCode: "5.7.1" });
    expect(error.smtp?.response).toMatch(/Unable to relay/);
  });

  it("answers direct send under RejectDirectSend with 550 5.7.68 as RELAY_DENIED", async () => {
    emulator.configure({ rejectDirectSend: true });
    const error = await rejectedMailError(send(anonymous(), message({ to: "ada@contoso.com" })));
    expect(error.code).toBe("RELAY_DENIED");
    expect(error.smtp).toMatchObject({ replyCode: 550, enhancedCode: "5.7.68" });
  });

  it("answers a sender domain the tenant does not own with 550 5.7.750", async () => {
    const error = await rejectedMailError(
      send(
        transport(),
        normalizeMessage(
          { to: "partner@fabrikam.com", subject: "Spoof", text: "x" },
          { from: "someone@unregistered.example" },
        ),
      ),
    );
    expect(error.smtp).toMatchObject({ replyCode: 550, enhancedCode: "5.7.750" });
    expect(error.code).toBe("PERMISSION_DENIED");
    expect(error.retryable).toBe(false);
  });

  it("classifies the relay's 451 4.7.500 IP throttle as THROTTLED, to back off", async () => {
    emulator.failNext({ endpoint: "relay", kind: "throttle", stage: "mail" });
    const error = await rejectedMailError(send(transport(), message()));
    expect(error.code).toBe("THROTTLED");
    expect(error.retryable).toBe(true);
    expect(error.smtp).toMatchObject({ replyCode: 451, enhancedCode: "4.7.500" });
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });
});

describe("direct send", () => {
  it("delivers to the tenant's own mailboxes without a connector", async () => {
    const direct = anonymous({ directSend: { acceptedDomains: ["contoso.com"] } });
    const receipt = await send(direct, message({ to: "ada@contoso.com" }));
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.submittedBy).toBe("direct-send");
  });

  it("refuses an external recipient before connecting, with RELAY_DENIED", async () => {
    const direct = anonymous({ directSend: { acceptedDomains: ["contoso.com"] } });
    const before = emulator.stats().requests.relay;
    const error = await rejectedMailError(
      send(direct, message({ to: ["ada@contoso.com", "partner@fabrikam.com"] })),
    );
    expect(error.code).toBe("RELAY_DENIED");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("partner@fabrikam.com");
    expect(error.hint).toMatch(/connector/);
    expect(error.issues).toEqual([
      { path: "recipients", message: "partner@fabrikam.com is not in an accepted domain" },
    ]);
    expect(emulator.stats().requests.relay).toBe(before);
    expect(emulator.messages()).toEqual([]);
  });
});

describe("secrets", () => {
  it("keeps the client certificate's private key out of errors and logs", async () => {
    const { cert, key } = await emulator.issueClientCertificate("printer.fabrikam.com");
    const seen: string[] = [];
    const logger: RelayLogger = {
      debug: (_fields, line) => seen.push(line),
      info: (_fields, line) => seen.push(line),
      warn: (_fields, line) => seen.push(line),
      error: (_fields, line) => seen.push(line),
    };
    const failures = [
      () => send(anonymous({ tls: { cert, key }, logger }), message()),
      // Trusts no CA but the system's: the TLS handshake fails.
      () => {
        const untrusting = createRelayTransport({
          host: emulator.relay.host,
          port: emulator.relay.port,
          tls: { cert, key },
          logger,
        });
        transports.push(untrusting);
        return send(untrusting, message());
      },
    ];
    for (const failure of failures) {
      const error = await rejectedMailError(failure());
      seen.push(JSON.stringify(error), error.message, String(error.stack), error.hint ?? "");
    }
    const text = seen.join("\n");
    expect(text).toMatch(/5\.7\.64/);
    const keyBody = key.split("\n").find((line) => line.length > 40) ?? key;
    expect(text).not.toContain(keyBody);
    expect(text).not.toContain("PRIVATE KEY");
  });
});
