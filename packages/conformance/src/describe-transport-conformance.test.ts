import { MailError, type NormalizedMessage, type Transport } from "@mailpath/core";
import type { MemoryTransport } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import { type CaseId, CONFORMANCE_CASE_IDS } from "./cases.js";
import { runConformanceCase } from "./describe-transport-conformance.js";
import type { ConformanceHarness } from "./harness.js";
import { createMemoryHarness } from "./test-support/memory-harness.js";

// The suite must be able to fail: each case is run against a memory transport with one
// defect a real transport could have, and must reject.

interface Defects {
  /** Changes the message before the backend sees it. */
  readonly mutate?: (message: NormalizedMessage) => NormalizedMessage;
  /** Replaces what the transport throws. */
  readonly mapError?: (error: MailError) => unknown;
  /** Does not pass the caller's signal on. */
  readonly ignoreSignal?: boolean;
  /** Sends every message twice (an at-least-once bug). */
  readonly duplicate?: boolean;
  /** Fails the first `n` sends with a retryable SERVER_ERROR. */
  readonly failFirst?: number;
  readonly verify?: () => Promise<void>;
  readonly close?: () => Promise<void>;
}

function faulty(defects: Defects): (transport: MemoryTransport) => Transport {
  return (inner) => {
    let failures = defects.failFirst ?? 0;
    return {
      specificationVersion: "v1",
      name: inner.name,
      async send(message, options) {
        if (failures > 0) {
          failures--;
          throw new MailError({
            code: "SERVER_ERROR",
            message: "451 4.7.0 Temporary server error",
            retryable: true,
          });
        }
        const changed = defects.mutate ? defects.mutate(message) : message;
        const signal = defects.ignoreSignal ? new AbortController().signal : options.signal;
        try {
          if (defects.duplicate) await inner.send(changed, { signal });
          return await inner.send(changed, { signal });
        } catch (error) {
          throw defects.mapError && MailError.isInstance(error) ? defects.mapError(error) : error;
        }
      },
      verify: defects.verify ?? (() => inner.verify()),
      close: defects.close ?? (() => inner.close()),
    };
  };
}

const withDefects = (defects: Defects) => createMemoryHarness({ wrap: faulty(defects) });
const plainError = (error: MailError) => new Error(error.message);
const latin1Mojibake = (text: string) => Buffer.from(text, "utf8").toString("latin1");

