import { request as httpsRequest } from "node:https";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../emulator.js";
import { DEFAULT_SENDER } from "../tenant.js";
import { GRAPH_AUDIENCE } from "./index.js";
import { type ReadResponse, readResponse } from "./test-support/clients.js";
import { useEmulatorSuite } from "./test-support/emulator-suite.js";
import { expectGraphError } from "./test-support/graph-fetch.js";

const SEND = `/v1.0/users/${DEFAULT_SENDER}/sendMail`;
const MESSAGE = {
  message: {
    subject: "Limits",
    body: { contentType: "Text", content: "x" },
    toRecipients: [{ emailAddress: { address: "ada@contoso.com" } }],
  },
};

/**
 * Opens a sendMail request whose body is held back, so the request stays in flight on the
 * server (which admits it before reading the body) until `finish()` sends the body.
 */
function heldRequest(emulator: Emulator, token: string) {
  const url = new URL(`${emulator.graph.baseUrl}${SEND}`);
  const body = Buffer.from(JSON.stringify(MESSAGE));
  const held: (() => void)[] = [];
  const reply = new Promise<ReadResponse>((resolve, reject) => {
    const request = httpsRequest(
      url,
      {
        method: "POST",
        ca: emulator.ca,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": String(body.length),
        },
      },
      (response) => {
        readResponse(response).then(resolve, reject);
      },
    );
    request.on("error", reject);
    request.flushHeaders();
    held.push(() => request.end(body));
  });
  return {
    reply,
    finish: () => {
      for (const send of held) send();
    },
  };
}

/** Polls a condition a bounded number of times. */
async function until(condition: () => boolean, attempts = 400): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("condition not reached");
}

describe("Graph per app + mailbox limits", () => {
  let clock = Date.UTC(2026, 10, 23, 12, 0, 0);
  const suite = useEmulatorSuite({ start: { now: () => clock } });
  const { graph } = suite;

  it("answers 429 ApplicationThrottled (MailboxConcurrency) with Retry-After to a fifth concurrent request", async () => {
    suite.emulator.configure({ limits: { retryAfterSeconds: 3 } });
    const token = await suite.emulator.issueAccessToken({ audience: GRAPH_AUDIENCE });
    const held = Array.from({ length: 4 }, () => heldRequest(suite.emulator, token));
    await until(() => suite.emulator.stats().maxConcurrency.graph === 4);

    const fifth = await graph("POST", SEND, { json: MESSAGE, token });
    expect(fifth.status).toBe(429);
    expect(fifth.headers.get("retry-after")).toBe("3");
    expect(fifth.error).toMatchObject({
      code: "ApplicationThrottled",
      message: "Application is over its MailboxConcurrency limit.",
      innerError: { "request-id": fifth.headers.get("request-id") },
    });

    for (const request of held) request.finish();
    const replies = await Promise.all(held.map((request) => request.reply));
    expect(replies.map((reply) => reply.status)).toEqual([202, 202, 202, 202]);
    expect(suite.emulator.messages()).toHaveLength(4);
    expect(suite.emulator.stats()).toMatchObject({
      throttled: { graph: 1 },
      maxConcurrency: { graph: 4 },
    });
  });

  it("counts concurrency per mailbox: another mailbox is not throttled by the first one's requests", async () => {
    suite.emulator.configure({ limits: { graphConcurrentRequests: 1 } });
    const token = await suite.emulator.issueAccessToken({ audience: GRAPH_AUDIENCE });
    const held = heldRequest(suite.emulator, token);
    await until(() => suite.emulator.stats().maxConcurrency.graph === 1);
    const other = await graph("POST", "/v1.0/users/ada@contoso.com/sendMail", {
      json: {
        message: {
          ...MESSAGE.message,
          toRecipients: [{ emailAddress: { address: "grace@contoso.com" } }],
        },
      },
      token,
    });
    expect(other.status).toBe(202);
    held.finish();
    expect((await held.reply).status).toBe(202);
  });

  it("answers 429 ApplicationThrottled (MailboxRequestLimit) past the request budget until the window rolls", async () => {
    suite.emulator.configure({
      limits: { graphRequestsPerWindow: 3, graphWindowMs: 60_000, retryAfterSeconds: 5 },
    });
    // Start in a fresh window: earlier tests' requests counted in the current one.
    clock += 60_000;
    for (let index = 0; index < 3; index += 1) {
      expect((await graph("POST", SEND, { json: MESSAGE })).status).toBe(202);
    }
    const over = await graph("POST", SEND, { json: MESSAGE });
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("5");
    expect(over.error).toMatchObject({
      code: "ApplicationThrottled",
      message: "Application is over its MailboxRequestLimit limit.",
    });
    clock += 60_000;
    expect((await graph("POST", SEND, { json: MESSAGE })).status).toBe(202);
    expect(suite.emulator.stats().throttled.graph).toBe(1);
  });
});

