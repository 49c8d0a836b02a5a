import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMailerFromEnv, type MailError } from "./index.js";

const emulator = useEmulator({ beforeAll, afterAll });

describe("an abort after the server accepted the message", () => {
  it("rejects ABORTED with ambiguous: true through the mailer (Graph)", async () => {
    const mailer = await createMailerFromEnv(emulator.env({ MAILPATH_TRANSPORT: "graph" }));
    try {
      // Graph stores the message at once and answers after its service time.
      emulator.failNext({ endpoint: "graph", kind: "latency", ms: 10_000 });
      const controller = new AbortController();
      const sending = mailer
        .send({ to: "ada@contoso.com", subject: "Abort after accept", text: "x" }, controller)
        .catch((error: MailError) => error);
      const [stored] = await emulator.waitForMessages(1);
      controller.abort();
      const error = await sending;
      expect(error).toMatchObject({ code: "ABORTED", ambiguous: true, attempts: 1 });
      expect((error as MailError).messageId).toBe(stored?.messageId);
    } finally {
      await mailer.close({ timeoutMs: 0 });
    }
  });
});
