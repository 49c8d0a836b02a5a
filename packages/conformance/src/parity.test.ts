import type { DeliveredMessage } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import { assertParity, compareDelivered } from "./parity.js";

function delivered(overrides: Partial<DeliveredMessage> = {}): DeliveredMessage {
  return {
    id: "smtp-1",
    path: "smtp",
    envelope: { from: "app@contoso.com", to: ["ada@contoso.com", "grace@contoso.com"] },
    headers: {
      "message-id": "<id-1@contoso.com>",
      "x-campaign": "launch",
      "x-ms-exchange-organization-authas": "Internal",
    },
    messageId: "<id-1@contoso.com>",
    subject: "Quarterly report",
    from: { address: "app@contoso.com", name: "App" },
    to: [{ address: "ada@contoso.com", name: "Ada" }],
    cc: [],
    bcc: [{ address: "grace@contoso.com" }],
    replyTo: [],
    text: "Hello\r\nAda\r\n",
    html: "<p>Hello</p>\n  <p>Ada</p>",
    importance: "high",
    attachments: [
      {
        filename: "report.pdf",
        contentType: "application/pdf",
        size: 1234,
        sha256: "ab".repeat(32),
        inline: false,
      },
      {
        contentType: "image/png",
        size: 68,
        sha256: "cd".repeat(32),
        contentId: "logo@contoso",
        inline: true,
      },
    ],
    receivedAt: new Date("2026-01-01T00:00:00Z"),
    ...overrides,
  };
}

/** The same delivery as `delivered()`, as Graph's copy with `overrides`. */
const viaGraph = (overrides: Partial<DeliveredMessage>) =>
  delivered({ id: "graph-1", path: "graph", ...overrides });

describe("compareDelivered", () => {
  it("finds no difference between the same message delivered by two paths", () => {
    const graphCopy = viaGraph({
      // Graph renders with LF, other whitespace and upper-case addresses; Exchange adds its stamps.
      text: "Hello\nAda",
      html: "<p>Hello</p><p>Ada</p>\n",
      to: [{ address: "ADA@contoso.com", name: "Ada" }],
      headers: {
        "Message-ID": "<id-1@contoso.com>",
        "X-Campaign": "launch",
        "x-ms-exchange-crosstenant-id": "tenant",
      },
      attachments: [...delivered().attachments].reverse().map((attachment) => ({
        ...attachment,
        contentType: `${attachment.contentType}; name="x"`,
        sha256: attachment.sha256.toUpperCase(),
      })),
      receivedAt: new Date(),
    });
    expect(compareDelivered(delivered(), graphCopy)).toEqual([]);
  });

  it("lists every differing field with both values", () => {
    // No importance at all (read as normal), against the high of the first.
    const { importance: _importance, ...other } = delivered({
      from: { address: "app@contoso.com", name: "Application" },
      cc: [{ address: "linus@contoso.com" }],
      bcc: [],
      replyTo: [{ address: "replies@contoso.com" }],
      subject: "Quarterly report (2)",
      text: "Hello Ada",
      html: "<p>Hello Ada</p>",
      messageId: "<id-2@contoso.com>",
      headers: { "x-campaign": "relaunch", "x-extra": "1" },
      attachments: [
        {
          filename: "report.pdf",
          contentType: "application/octet-stream",
          size: 1235,
          sha256: "ef".repeat(32),
          inline: false,
        },
      ],
    });
    const differences = compareDelivered(delivered(), other);
    expect(differences.map((difference) => difference.path)).toEqual([
      "from",
      "cc",
      "bcc",
      "replyTo",
      "subject",
      "text",
      "html",
      "importance",
      "messageId",
      "x-headers.x-campaign",
      "x-headers.x-extra",
      "attachments[report.pdf].contentType",
      "attachments[report.pdf].size",
      "attachments[report.pdf].sha256",
      "attachments[cid:logo@contoso]",
    ]);
    expect(differences.find((difference) => difference.path === "importance")).toEqual({
      field: "importance",
      path: "importance",
      a: "high",
      b: "normal",
    });
    expect(differences.find((difference) => difference.path === "from")).toMatchObject({
      a: "App <app@contoso.com>",
      b: "Application <app@contoso.com>",
    });
  });

  it("reports an inline flag or Content-ID that differs", () => {
    const other = delivered({
      attachments: [
        delivered().attachments[0] as DeliveredMessage["attachments"][number],
        {
          contentType: "image/png",
          size: 68,
          sha256: "cd".repeat(32),
          contentId: "logo@contoso",
          inline: false,
        },
      ],
    });
    expect(compareDelivered(delivered(), other)).toEqual([
      { field: "attachments", path: "attachments[cid:logo@contoso].inline", a: true, b: false },
    ]);
  });

  it("skips ignored fields and ignored headers", () => {
    const other = delivered({
      subject: "Other",
      messageId: "<other@contoso.com>",
      headers: { "x-campaign": "b" },
    });
    expect(
      compareDelivered(delivered(), other, {
        ignore: ["subject", "messageId"],
        ignoreHeaders: ["x-campaign", /^x-ms-/],
      }),
    ).toEqual([]);
  });

  it("compares X-Priority only when told to (importance covers it)", () => {
    const smtp = delivered({ headers: { "x-priority": "1 (Highest)" } });
    const graph = delivered({ headers: {} });
    expect(compareDelivered(smtp, graph)).toEqual([]);
    expect(compareDelivered(smtp, graph, { ignoreHeaders: [] })).toEqual([
      { field: "xHeaders", path: "x-headers.x-priority", a: "1 (Highest)", b: undefined },
    ]);
  });
});

describe("assertParity", () => {
  it("passes when the only differences are allowed, by field or by path prefix", () => {
    const other = delivered({
      messageId: "<graph@contoso.com>",
      attachments: [
        {
          ...(delivered().attachments[0] as DeliveredMessage["attachments"][number]),
          contentType: "application/x-pdf",
        },
        delivered().attachments[1] as DeliveredMessage["attachments"][number],
      ],
    });
    expect(() =>
      assertParity(delivered(), other, { allowed: ["messageId", "attachments[report.pdf]"] }),
    ).not.toThrow();
  });

  it("fails listing each difference that is not allowed, with both paths", () => {
    const other = viaGraph({ subject: "Changed", importance: "low" });
    expect(() => assertParity(delivered(), other, { allowed: ["importance"] })).toThrow(
      'Deliveries smtp-1 (smtp) and graph-1 (graph) differ in 1 field(s):\n  subject: "Quarterly report" (smtp) ≠ "Changed" (graph)',
    );
  });
});
