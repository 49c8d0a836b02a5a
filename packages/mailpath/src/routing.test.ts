import { createMemoryTransport } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import {
  createMailer,
  createMailerFromConfig,
  createMailerFromEnv,
  createTransportFromEnv,
  failover,
  parseTransportSpec,
} from "./index.js";

/** A seeded generator, so the split is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return (state - 1) / 2_147_483_646;
  };
}

const message = { to: "ada@contoso.com", subject: "Ramp", text: "x" };

describe("MAILPATH_TRANSPORT syntax", () => {
  it.each([
    ["smtp", { kind: "single", path: "smtp" }],
    ["graph,smtp", { kind: "failover", paths: ["graph", "smtp"] }],
    [" Graph , SMTP ", { kind: "failover", paths: ["graph", "smtp"] }],
    [
      "graph:10,smtp:90",
      {
        kind: "weighted",
        paths: [
          { path: "graph", weight: 10 },
          { path: "smtp", weight: 90 },
        ],
      },
    ],
    [
      "graph:0.5, relay:1",
      {
        kind: "weighted",
        paths: [
          { path: "graph", weight: 0.5 },
          { path: "relay", weight: 1 },
        ],
      },
    ],
  ])("reads %j", (spec, routing) => {
    expect(parseTransportSpec(spec)).toEqual(routing);
  });
});

describe("weighted routing from configuration", () => {
  it("sends about 10% through graph and 90% through smtp over 1,000 sends", async () => {
    const graph = createMemoryTransport({ name: "graph" });
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = await createMailerFromConfig(
      { transport: "graph:10,smtp:90", from: "notifications@contoso.com", rateLimit: false },
      { transports: { graph, smtp }, random: seeded(42) },
    );
    const used = { graph: 0, smtp: 0 } as Record<string, number>;
    for (let index = 0; index < 1_000; index++) {
      const result = await mailer.send({ ...message, subject: `#${index}` });
      used[result.transport] = (used[result.transport] ?? 0) + 1;
    }
    expect(used.graph! + used.smtp!).toBe(1_000);
    expect(used.graph! / 1_000).toBeGreaterThan(0.07);
    expect(used.graph! / 1_000).toBeLessThan(0.13);
    // What each path really delivered, not just what the results say.
    expect(graph.sent).toHaveLength(used.graph!);
    expect(smtp.sent).toHaveLength(used.smtp!);
    await mailer.close();
  });

  it("rolls back to one path with weight 0 and sends nothing through it", async () => {
    const graph = createMemoryTransport({ name: "graph" });
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = await createMailerFromEnv(
      { MAILPATH_TRANSPORT: "graph:0,smtp:100", MAILPATH_FROM: "notifications@contoso.com" },
      undefined,
      { transports: { graph, smtp }, random: seeded(1) },
    );
    for (let index = 0; index < 50; index++) await mailer.send(message);
    expect(graph.calls).toBe(0);
    expect(smtp.sent).toHaveLength(50);
    await mailer.close();
  });

  it("moves a message of a weighted split to the other path when its path fails", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("CONNECTION_FAILED");
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = await createMailerFromConfig(
      { transport: "graph:100,smtp:1", from: "notifications@contoso.com", retry: false },
      { transports: { graph, smtp }, random: () => 0 },
    );
    await expect(mailer.send(message)).resolves.toMatchObject({ transport: "smtp" });
    await mailer.close();
  });

  it("does not fail over on a recipient rejection: the next path would refuse it too", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("RECIPIENT_REJECTED");
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = await createMailerFromConfig(
      { transport: ["graph", "smtp"], from: "notifications@contoso.com", retry: false },
      { transports: { graph, smtp } },
    );
    await expect(mailer.send(message)).rejects.toMatchObject({ code: "RECIPIENT_REJECTED" });
    expect(smtp.calls).toBe(0);
    await mailer.close();
  });
});

describe("composing configured paths with a transport of your own", () => {
  it("puts the configured routing and a custom transport behind one failover", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("CONNECTION_FAILED");
    const onPrem = createMemoryTransport({ name: "on-prem" });
    const configured = await createTransportFromEnv({ MAILPATH_TRANSPORT: "graph" }, undefined, {
      transports: { graph },
    });
    expect(configured).toMatchObject({ routing: "graph", paths: ["graph"], name: "graph" });
    const mailer = createMailer({
      transport: failover([configured, onPrem]),
      from: "notifications@contoso.com",
      retry: false,
    });
    await expect(mailer.send(message)).resolves.toMatchObject({ transport: "on-prem" });
    await expect(mailer.send(message)).resolves.toMatchObject({ transport: "graph" });
    await mailer.close();
  });
});
