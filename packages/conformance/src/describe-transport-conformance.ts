import {
  createMailer,
  isMailErrorCode,
  MailError,
  type MailErrorCode,
  type MailMessage,
  type NormalizedMessage,
  normalizeMessage,
  PATH_FAILURE_CODES,
  type Transport,
  type TransportReceipt,
} from "@mailpath/core";
import type { DeliveredMessage } from "@mailpath/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CaseGroup, type CaseId, CONFORMANCE_CASE_IDS, CONFORMANCE_CASES } from "./cases.js";
import { binaryFixture, PIXEL_PNG, sha256Hex } from "./fixtures.js";
import {
  type ConformanceHarness,
  SCENARIO_IDS,
  type ScenarioId,
  type ScenarioSetup,
} from "./harness.js";
import { normalizeHtml, normalizeText } from "./parity.js";

/**
 * Options of `describeTransportConformance`.
 * @since 0.1.0
 */
export interface ConformanceOptions {
  /**
   * Cases not to run, each with the reason (shown in the skipped test's title). A case whose
   * scenario the harness lacks must be listed here, or it fails saying what is missing.
   * @example { "errors.auth-disabled": "relay has no authentication" }
   * @default {} (every case runs)
   */
  readonly skip?: Partial<Record<CaseId, string>>;
  /** Time limit of each case. @default 20_000 */
  readonly timeoutMs?: number;
}

/** What a case body gets: helpers bound to the harness that clean up after the case. */
interface CaseContext {
  readonly harness: ConformanceHarness;
  /** A fresh transport from the harness, closed after the case. */
  transport(): Promise<Transport>;
  /** Sets up a scenario; its transport is closed and its cleanup run after the case. */
  scenario(id: ScenarioId): Promise<ScenarioSetup>;
  /** The base message (sender → first recipient) with `overrides`, normalized. */
  message(overrides?: Partial<MailMessage>): NormalizedMessage;
  send(
    transport: Transport,
    message: NormalizedMessage,
    signal?: AbortSignal,
  ): Promise<TransportReceipt>;
  /** Waits for `count` deliveries and returns the one with `messageId` (else the only one). */
  delivered(messageId: string, count?: number): Promise<DeliveredMessage>;
  /** Waits for `count` deliveries since the case started. */
  waitFor(count: number): Promise<readonly DeliveredMessage[]>;
  /** Registers a cleanup to run after the case. */
  defer(cleanup: () => Promise<void> | void): void;
}

type CaseBody = (context: CaseContext) => Promise<void>;

const lower = (address: string) => address.toLowerCase();
const sameId = (left: string | undefined, right: string | undefined) =>
  left !== undefined &&
  right !== undefined &&
  left.trim().replace(/^<|>$/g, "").toLowerCase() ===
    right.trim().replace(/^<|>$/g, "").toLowerCase();

/** Awaits a rejection and asserts it is a `MailError` (with `code`, when given). */
async function expectMailError(
  promise: Promise<unknown>,
  code?: MailErrorCode,
): Promise<MailError> {
  let outcome: { resolved: true; value: unknown } | { resolved: false; error: unknown };
  try {
    outcome = { resolved: true, value: await promise };
  } catch (error) {
    outcome = { resolved: false, error };
  }
  if (outcome.resolved) {
    expect.fail(
      `expected a MailError${code ? ` with code ${code}` : ""}, but it resolved with ${JSON.stringify(outcome.value)}`,
    );
  }
  const { error } = outcome;
  if (!MailError.isInstance(error)) {
    expect.fail(`expected a MailError, got ${describeValue(error)}`);
  }
  if (code !== undefined) {
    expect(error.code, `${error.code}: ${error.message}`).toBe(code);
  }
  return error;
}

/** Sends scenario `id`'s message, expects it refused with `code`, and nothing delivered. */
async function expectRefused(
  context: CaseContext,
  id: ScenarioId,
  code: MailErrorCode,
): Promise<MailError> {
  const { transport, message } = await context.scenario(id);
  const error = await expectMailError(context.send(transport, context.message(message)), code);
  expect(await context.harness.messages()).toEqual([]);
  return error;
}

