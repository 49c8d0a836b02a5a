import { MailError, type Transport } from "@mailpath/core";
import {
  createMemoryStore,
  createMemoryTransport,
  type MemoryTransport,
  type MemoryTransportOptions,
} from "@mailpath/core/testing";
import type { ConformanceHarness } from "../harness.js";

// A harness on the memory transport of @mailpath/core/testing. The memory backend has no
// server: each scenario is the memory transport's scripted behaviour standing for what Exchange
// would answer (the Exchange reply is attached to the scripted error, as a real transport's
// classifier would attach it).

export const SENDER = "app@contoso.com";
export const RECIPIENTS = Array.from({ length: 10 }, (_, index) => `user${index + 1}@contoso.com`);
export const REJECTED_RECIPIENT = "nobody@contoso.com";

export interface MemoryHarnessOptions {
  /** Wraps every transport the harness hands out (the suite's own tests inject defects). */
  readonly wrap?: (transport: MemoryTransport) => Transport;
  /** Whether the memory backend refuses REJECTED_RECIPIENT. @default true */
  readonly rejectsRecipient?: boolean;
  /** Replaces scenarios. */
  readonly scenarios?: ConformanceHarness["scenarios"];
}

export function createMemoryHarness(options: MemoryHarnessOptions = {}): ConformanceHarness {
  const store = createMemoryStore();
  const wrap = options.wrap ?? ((transport: MemoryTransport) => transport);
  const memory = (transportOptions: MemoryTransportOptions = {}) => {
    const transport = createMemoryTransport({ store, ...transportOptions });
    if (options.rejectsRecipient ?? true) transport.rejectRecipients([REJECTED_RECIPIENT]);
    return transport;
  };

  return {
    sender: SENDER,
    recipients: RECIPIENTS,
    rejectedRecipient: REJECTED_RECIPIENT,
    createTransport: () => wrap(memory()),
    messages: () => store.messages(),
    waitForMessages: (count, { timeoutMs }) => store.waitForMessages(count, { timeoutMs }),
    reset: () => store.reset(),
    scenarios: {
      // 535 5.7.3 Authentication unsuccessful
      wrongCredentials: async () => ({
        transport: wrap(
          memory().failNext({
            code: "AUTH_FAILED",
            smtp: {
              replyCode: 535,
              enhancedCode: "5.7.3",
              response: "535 5.7.3 Authentication unsuccessful",
            },
          }),
        ),
      }),
      // 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.
      authDisabled: async () => ({
        transport: wrap(
          memory().failNext({
            code: "AUTH_DISABLED",
            smtp: {
              replyCode: 535,
              enhancedCode: "5.7.139",
              response:
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            },
          }),
        ),
      }),
      // 554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied
      sendAsDenied: async () => ({
        transport: wrap(memory().failNext({ code: "SEND_AS_DENIED" })),
        message: { from: "ceo@contoso.com" },
      }),
      // A real limit, not a script: the memory transport enforces limits.maxMessageBytes.
      tooLarge: async () => ({
        transport: wrap(memory({ limits: { maxMessageBytes: 16 * 1024 } })),
        message: { attachments: [{ filename: "big.bin", content: new Uint8Array(64 * 1024) }] },
      }),
      // 432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded
      throttled: async () => ({
        transport: wrap(memory().failNext({ code: "THROTTLED", retryAfterMs: 1_000 })),
      }),
      connectionRefused: async () => ({
        transport: wrap(
          memory().failNext(
            new MailError({
              code: "CONNECTION_FAILED",
              message: "connect ECONNREFUSED 127.0.0.1:587",
              retryable: true,
            }),
          ),
        ),
      }),
      verifyFails: async () => ({ transport: wrap(memory().failVerify("AUTH_FAILED")) }),
      // 451 4.7.0 Temporary server error, then accepted.
      transientFault: async () => ({
        transport: wrap(
          memory().failWith([
            new MailError({
              code: "SERVER_ERROR",
              message: "451 4.7.0 Temporary server error",
              retryable: true,
            }),
            "ok",
          ]),
        ),
      }),
      // Every attempt: the connection is refused.
      outage: async () => ({
        transport: wrap(memory({ failRate: 1, failRateWith: "CONNECTION_FAILED" })),
      }),
      ...options.scenarios,
    },
  };
}
