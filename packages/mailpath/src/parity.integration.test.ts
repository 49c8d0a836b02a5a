import { compareDelivered } from "@mailpath/conformance";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConfiguredMailer, createMailerFromEnv, type MailMessage } from "./index.js";
import { CONNECTOR_IP } from "./test-support/ports.js";

const emulator = useEmulator({ beforeAll, afterAll });
const mailers: Record<string, ConfiguredMailer> = {};

const PNG = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82,
]);
const BINARY = Uint8Array.from({ length: 4096 }, (_, index) => (index * 37 + 11) % 256);

const MESSAGES: Record<string, MailMessage> = {
  text: { to: "ada@contoso.com", subject: "Plain text", text: "Line one\nLine two" },
  html: { to: "ada@contoso.com", subject: "HTML", html: "<p>Hello <b>Ada</b></p>" },
  "text+html": {
    to: "ada@contoso.com",
    subject: "Both bodies",
    text: "Hello Ada",
    html: "<p>Hello <b>Ada</b></p>",
  },
  "non-ASCII": {
    to: { address: "ada@contoso.com", name: "Ådå Lövelace" },
    subject: "Grüße, 東京 ✓",
    text: "Zoë says: naïve café — 日本語",
  },
  "cc/bcc": {
    to: "ada@contoso.com",
    cc: ["grace@contoso.com"],
    bcc: ["alan@contoso.com"],
    subject: "Copies",
    text: "cc and bcc",
  },
  "reply-to": {
    to: "ada@contoso.com",
    replyTo: "Support <reports@contoso.com>",
    subject: "Reply elsewhere",
    text: "x",
  },
  "X- headers": {
    to: "ada@contoso.com",
    subject: "Headers",
    text: "x",
    headers: { "X-Campaign": "spring-2026", "X-Correlation-Id": "c0ffee" },
    importance: "high",
  },
  attachments: {
    to: "ada@contoso.com",
    subject: "Attachments",
    html: '<p>Logo: <img src="cid:logo@contoso"></p>',
    attachments: [
      { filename: "data.bin", content: BINARY, contentType: "application/octet-stream" },
      { filename: "logo.png", content: PNG, contentType: "image/png", contentId: "logo@contoso" },
    ],
  },
};

beforeAll(async () => {
  for (const path of ["smtp", "relay", "graph"] as const) {
    mailers[path] = await createMailerFromEnv(
      emulator.env({ MAILPATH_TRANSPORT: path, MAILPATH_RELAY_LOCAL_ADDRESS: CONNECTOR_IP }),
    );
  }
});
afterAll(async () => {
  await Promise.all(Object.values(mailers).map((mailer) => mailer.close()));
});

async function deliverThrough(path: string, message: MailMessage) {
  const subject = `${message.subject} [${path}]`;
  const result = await mailers[path]!.send({ ...message, subject });
  const found = emulator.messages({ path, subject });
  expect(found).toHaveLength(1);
  // Every path carries the Message-ID mailpath set (Graph JSON as internetMessageId).
  expect(found[0]?.messageId).toBe(result.messageId);
  return { ...found[0]!, subject: message.subject };
}

describe("path parity: the same messages through smtp, relay and graph", () => {
  it.each(Object.keys(MESSAGES))("delivers %s equally on every path", async (name) => {
    const message = MESSAGES[name]!;
    const smtp = await deliverThrough("smtp", message);
    const relay = await deliverThrough("relay", message);
    const graph = await deliverThrough("graph", message);
    // Each path gets its own Message-ID (one per send); the rest must match.
    const options = { ignore: ["messageId"] as const };
    expect(compareDelivered(smtp, relay, options)).toEqual([]);
    expect(compareDelivered(smtp, graph, options)).toEqual([]);
  });
});

describe("where a path cannot carry a field", () => {
  it("keeps a non-X- header (List-Unsubscribe) on every path: Graph's auto mode sends MIME", async () => {
    const message: MailMessage = {
      to: "ada@contoso.com",
      subject: "List mail",
      text: "x",
      headers: { "List-Unsubscribe": "<mailto:unsubscribe@contoso.com>" },
    };
    for (const path of ["smtp", "relay", "graph"]) {
      const delivered = await deliverThrough(path, message);
      expect(delivered.headers["list-unsubscribe"]).toBe("<mailto:unsubscribe@contoso.com>");
    }
  });

  it("Graph JSON (MAILPATH_GRAPH_MODE=json) differs from SMTP only in the text body it cannot carry", async () => {
    const json = await createMailerFromEnv(
      emulator.env({ MAILPATH_TRANSPORT: "graph", MAILPATH_GRAPH_MODE: "json" }),
    );
    try {
      // A text alternative that is not just the HTML's words, so its loss shows.
      const message: MailMessage = {
        to: "ada@contoso.com",
        subject: "JSON parity",
        text: "Plain version for text-only clients",
        html: "<p>Hello <b>Ada</b></p>",
      };
      const smtp = await deliverThrough("smtp", { ...message, subject: "JSON parity" });
      await json.send({ ...message, subject: "JSON parity [graph-json]" });
      const [graph] = emulator.messages({ path: "graph", subject: "JSON parity [graph-json]" });
      const differences = compareDelivered(
        smtp,
        { ...graph!, subject: "JSON parity" },
        {
          ignore: ["messageId"],
        },
      );
      expect(differences.map((difference) => difference.field)).toEqual(["text"]);
      expect(differences[0]).toMatchObject({ a: "Plain version for text-only clients" });
    } finally {
      await json.close();
    }
  });
});