function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return JSON.stringify(value) ?? String(value);
}

function headerValues(message: DeliveredMessage, name: string): string[] {
  const values: string[] = [];
  for (const [field, value] of Object.entries(message.headers)) {
    if (field.toLowerCase() !== name) continue;
    if (typeof value === "string") values.push(value);
    else values.push(...value);
  }
  return values;
}

function headerSection(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  return end === -1 ? raw : raw.slice(0, end);
}

function cases(): Record<CaseId, CaseBody> {
  return {
    "delivery.text": async (context) => {
      const transport = await context.transport();
      const message = context.message({
        subject: "Conformance: plain text",
        text: "Hello,\nthis is plain text.\n",
      });
      const receipt = await context.send(transport, message);
      const recipient = context.harness.recipients[0] as string;
      expect(receipt.accepted.map(lower)).toContain(lower(recipient));
      expect(receipt.rejected).toEqual([]);
      const delivered = await context.delivered(message.messageId);
      expect(delivered.subject).toBe("Conformance: plain text");
      expect(normalizeText(delivered.text)).toBe("Hello,\nthis is plain text.");
      expect(lower(delivered.from?.address ?? "")).toBe(lower(context.harness.sender));
      expect(lower(delivered.envelope.from)).toBe(lower(context.harness.sender));
      expect(delivered.to.map((entry) => lower(entry.address))).toEqual([lower(recipient)]);
      expect(delivered.envelope.to.map(lower)).toContain(lower(recipient));
    },

    "delivery.html": async (context) => {
      const transport = await context.transport();
      const html = "<h1>Conformance</h1>\n<p>An <strong>HTML</strong> body.</p>";
      const message = context.message({
        subject: "Conformance: html",
        html,
        text: "Conformance\nAn HTML body.",
      });
      await context.send(transport, message);
      const delivered = await context.delivered(message.messageId);
      expect(normalizeHtml(delivered.html)).toContain(normalizeHtml(html));
      expect(normalizeText(delivered.text)).toBe("Conformance\nAn HTML body.");
    },

    "delivery.non-ascii": async (context) => {
      const transport = await context.transport();
      const recipient = context.harness.recipients[0] as string;
      const subject = "Grüße aus Zürich — 東京 ✓ 😀";
      const text = "Привет, мир! Ça marche: ½ € 👍\nΚαλημέρα";
      const message = context.message({
        from: { name: "Zoë Ærøskøbing", address: context.harness.sender },
        to: { name: "José Müller-Łukasz", address: recipient },
        subject,
        text,
      });
      await context.send(transport, message);
      const delivered = await context.delivered(message.messageId);
      expect(delivered.subject).toBe(subject);
      expect(delivered.from?.name).toBe("Zoë Ærøskøbing");
      expect(delivered.to[0]?.name).toBe("José Müller-Łukasz");
      expect(normalizeText(delivered.text)).toBe(text);
    },

    "delivery.to-cc-bcc": async (context) => {
      const transport = await context.transport();
      const [to, cc, bcc] = context.harness.recipients as [string, string, string];
      const message = context.message({ subject: "Conformance: to, cc, bcc", to, cc, bcc });
      await context.send(transport, message);
      const delivered = await context.delivered(message.messageId);
      expect(delivered.to.map((entry) => lower(entry.address))).toEqual([lower(to)]);
      expect(delivered.cc.map((entry) => lower(entry.address))).toEqual([lower(cc)]);
      expect(delivered.envelope.to.map(lower)).toEqual(
        expect.arrayContaining([to, cc, bcc].map(lower)),
      );
      expect(delivered.bcc.map((entry) => lower(entry.address))).toContain(lower(bcc));
      expect(Object.keys(delivered.headers).map(lower), "a Bcc header was delivered").not.toContain(
        "bcc",
      );
      for (const [field, value] of Object.entries(delivered.headers)) {
        const text = typeof value === "string" ? value : value.join("\n");
        expect(lower(text), `the bcc address appears in the ${field} header`).not.toContain(
          lower(bcc),
        );
      }
      if (delivered.raw !== undefined) {
        expect(
          lower(headerSection(delivered.raw)),
          "the bcc address appears in the raw headers",
        ).not.toContain(lower(bcc));
      }
    },

    "delivery.reply-to": async (context) => {
      const transport = await context.transport();
      const replyTo = context.harness.recipients[3] as string;
      const message = context.message({
        subject: "Conformance: reply-to",
        replyTo: { name: "Support Desk", address: replyTo },
      });
      await context.send(transport, message);
      const delivered = await context.delivered(message.messageId);
      expect(delivered.replyTo.map((entry) => lower(entry.address))).toEqual([lower(replyTo)]);
      expect(delivered.replyTo[0]?.name).toBe("Support Desk");
    },

    "delivery.x-headers": async (context) => {
      const transport = await context.transport();
      const message = context.message({
        subject: "Conformance: X- headers",
        headers: { "X-Mailpath-Conformance": "x-headers case", "X-Correlation-ID": "c0ffee-42" },
      });
      await context.send(transport, message);
      const delivered = await context.delivered(message.messageId);
      expect(headerValues(delivered, "x-mailpath-conformance")).toEqual(["x-headers case"]);
      expect(headerValues(delivered, "x-correlation-id")).toEqual(["c0ffee-42"]);
    },

    "delivery.importance": async (context) => {
      const transport = await context.transport();
      const message = context.message({ subject: "Conformance: importance", importance: "high" });
      await context.send(transport, message);
      const delivered = await context.delivered(message.messageId);
      expect(delivered.importance).toBe("high");
    },

    "delivery.binary-attachment": async (context) => {
      const transport = await context.transport();
      const bytes = binaryFixture();
      const message = context.message({
        subject: "Conformance: binary attachment",
        attachments: [
          { filename: "random.bin", content: bytes, contentType: "application/octet-stream" },
        ],
      });
      await context.send(transport, message);
      const delivered = await context.delivered(message.messageId);
      const attachment = delivered.attachments.find((entry) => entry.filename === "random.bin");
      expect(attachment, "no attachment named random.bin was delivered").toBeDefined();
      expect(attachment).toMatchObject({
        size: bytes.byteLength,
        sha256: sha256Hex(bytes),
        inline: false,
      });
      expect(attachment?.contentType.split(";")[0]?.trim().toLowerCase()).toBe(
        "application/octet-stream",
      );
    },

    "delivery.inline-image": async (context) => {
      const transport = await context.transport();
      const contentId = "logo.conformance@mailpath";
      const message = context.message({
        subject: "Conformance: inline image",
        html: `<p>Our logo: <img src="cid:${contentId}" alt="logo"></p>`,
        attachments: [
          { filename: "logo.png", content: PIXEL_PNG, contentType: "image/png", contentId },
        ],
      });
      await context.send(transport, message);
      const delivered = await context.delivered(message.messageId);
      expect(delivered.html).toContain(`cid:${contentId}`);
      const image = delivered.attachments.find((entry) => entry.contentId === contentId);
      expect(image, `no attachment with Content-ID <${contentId}> was delivered`).toBeDefined();
      expect(image).toMatchObject({
        inline: true,
        size: PIXEL_PNG.byteLength,
        sha256: sha256Hex(PIXEL_PNG),
      });
      expect(image?.contentType.split(";")[0]?.trim().toLowerCase()).toBe("image/png");
    },

    "delivery.ten-recipients": async (context) => {
      const transport = await context.transport();
      const recipients = context.harness.recipients.slice(0, 10);
      expect(recipients, "the harness must list at least 10 recipients").toHaveLength(10);
      const message = context.message({ subject: "Conformance: 10 recipients", to: recipients });
      const receipt = await context.send(transport, message);
      expect(receipt.accepted.map(lower).sort()).toEqual(recipients.map(lower).sort());
      const delivered = await context.delivered(message.messageId);
      expect(delivered.to.map((entry) => lower(entry.address)).sort()).toEqual(
        recipients.map(lower).sort(),
      );
      expect(delivered.envelope.to.map(lower)).toEqual(
        expect.arrayContaining(recipients.map(lower)),
      );
      const copies = (await context.harness.messages()).filter((entry) =>
        sameId(entry.messageId, message.messageId),
      );
      expect(copies, "the message was delivered more than once").toHaveLength(1);
    },

    "delivery.message-id": async (context) => {
      const mailer = createMailer({
        transport: await context.transport(),
        from: context.harness.sender,
        retry: false,
        rateLimit: false,
        circuitBreaker: false,
      });
      context.defer(() => mailer.close());
      const result = await mailer.send({
        to: context.harness.recipients[0] as string,
        subject: "Conformance: Message-ID",
        text: "The Message-ID is generated by the mailer.",
      });
      expect(result.messageId).toMatch(/^<[^<>@\s]+@[^<>@\s]+>$/);
      const [delivered] = await context.waitFor(1);
      expect(delivered?.messageId).toBe(result.messageId);
    },

    "errors.wrong-credentials": async (context) => {
      const error = await expectRefused(context, "wrongCredentials", "AUTH_FAILED");
      expect(error.retryable).toBe(false);
    },

    "errors.auth-disabled": async (context) => {
      await expectRefused(context, "authDisabled", "AUTH_DISABLED");
    },

    "errors.send-as-denied": async (context) => {
      const error = await expectRefused(context, "sendAsDenied", "SEND_AS_DENIED");
      expect(error.retryable).toBe(false);
    },

    "errors.recipient-rejected": async (context) => {
      const transport = await context.transport();
      const message = context.message({ to: context.harness.rejectedRecipient });
      const error = await expectMailError(context.send(transport, message), "RECIPIENT_REJECTED");
      expect(error.retryable).toBe(false);
      expect(await context.harness.messages()).toEqual([]);
    },

    "errors.partial-rejection": async (context) => {
      const transport = await context.transport();
      const accepted = context.harness.recipients[0] as string;
      const refused = context.harness.rejectedRecipient;
      const message = context.message({
        subject: "Conformance: partial rejection",
        to: [accepted, refused],
      });
      const receipt = await context.send(transport, message);
      expect(receipt.accepted.map(lower)).toEqual([lower(accepted)]);
      expect(receipt.rejected.map(lower)).toEqual([lower(refused)]);
      const delivered = await context.delivered(message.messageId);
      expect(delivered.envelope.to.map(lower)).toContain(lower(accepted));
      expect(delivered.envelope.to.map(lower)).not.toContain(lower(refused));
    },

    "errors.too-large": async (context) => {
      const error = await expectRefused(context, "tooLarge", "MESSAGE_TOO_LARGE");
      expect(error.retryable).toBe(false);
    },

    "errors.throttled": async (context) => {
      const { transport, message } = await context.scenario("throttled");
      const error = await expectMailError(
        context.send(transport, context.message(message)),
        "THROTTLED",
      );
      expect(error.retryable).toBe(true);
      expect(error.retryAfterMs, "a throttle must say when to retry (retryAfterMs)").toBeTypeOf(
        "number",
      );
      expect(error.retryAfterMs).toBeGreaterThan(0);
    },

    "errors.connection-refused": async (context) => {
      const { transport, message } = await context.scenario("connectionRefused");
      await expectMailError(context.send(transport, context.message(message)), "CONNECTION_FAILED");
    },

    "errors.only-mail-errors": async (context) => {
      const failures: string[] = [];
      const probe = async (label: string, run: () => Promise<unknown>) => {
        try {
          await run();
        } catch (error) {
          if (!MailError.isInstance(error) || !isMailErrorCode(error.code)) {
            failures.push(`${label}: ${describeValue(error)}`);
          }
        }
      };
      const base = await context.transport();
      await probe("rejected recipient", () =>
        context.send(base, context.message({ to: context.harness.rejectedRecipient })),
      );
      const aborted = new AbortController();
      aborted.abort();
      await probe("aborted signal", () => context.send(base, context.message(), aborted.signal));
      for (const id of SCENARIO_IDS) {
        const factory = context.harness.scenarios[id];
        if (!factory) continue;
        // One scenario at a time: each is cleaned up before the next is set up.
        const setup = await factory();
        try {
          await probe(`${id} send`, () =>
            context.send(setup.transport, context.message(setup.message)),
          );
          if (setup.transport.verify) {
            await probe(`${id} verify`, () =>
              (setup.transport.verify as () => Promise<void>).call(setup.transport),
            );
          }
        } finally {
          await setup.transport.close?.();
          await setup.cleanup?.();
        }
        await context.harness.reset();
      }
      await base.close?.();
      await probe("send after close", () => context.send(base, context.message()));
      expect(failures, "rejections that are not MailErrors").toEqual([]);
    },

    "lifecycle.verify": async (context) => {
      const transport = await context.transport();
      expect(transport.verify, "the transport has no verify(); implement it or opt out").toBeTypeOf(
        "function",
      );
      await expect(transport.verify?.()).resolves.toBeUndefined();
    },

    "lifecycle.verify-fails": async (context) => {
      const { transport } = await context.scenario("verifyFails");
      expect(transport.verify, "the transport has no verify(); implement it or opt out").toBeTypeOf(
        "function",
      );
      await expectMailError((transport.verify as () => Promise<void>).call(transport));
    },

    "lifecycle.close-twice": async (context) => {
      const transport = await context.transport();
      await transport.close?.();
      await transport.close?.();
      // Whether a closed transport can still send is the transport's choice; if it refuses,
      // it refuses with a MailError.
      try {
        await context.send(transport, context.message({ subject: "Conformance: after close" }));
      } catch (error) {
        expect(MailError.isInstance(error), describeValue(error)).toBe(true);
      }
    },

    "lifecycle.abort-before": async (context) => {
      const transport = await context.transport();
      const controller = new AbortController();
      controller.abort();
      await expectMailError(
        context.send(transport, context.message(), controller.signal),
        "ABORTED",
      );
      expect(await context.harness.messages()).toEqual([]);
    },

    "lifecycle.abort-during": async (context) => {
      const transport = await context.transport();
      const controller = new AbortController();
      // Aborted in the same tick send() was called: the send is in flight (connecting,
      // reading attachments) and must stop with ABORTED.
      const sending = context.send(
        transport,
        context.message({ subject: "Conformance: abort" }),
        controller.signal,
      );
      controller.abort();
      await expectMailError(sending, "ABORTED");
    },

    "lifecycle.concurrent-sends": async (context) => {
      const mailer = createMailer({
        transport: await context.transport(),
        from: context.harness.sender,
        retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 50 },
        circuitBreaker: false,
      });
      context.defer(() => mailer.close());
      const recipients = context.harness.recipients;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          mailer.send({
            to: recipients[index % recipients.length] as string,
            subject: `Conformance: concurrent ${index + 1} of 20`,
            text: `Message ${index + 1}`,
          }),
        ),
      );
      const ids = results.map((result) => result.messageId);
      expect(new Set(ids).size).toBe(20);
      await context.waitFor(20);
      const delivered = await context.harness.messages();
      for (const id of ids) {
        expect(
          delivered.filter((entry) => sameId(entry.messageId, id)),
          `deliveries of ${id}`,
        ).toHaveLength(1);
      }
      expect(delivered).toHaveLength(20);
    },

    "resilience.transient-fault": async (context) => {
      const { transport, message } = await context.scenario("transientFault");
      const waits: number[] = [];
      const mailer = createMailer({
        transport,
        from: context.harness.sender,
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
        rateLimit: false,
        circuitBreaker: false,
        // The case is about delivering once after a transient fault, not about the delay the
        // server asked for (a 503's Retry-After): the back-off is recorded, not waited.
        sleep: async (ms) => {
          waits.push(ms);
        },
      });
      context.defer(() => mailer.close());
      const result = await mailer.send({
        to: context.harness.recipients[0] as string,
        subject: "Conformance: transient fault",
        text: "Delivered on the second attempt.",
        ...message,
      });
      expect(result.attempts).toBe(2);
      expect(waits).toHaveLength(1);
      await context.waitFor(1);
      const delivered = await context.harness.messages();
      expect(delivered.filter((entry) => sameId(entry.messageId, result.messageId))).toHaveLength(
        1,
      );
      expect(delivered).toHaveLength(1);
    },

    "resilience.outage-opens-breaker": async (context) => {
      const { transport, message } = await context.scenario("outage");
      let calls = 0;
      // Counts the attempts that reach the real transport; everything else is delegated.
      const counted: Transport = {
        specificationVersion: "v1",
        name: transport.name,
        ...(transport.limits && { limits: transport.limits }),
        send: (normalized, options) => {
          calls++;
          return transport.send(normalized, options);
        },
        ...(transport.verify && {
          verify: () => (transport.verify as () => Promise<void>).call(transport),
        }),
        ...(transport.close && {
          close: () => (transport.close as () => Promise<void>).call(transport),
        }),
      };
      const mailer = createMailer({
        transport: counted,
        from: context.harness.sender,
        retry: false,
        rateLimit: false,
        circuitBreaker: {
          volumeThreshold: 2,
          errorThresholdPercentage: 50,
          resetTimeoutMs: 60_000,
        },
      });
      context.defer(() => mailer.close());
      const send = () =>
        mailer.send({
          to: context.harness.recipients[0] as string,
          subject: "Conformance: outage",
          text: "Never delivered.",
          ...message,
        });
      const codes: MailErrorCode[] = [];
      // Bounded: the breaker opens after volumeThreshold path failures.
      for (let attempt = 0; attempt < 6; attempt++) {
        const error = await expectMailError(send());
        codes.push(error.code);
        if (error.code === "CIRCUIT_OPEN") break;
        expect(PATH_FAILURE_CODES.has(error.code), `${error.code} is not a path failure`).toBe(
          true,
        );
      }
      expect(codes.at(-1), `codes seen: ${codes.join(", ")}`).toBe("CIRCUIT_OPEN");
      const callsWhenOpen = calls;
      const open = await expectMailError(send(), "CIRCUIT_OPEN");
      expect(calls, "the transport was called while the breaker was open").toBe(callsWhenOpen);
      expect(open.retryAfterMs).toBeGreaterThan(0);
      expect(await context.harness.messages()).toEqual([]);
    },
  };
}