const faultyHarnesses: Record<CaseId, [string, () => ConformanceHarness]> = {
  "delivery.text": [
    "joins the lines of the text body",
    () =>
      withDefects({
        mutate: (m) => ({
          ...m,
          ...(m.text !== undefined && { text: m.text.replace(/\n/g, " ") }),
        }),
      }),
  ],
  "delivery.html": [
    "drops the text alternative of an HTML message",
    () => withDefects({ mutate: ({ text: _text, ...m }) => m }),
  ],
  "delivery.non-ascii": [
    "double-encodes UTF-8 subjects",
    () => withDefects({ mutate: (m) => ({ ...m, subject: latin1Mojibake(m.subject) }) }),
  ],
  "delivery.to-cc-bcc": [
    "turns bcc into cc",
    () => withDefects({ mutate: (m) => ({ ...m, cc: [...m.cc, ...m.bcc], bcc: [] }) }),
  ],
  "delivery.reply-to": [
    "drops Reply-To",
    () => withDefects({ mutate: (m) => ({ ...m, replyTo: [] }) }),
  ],
  "delivery.x-headers": [
    "drops custom headers",
    () => withDefects({ mutate: (m) => ({ ...m, headers: {} }) }),
  ],
  "delivery.importance": [
    "ignores importance",
    () => withDefects({ mutate: (m) => ({ ...m, importance: "normal" }) }),
  ],
  "delivery.binary-attachment": [
    "reads binary attachments as UTF-8 text",
    () =>
      withDefects({
        mutate: (m) => ({
          ...m,
          attachments: m.attachments.map((a) => ({
            ...a,
            content: Buffer.from(a.content as Uint8Array).toString("utf8"),
          })),
        }),
      }),
  ],
  "delivery.inline-image": [
    "sends inline images as ordinary attachments",
    () =>
      withDefects({
        mutate: (m) => ({
          ...m,
          attachments: m.attachments.map(({ contentId: _id, ...a }) => ({ ...a, inline: false })),
        }),
      }),
  ],
  "delivery.ten-recipients": [
    "sends to the first 5 recipients only",
    () =>
      withDefects({
        mutate: (m) => ({ ...m, to: m.to.slice(0, 5), recipients: m.recipients.slice(0, 5) }),
      }),
  ],
  "delivery.message-id": [
    "assigns its own Message-ID",
    () => withDefects({ mutate: (m) => ({ ...m, messageId: "<other@contoso.com>" }) }),
  ],
  "errors.wrong-credentials": [
    "marks auth failures retryable",
    () => withDefects({ mapError: (error) => error.with({ retryable: true }) }),
  ],
  "errors.auth-disabled": [
    "reports a disabled auth method as AUTH_FAILED",
    () => withDefects({ mapError: (error) => error.with({ code: "AUTH_FAILED" }) }),
  ],
  "errors.send-as-denied": ["throws plain Errors", () => withDefects({ mapError: plainError })],
  "errors.recipient-rejected": [
    "has a backend that takes every recipient",
    () => createMemoryHarness({ rejectsRecipient: false }),
  ],
  "errors.partial-rejection": [
    "has a backend that takes every recipient",
    () => createMemoryHarness({ rejectsRecipient: false }),
  ],
  "errors.too-large": [
    "reports a size limit as UNKNOWN",
    () => withDefects({ mapError: (error) => error.with({ code: "UNKNOWN" }) }),
  ],
  "errors.throttled": [
    "loses retryAfterMs",
    () =>
      withDefects({
        mapError: (error) =>
          new MailError({ code: error.code, message: error.message, retryable: true }),
      }),
  ],
  "errors.connection-refused": [
    "throws the raw socket error",
    () => withDefects({ mapError: plainError }),
  ],
  "errors.only-mail-errors": ["throws plain Errors", () => withDefects({ mapError: plainError })],
  "lifecycle.verify": [
    "cannot verify",
    () =>
      withDefects({
        verify: () => Promise.reject(new MailError({ code: "UNKNOWN", message: "no" })),
      }),
  ],
  "lifecycle.verify-fails": [
    "always verifies",
    () => withDefects({ verify: () => Promise.resolve() }),
  ],
  "lifecycle.close-twice": [
    "throws when closed twice",
    () => {
      let closed = false;
      return withDefects({
        close: async () => {
          if (closed) throw new Error("already closed");
          closed = true;
        },
      });
    },
  ],
  "lifecycle.abort-before": ["ignores the abort signal", () => withDefects({ ignoreSignal: true })],
  "lifecycle.abort-during": ["ignores the abort signal", () => withDefects({ ignoreSignal: true })],
  "lifecycle.concurrent-sends": [
    "delivers every message twice",
    () => withDefects({ duplicate: true }),
  ],
  "resilience.transient-fault": ["needs an extra attempt", () => withDefects({ failFirst: 1 })],
  "resilience.outage-opens-breaker": [
    "reports an outage as a throttle",
    () => withDefects({ mapError: (error) => error.with({ code: "THROTTLED", retryAfterMs: 1 }) }),
  ],
};

describe("the conformance suite", () => {
  it("passes every case against the memory transport", async () => {
    const harness = createMemoryHarness();
    for (const id of CONFORMANCE_CASE_IDS) {
      await expect(runConformanceCase(harness, id), id).resolves.toBeUndefined();
    }
  });

  for (const id of CONFORMANCE_CASE_IDS) {
    const [defect, harness] = faultyHarnesses[id];
    it(`fails ${id} against a transport that ${defect}`, async () => {
      const error = await runConformanceCase(harness(), id).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error, "the case passed").toBeInstanceOf(Error);
      // An assertion of the case failed, not the case's own code.
      expect((error as Error).name).not.toMatch(/^(TypeError|ReferenceError|RangeError)$/);
    });
  }
});
