// Issue 9 through configuration: delays a timer cannot wait are refused at start (defect 7), and
// a routed configuration reports each path's breaker changes and failures (defect 9).
import { createMemoryTransport } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import { createMailerFromConfig, createMailerFromEnv } from "./index.js";
import { ENTRA, failure, graphFailure, issuePaths } from "./test-support/config.js";

describe("delays above 2^31 - 1 ms (defect 7)", () => {
  it("refuses MAILPATH_TIMEOUT_MS=3000000000 at start, naming the variable", async () => {
    const error = await graphFailure({ MAILPATH_TIMEOUT_MS: "3000000000" });
    expect(error).toMatchObject({ code: "INVALID_CONFIG" });
    expect(error.issues).toEqual([
      { path: "MAILPATH_TIMEOUT_MS", message: expect.stringMatching(/at most 2147483647/) },
    ]);
    expect(error.message).toContain("MAILPATH_TIMEOUT_MS");
  });

  it("accepts MAILPATH_TIMEOUT_MS=2147483647", async () => {
    const mailer = await createMailerFromEnv({
      MAILPATH_TRANSPORT: "graph",
      ...ENTRA,
      MAILPATH_TIMEOUT_MS: "2147483647",
    });
    await mailer.close();
  });

  it.each([
    ["retry.baseDelayMs", { retry: { baseDelayMs: 2 ** 31 } }],
    ["retry.maxDelayMs", { retry: { maxDelayMs: 2 ** 31 } }],
    ["retry.maxRetryAfterMs", { retry: { maxRetryAfterMs: 2 ** 40 } }],
    ["rateLimit.intervalMs", { rateLimit: { intervalMs: 2 ** 31 } }],
    ["circuitBreaker.resetTimeoutMs", { circuitBreaker: { resetTimeoutMs: 2 ** 31 } }],
    ["circuitBreaker.rollingWindowMs", { circuitBreaker: { rollingWindowMs: 2 ** 31 } }],
    ["graph.requestTimeoutMs", { graph: { requestTimeoutMs: 2 ** 31 } }],
  ])("refuses %s over the limit by its key", async (path, section) => {
    const error = await failure(
      createMailerFromConfig(
        { transport: "smtp", from: "notifications@contoso.com", ...section },
        { transports: { smtp: createMemoryTransport({ name: "smtp" }) } },
      ),
    );
    expect(error).toMatchObject({ code: "INVALID_CONFIG" });
    expect(issuePaths(error)).toEqual([path]);
  });
});

describe("routed paths report through the mailer's events (defect 9)", () => {
  it("MAILPATH_TRANSPORT=graph,smtp: a Graph outage emits retry and breaker:open for graph", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failRate(1, "CONNECTION_FAILED");
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = await createMailerFromEnv(
      {
        MAILPATH_TRANSPORT: "graph,smtp",
        MAILPATH_FROM: "notifications@contoso.com",
        MAILPATH_MAX_ATTEMPTS: "1",
      },
      { circuitBreaker: { volumeThreshold: 3 } },
      { transports: { graph, smtp } },
    );
    const events: string[] = [];
    mailer.on("retry", (event) => events.push(`retry:${event.transport}->${event.nextTransport}`));
    mailer.on("breaker:open", (event) => events.push(`breaker:open:${event.transport}`));
    mailer.on("sent", (event) => events.push(`sent:${event.transport}`));
    for (let index = 0; index < 4; index++)
      await mailer.send({ to: "ada@contoso.com", subject: "s", text: "t" });
    expect(events).toEqual([
      "retry:graph->smtp",
      "sent:smtp",
      "retry:graph->smtp",
      "sent:smtp",
      // The third failure opens graph's breaker, then the message moves on.
      "breaker:open:graph",
      "retry:graph->smtp",
      "sent:smtp",
      // The open breaker skips graph at once.
      "sent:smtp",
    ]);
    expect(graph.calls).toBe(3);
    await mailer.close();
  });

  it("a routed config with rateLimit and circuitBreaker builds (they go to each path)", async () => {
    const mailer = await createMailerFromConfig(
      {
        transport: "graph,smtp",
        from: "notifications@contoso.com",
        rateLimit: { concurrency: 2 },
        circuitBreaker: { resetTimeoutMs: 10_000 },
      },
      {
        transports: {
          graph: createMemoryTransport({ name: "graph" }),
          smtp: createMemoryTransport({ name: "smtp" }),
        },
      },
    );
    await expect(
      mailer.send({ to: "ada@contoso.com", subject: "s", text: "t" }),
    ).resolves.toMatchObject({ transport: "graph", ambiguousAttempts: 0 });
    await mailer.close();
  });
});