/**
 * Registers the mailpath transport conformance suite as a vitest `describe` in the calling
 * test file: delivery, errors, lifecycle and resilience cases (see `CONFORMANCE_CASES`) run
 * against the transport and backend the harness supplies.
 *
 * @param name what is under test, shown in the suite title (`"smtp against the emulator"`)
 * @param harness the transport factory, the backend's deliveries and its fault scenarios
 * @param options opt-outs (each with a reason) and the per-case time limit
 * @example
 * describeTransportConformance("memory", memoryHarness, {
 *   skip: { "errors.connection-refused": "the memory transport has no connection" },
 * });
 * @since 0.1.0
 */
export function describeTransportConformance(
  name: string,
  harness: ConformanceHarness,
  options: ConformanceOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const waitTimeoutMs = Math.max(1_000, Math.floor(timeoutMs / 2));
  const skip = (options.skip ?? {}) as Record<string, string | undefined>;
  const bodies = cases();

  describe(`${name}: mailpath transport conformance`, () => {
    beforeAll(async () => {
      await harness.setup?.();
    }, timeoutMs);
    afterAll(async () => {
      await harness.teardown?.();
    }, timeoutMs);

    const unknown = Object.keys(skip).filter(
      (id) => !(CONFORMANCE_CASE_IDS as readonly string[]).includes(id),
    );
    const unexplained = Object.entries(skip).filter(
      ([, reason]) => typeof reason !== "string" || reason.trim() === "",
    );
    if (unknown.length > 0 || unexplained.length > 0) {
      it("opts out only of known cases, each with a reason", () => {
        expect(
          unknown,
          `unknown case ids in options.skip (known: ${CONFORMANCE_CASE_IDS.join(", ")})`,
        ).toEqual([]);
        expect(
          unexplained.map(([id]) => id),
          "opt-outs without a reason",
        ).toEqual([]);
      });
    }

    const groups: CaseGroup[] = ["delivery", "errors", "lifecycle", "resilience"];
    for (const group of groups) {
      describe(group, () => {
        for (const entry of CONFORMANCE_CASES.filter((candidate) => candidate.group === group)) {
          const title = `${entry.title} [${entry.id}]`;
          const reason = skip[entry.id];
          if (reason !== undefined && reason.trim() !== "") {
            it.skip(`${title} — skipped: ${reason}`, () => {});
            continue;
          }
          const missing = (entry.scenarios as readonly ScenarioId[]).filter(
            (id) => !harness.scenarios[id],
          );
          if (missing.length > 0) {
            it(title, () => {
              expect.fail(
                `The harness has no "${missing.join('", "')}" scenario. Add it to harness.scenarios, or opt out: ` +
                  `describeTransportConformance(name, harness, { skip: { "${entry.id}": "<why this case cannot run>" } }).`,
              );
            });
            continue;
          }
          it(title, () => runCase(harness, bodies[entry.id], waitTimeoutMs), timeoutMs);
        }
      });
    }
  });
}

