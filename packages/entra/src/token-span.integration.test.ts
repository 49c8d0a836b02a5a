// The token request's span, through the real OpenTelemetry SDK (in-memory exporter), against
// the emulator's Entra token endpoint over loopback TLS: a child of the attempt that needed the
// token, with where it went, the HTTP status, the request id and the failure, and no secret.
import { createMailer, MailError, type Transport } from "@mailpath/core";
import { createMemoryTransport } from "@mailpath/core/testing";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, useEmulator } from "@mailpath/emulator";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientCredentialsProvider, type EntraTokenProvider } from "./client-credentials.js";

const emulator = useEmulator({ beforeAll, afterAll });
const spans = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
}).getTracer("test");

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(async () => {
  context.disable();
});

/** A transport that needs a token for each send (as Graph and SMTP XOAUTH2 do). */
function tokenTransport(tokens: EntraTokenProvider, seen: string[]): Transport {
  const inner = createMemoryTransport({ name: "graph" });
  return {
    ...inner,
    name: "graph",
    async send(message, options) {
      seen.push(await tokens.getToken({ signal: options.signal }));
      return inner.send(message, options);
    },
  };
}

describe("token span", () => {
  it("is a child of each attempt that fetched a token: a 503 then a 200, with error.type, status and request id", async () => {
    emulator.reset({ tenant: true });
    const tokens = createClientCredentialsProvider({
      tenantId: emulator.entra.tenantId,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      authorityHost: emulator.entra.authorityHost,
      tls: { ca: emulator.ca },
      target: "graph",
    });
    const seen: string[] = [];
    const mailer = createMailer({
      transport: tokenTransport(tokens, seen),
      from: "notify@contoso.com",
      sleep: () => Promise.resolve(),
      telemetry: { tracer },
    });
    emulator.failNext({ endpoint: "token", kind: "reply", status: 503 });
    const result = await mailer.send({ to: "ada@fabrikam.com", subject: "Hi", text: "Hello" });
    // A second send uses the cached token: no request, no span.
    await mailer.send({ to: "ada@fabrikam.com", subject: "Again", text: "Hello" });
    await mailer.close();
    expect(result.attempts).toBe(2);

    const finished = spans.getFinishedSpans();
    const tokenSpans = finished.filter((span) => span.name === "mailpath.token");
    const attempts = finished.filter((span) => span.name === "mailpath.attempt");
    expect(tokenSpans).toHaveLength(2);
    const send = finished.find(
      (span) =>
        span.name === "mailpath.send" &&
        span.attributes["mailpath.message.id"] === result.messageId,
    );
    // The token span under attempt `n` of the first send.
    const under = (n: number) => {
      const attempt = attempts.find(
        (span) =>
          span.parentSpanContext?.spanId === send?.spanContext().spanId &&
          span.attributes["mailpath.attempt"] === n,
      );
      return tokenSpans.find(
        (span) => span.parentSpanContext?.spanId === attempt?.spanContext().spanId,
      );
    };
    const failed = under(1);
    const fetched = under(2);
    const host = new URL(emulator.entra.authorityHost);
    const where = {
      "server.address": host.hostname,
      "server.port": Number(host.port),
      "mailpath.token.scope": "https://graph.microsoft.com/.default",
    };
    expect(failed?.attributes).toMatchObject({
      ...where,
      "http.response.status_code": 503,
      "error.type": "SERVER_ERROR",
    });
    expect(failed?.status.code).toBe(2);
    expect(fetched?.attributes).toMatchObject({ ...where, "http.response.status_code": 200 });
    expect(fetched?.attributes["error.type"]).toBeUndefined();
    expect(fetched?.status.code).toBe(0);
    expect(fetched?.kind).toBe(2);

    // Nothing secret on any span: the client secret, the token, the tenant's credentials.
    const dump = JSON.stringify(finished.map((span) => span.attributes));
    expect(seen.length).toBeGreaterThan(0);
    for (const secret of [DEFAULT_CLIENT_SECRET, ...seen]) expect(dump).not.toContain(secret);
  });

  it("a token fetched outside a traced send (verify, warm-up) makes no span", async () => {
    spans.reset();
    emulator.reset({ tenant: true });
    const tokens = createClientCredentialsProvider({
      tenantId: emulator.entra.tenantId,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: "wrong-secret-value-7f3a91",
      authorityHost: emulator.entra.authorityHost,
      tls: { ca: emulator.ca },
      target: "graph",
    });
    await expect(tokens.getToken()).rejects.toSatisfy(MailError.isInstance);
    expect(spans.getFinishedSpans()).toHaveLength(0);
  });
});
