// Graph and Entra through an HTTPS proxy (HTTP CONNECT): HTTPS_PROXY / NO_PROXY and the
// `proxy` option, TLS still verified end to end. The client is pointed at closed ports that
// only the proxy maps to the emulator, so a delivery proves the requests went through it.
import { MailError, normalizeMessage } from "@mailpath/core";
import { type ConnectProxy, startConnectProxy, useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GraphTransportOptions } from "./options.js";
import {
  closedPort,
  DEFAULT_SENDER,
  emulatorOptions,
  emulatorTransport,
} from "./test-support/emulator.js";

let proxy: ConnectProxy;
// `localhost:<closed port>` → the emulator's real port, known only to the proxy.
let graphTarget: string;
let entraTarget: string;
const saved: Record<string, string | undefined> = {};
const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "HTTP_PROXY"];

function message(subject: string) {
  return normalizeMessage({ from: DEFAULT_SENDER, to: "ada@contoso.com", subject, text: "Hi" });
}

/** Options that reach the emulator only through the proxy's routes. */
function hiddenOptions(overrides: Partial<GraphTransportOptions> = {}): GraphTransportOptions {
  return {
    ...emulatorOptions(emulator),
    baseUrl: `https://${graphTarget}`,
    authorityHost: `https://${entraTarget}`,
    ...overrides,
  } as GraphTransportOptions;
}

async function startProxy(credentials?: string): Promise<ConnectProxy> {
  const graphPort = Number(new URL(emulator.graph.baseUrl).port);
  const entraPort = Number(new URL(emulator.entra.authorityHost).port);
  graphTarget = `localhost:${await closedPort()}`;
  entraTarget = `localhost:${await closedPort()}`;
  return startConnectProxy({
    routes: new Map([
      [graphTarget, graphPort],
      [entraTarget, entraPort],
    ]),
    ...(credentials !== undefined && { credentials }),
  });
}

const emulator = useEmulator({ beforeAll, afterAll });
beforeEach(() => {
  emulator.reset({ tenant: true });
  for (const name of PROXY_VARIABLES) {
    saved[name] = process.env[name];
    delete process.env[name];
  }
});
afterEach(async () => {
  for (const name of PROXY_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await proxy?.close();
});

describe("Graph and Entra through an HTTPS proxy", () => {
  it("sends through HTTPS_PROXY: the token request and sendMail each go through a CONNECT tunnel", async () => {
    proxy = await startProxy();
    process.env.HTTPS_PROXY = proxy.url;
    const transport = emulatorTransport(emulator, hiddenOptions());
    try {
      await transport.send(message("via proxy"), { signal: new AbortController().signal });
    } finally {
      await transport.close();
    }
    expect(emulator.messages().map((delivered) => delivered.subject)).toEqual(["via proxy"]);
    const targets = proxy.connects.map((record) => record.target);
    expect(targets).toContain(entraTarget);
    expect(targets).toContain(graphTarget);
    expect(proxy.connects.every((record) => record.status === 200)).toBe(true);
    // The same closed ports without the proxy: nothing answers there.
    delete process.env.HTTPS_PROXY;
    const direct = emulatorTransport(emulator, hiddenOptions());
    const error = await direct
      .send(message("no proxy"), { signal: new AbortController().signal })
      .catch((caught: unknown) => caught);
    await direct.close();
    expect(error).toMatchObject({ code: "CONNECTION_FAILED" });
  });

  it("reuses one tunnel per connection: ten sends open far fewer CONNECTs than requests", async () => {
    proxy = await startProxy();
    const transport = emulatorTransport(emulator, hiddenOptions({ proxy: proxy.url }));
    try {
      for (let index = 0; index < 10; index++) {
        await transport.send(message(`pooled ${index}`), { signal: new AbortController().signal });
      }
    } finally {
      await transport.close();
    }
    expect(emulator.messages()).toHaveLength(10);
    const graphConnects = proxy.connects.filter((record) => record.target === graphTarget);
    expect(graphConnects.length).toBeGreaterThanOrEqual(1);
    expect(graphConnects.length).toBeLessThan(10);
  });

  it("takes Basic credentials from the proxy URL and never shows the password in an error", async () => {
    proxy = await startProxy("relay-user:pr0xy-S3cret!");
    const wrong = emulatorTransport(
      emulator,
      hiddenOptions({ proxy: `http://relay-user:wrong-Pa55word@${new URL(proxy.url).host}` }),
    );
    const error = await wrong
      .send(message("refused"), { signal: new AbortController().signal })
      .catch((caught: unknown) => caught);
    await wrong.close();
    expect(MailError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", retryable: false });
    expect(JSON.stringify(error)).not.toContain("wrong-Pa55word");
    expect(String((error as MailError).hint)).toMatch(/credentials/);
    expect(proxy.connects.map((record) => record.status)).toContain(407);

    const right = emulatorTransport(
      emulator,
      hiddenOptions({
        proxy: `http://relay-user:${encodeURIComponent("pr0xy-S3cret!")}@${new URL(proxy.url).host}`,
      }),
    );
    try {
      await right.send(message("authenticated"), { signal: new AbortController().signal });
    } finally {
      await right.close();
    }
    expect(emulator.messages().map((delivered) => delivered.subject)).toEqual(["authenticated"]);
  });

  it("goes direct to the hosts NO_PROXY names, with the proxy unused", async () => {
    proxy = await startProxy();
    process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = "example.org, 127.0.0.1";
    const transport = emulatorTransport(emulator);
    try {
      await transport.send(message("bypass"), { signal: new AbortController().signal });
    } finally {
      await transport.close();
    }
    expect(emulator.messages()).toHaveLength(1);
    expect(proxy.connects).toHaveLength(0);
  });

  it("proxy: false connects directly whatever HTTPS_PROXY says", async () => {
    proxy = await startProxy();
    process.env.HTTPS_PROXY = "http://127.0.0.1:9";
    const transport = emulatorTransport(emulator, { proxy: false });
    try {
      await transport.send(message("direct"), { signal: new AbortController().signal });
    } finally {
      await transport.close();
    }
    expect(emulator.messages()).toHaveLength(1);
  });

  it("keeps verifying the target's certificate inside the tunnel", async () => {
    proxy = await startProxy();
    const { tls: _trusted, ...untrusted } = hiddenOptions({ proxy: proxy.url });
    const transport = emulatorTransport(emulator, { ...untrusted, tls: undefined });
    const error = await transport
      .send(message("untrusted"), { signal: new AbortController().signal })
      .catch((caught: unknown) => caught);
    await transport.close();
    expect(error).toMatchObject({ code: "TLS_ERROR" });
    expect(emulator.messages()).toHaveLength(0);
    expect(proxy.connects.length).toBeGreaterThan(0);
  });

  it("refuses a SOCKS or malformed proxy URL at creation, naming the option", () => {
    expect(() => emulatorTransport(emulator, { proxy: "socks5://127.0.0.1:1080" })).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG", message: expect.stringMatching(/proxy/) }),
    );
    process.env.HTTPS_PROXY = "http://[bad";
    expect(() => emulatorTransport(emulator)).toThrow(
      expect.objectContaining({
        code: "INVALID_CONFIG",
        message: expect.stringMatching(/HTTPS_PROXY/),
      }),
    );
  });
});