/**
 * Runs one case outside `describe` (internal: the suite's own tests use it to prove each case
 * fails against a faulty transport). Rejects when the case fails.
 * @internal
 */
export function runConformanceCase(
  harness: ConformanceHarness,
  id: CaseId,
  options: { readonly timeoutMs?: number } = {},
): Promise<void> {
  return runCase(
    harness,
    cases()[id],
    Math.max(1_000, Math.floor((options.timeoutMs ?? 20_000) / 2)),
  );
}

async function runCase(
  harness: ConformanceHarness,
  body: CaseBody,
  waitTimeoutMs: number,
): Promise<void> {
  const cleanups: (() => Promise<void> | void)[] = [];
  await harness.reset();
  const context: CaseContext = {
    harness,
    async transport() {
      const transport = await harness.createTransport();
      cleanups.push(() => transport.close?.());
      return transport;
    },
    async scenario(id) {
      const factory = harness.scenarios[id];
      if (!factory) throw new Error(`The harness has no "${id}" scenario.`);
      const setup = await factory();
      cleanups.push(() => setup.transport.close?.());
      if (setup.cleanup) cleanups.push(() => setup.cleanup?.());
      return setup;
    },
    message(overrides = {}) {
      return normalizeMessage({
        from: harness.sender,
        to: harness.recipients[0] as string,
        subject: "Conformance",
        text: "Sent by the mailpath conformance suite.",
        ...overrides,
      });
    },
    send(transport, message, signal = new AbortController().signal) {
      return transport.send(message, { signal });
    },
    async delivered(messageId, count = 1) {
      const messages = await harness.waitForMessages(count, { timeoutMs: waitTimeoutMs });
      const match = messages.find((entry) => sameId(entry.messageId, messageId));
      if (match) return match;
      if (messages.length === 1 && messages[0]) return messages[0];
      return expect.fail(
        `No delivery has Message-ID ${messageId}; delivered: ${messages.map((entry) => entry.messageId).join(", ")}`,
      );
    },
    waitFor(count) {
      return harness.waitForMessages(count, { timeoutMs: waitTimeoutMs });
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
  let failure: { error: unknown } | undefined;
  try {
    await body(context);
  } catch (error) {
    failure = { error };
  }
  // Last registered first: a mailer closes before the transport and scenario it uses.
  const errors: unknown[] = [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  // A failing case reports its own failure, not a cleanup error it may have caused.
  if (failure) throw failure.error;
  if (errors.length > 0) {
    throw new Error(`Cleanup after the case failed: ${errors.map(describeValue).join("; ")}`);
  }
}