describe("Graph fault injection", () => {
  const suite = useEmulatorSuite();
  const { graph } = suite;

  it("answers a reply fault with its status, Graph error body and Retry-After, once", async () => {
    suite.emulator.failNext({
      endpoint: "graph",
      kind: "reply",
      status: 503,
      retryAfterSeconds: 2,
    });
    const failed = await graph("POST", SEND, { json: MESSAGE });
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBe("2");
    expect(failed.error).toMatchObject({
      code: "ServiceUnavailable",
      innerError: { date: expect.any(String) },
    });
    expect(suite.emulator.messages()).toHaveLength(0);
    expect((await graph("POST", SEND, { json: MESSAGE })).status).toBe(202);
  });

  it("answers a reply fault with the error code and message it names", async () => {
    suite.emulator.failNext({
      endpoint: "graph",
      kind: "reply",
      status: 500,
      errorCode: "ErrorInternalServerTransientError",
      errorMessage: "An internal server error occurred. The operation failed.",
    });
    const failed = await graph("POST", SEND, { json: MESSAGE });
    expectGraphError(failed, 500, {
      code: "ErrorInternalServerTransientError",
      message: "An internal server error occurred. The operation failed.",
    });
  });

  it("answers a throttle fault with 429 ApplicationThrottled and the tenant's Retry-After", async () => {
    suite.emulator.failNext({ endpoint: "graph", kind: "throttle" });
    const throttled = await graph("POST", SEND, { json: MESSAGE });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("1");
    expect(throttled.error?.code).toBe("ApplicationThrottled");
    expect(suite.emulator.stats().throttled.graph).toBe(1);
  });

  it("drops the connection before answering on a drop fault, delivering nothing", async () => {
    suite.emulator.failNext({ endpoint: "graph", kind: "drop" });
    await expect(graph("POST", SEND, { json: MESSAGE })).rejects.toThrow();
    expect(suite.emulator.messages()).toHaveLength(0);
  });

  it("delivers and then drops the connection on an after-data drop fault (the answer is lost)", async () => {
    suite.emulator.failNext({ endpoint: "graph", kind: "drop", stage: "after-data" });
    await expect(graph("POST", SEND, { json: MESSAGE })).rejects.toThrow();
    expect(suite.emulator.messages()).toHaveLength(1);
  });

  it("strikes only requests whose path includes pathIncludes", async () => {
    suite.emulator.failNext({
      endpoint: "graph",
      kind: "reply",
      status: 503,
      pathIncludes: "/createUploadSession",
    });
    const draft = await graph("POST", `/v1.0/users/${DEFAULT_SENDER}/messages`, {
      json: { subject: "x" },
    });
    expect(draft.status).toBe(201);
    const id = (draft.json as { id: string }).id;
    const session = await graph(
      "POST",
      `/v1.0/users/${DEFAULT_SENDER}/messages/${id}/attachments/createUploadSession`,
      {
        json: { AttachmentItem: { attachmentType: "file", name: "a.bin", size: 4 * 1024 * 1024 } },
      },
    );
    expect(session.status).toBe(503);
  });

  it("delays the answer by a latency fault's ms", async () => {
    suite.emulator.failNext({ endpoint: "graph", kind: "latency", ms: 150 });
    const started = performance.now();
    expect((await graph("POST", SEND, { json: MESSAGE })).status).toBe(202);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });
});
