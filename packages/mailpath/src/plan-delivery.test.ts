import { describe, expect, it } from "vitest";
import { formatDeliveryPlan, type MailMessage, planDelivery } from "./index.js";

const base: MailMessage = {
  from: "notifications@contoso.com",
  to: "ada@contoso.com",
  subject: "Hello",
  text: "Hi",
};

const codes = (plan: Awaited<ReturnType<typeof planDelivery>>, path: string) =>
  plan.paths.find((entry) => entry.path === path)?.findings.map((finding) => finding.code) ?? [];

describe("planDelivery", () => {
  it("plans all three paths when neither paths nor a transport is given", async () => {
    const plan = await planDelivery(base);
    expect(plan.paths.map((entry) => entry.path)).toEqual(["smtp", "relay", "graph"]);
    expect(plan.paths.map((entry) => entry.method)).toEqual([
      "smtp-submission",
      "relay",
      "graph-json",
    ]);
    expect(plan.differences.map((difference) => difference.field)).toEqual([
      "request",
      "Sent Items copy",
    ]);
  });

  it("takes the paths from MAILPATH_TRANSPORT", async () => {
    const plan = await planDelivery(base, { env: { MAILPATH_TRANSPORT: "graph:10,smtp:90" } });
    expect(plan.paths.map((entry) => entry.path)).toEqual(["graph", "smtp"]);
  });

  it("reads the sender from MAILPATH_FROM when the message has none", async () => {
    const { from: _from, ...message } = base;
    const plan = await planDelivery(message, {
      env: { MAILPATH_FROM: "reports@contoso.com" },
      paths: ["smtp"],
      config: { smtp: { user: "notifications@contoso.com" } },
    });
    expect(codes(plan, "smtp")).toContain("SEND_AS");
  });

  it("finds no difference in the message itself between SMTP and relay", async () => {
    const plan = await planDelivery(
      { ...base, html: "<p>Hi</p>", headers: { "List-Unsubscribe": "<mailto:u@contoso.com>" } },
      { paths: ["smtp", "relay"] },
    );
    expect(plan.differences.map((difference) => difference.field)).toEqual([
      "request",
      "Sent Items copy",
    ]);
  });

  it("refuses more than 500 recipients on every path", async () => {
    const to = Array.from({ length: 501 }, (_, index) => `user${index}@contoso.com`);
    const plan = await planDelivery({ ...base, to });
    expect(plan.recipients).toBe(501);
    for (const entry of plan.paths) {
      expect(entry.ok).toBe(false);
      expect(codes(plan, entry.path)).toContain("TOO_MANY_RECIPIENTS");
    }
  });

  it("goes through a draft when small attachments together exceed Graph's 4 MB request", async () => {
    const part = new Uint8Array(1_600_000);
    const plan = await planDelivery(
      {
        ...base,
        attachments: [
          { filename: "a.bin", content: part },
          { filename: "b.bin", content: part },
        ],
      },
      { paths: ["graph"] },
    );
    expect(plan.paths[0]?.method).toBe("graph-draft-upload");
    expect(codes(plan, "graph")).toContain("UPLOAD_SESSION");
  });

  it("keeps MIME-only headers and both bodies when a message that needs MIME goes through a draft", async () => {
    const plan = await planDelivery(
      {
        ...base,
        html: "<p>Hi</p>",
        headers: { "List-Unsubscribe": "<mailto:unsubscribe@contoso.com>" },
        inReplyTo: "<original@contoso.com>",
        attachments: [{ filename: "x.bin", content: new Uint8Array(5 * 1024 * 1024) }],
      },
      { paths: ["smtp", "graph"] },
    );
    const graph = plan.paths.find((entry) => entry.path === "graph");
    expect(graph?.method).toBe("graph-draft-upload");
    expect(codes(plan, "graph")).toEqual(expect.arrayContaining(["MIME_MODE", "UPLOAD_SESSION"]));
    expect(codes(plan, "graph")).not.toContain("HEADER_DROPPED");
    expect(graph?.delivers).toMatchObject({ text: true, html: true, replyHeaders: true });
    expect(graph?.delivers.droppedHeaders).toEqual([]);
    expect(plan.differences.map((difference) => difference.field)).not.toContain(
      "header List-Unsubscribe",
    );
  });

  it("refuses over SMTP and relay what is over their transports' 35 MB default, which Graph takes with a MaxSendSize warning", async () => {
    const big = await planDelivery(
      { ...base, attachments: [{ filename: "x.bin", content: new Uint8Array(30 * 1024 * 1024) }] },
      { paths: ["smtp", "relay", "graph"] },
    );
    // 30 MB raw is about 41 MB base64-encoded: over SMTP_DEFAULT_LIMITS and RELAY_DEFAULT_LIMITS.
    expect(codes(big, "smtp")).toContain("TOO_LARGE");
    expect(codes(big, "relay")).toContain("TOO_LARGE");
    expect(big.paths.find((entry) => entry.path === "smtp")?.ok).toBe(false);
    expect(big.paths.find((entry) => entry.path === "relay")?.ok).toBe(false);
    expect(codes(big, "graph")).toContain("OVER_MAX_SEND_SIZE");
    expect(codes(big, "graph")).not.toContain("TOO_LARGE");
    expect(big.paths.find((entry) => entry.path === "graph")?.ok).toBe(true);
  });

  it("refuses on Graph a message over its 150 MB limit", async () => {
    const huge = await planDelivery(
      { ...base, attachments: [{ filename: "x.bin", content: new Uint8Array(120 * 1024 * 1024) }] },
      { paths: ["graph"] },
    );
    expect(codes(huge, "graph")).toContain("TOO_LARGE");
  });

  it("says which recipients direct send would not reach", async () => {
    const plan = await planDelivery(
      { ...base, to: ["ada@contoso.com", "partner@fabrikam.com", "x@eu.contoso.com"] },
      {
        paths: ["relay"],
        config: { relay: { directSendDomains: ["contoso.com", "*.contoso.com"] } },
      },
    );
    const finding = plan.paths[0]?.findings.find(
      (entry) => entry.code === "EXTERNAL_RECIPIENTS_DIRECT_SEND",
    );
    expect(finding?.message).toContain("partner@fabrikam.com");
    expect(finding?.message).not.toContain("ada@contoso.com");
    expect(finding?.message).not.toContain("x@eu.contoso.com");
  });

  it("drops reply headers only in Graph JSON mode", async () => {
    const reply = { ...base, inReplyTo: "<original@contoso.com>" };
    const forced = await planDelivery(reply, {
      paths: ["graph"],
      config: { graph: { mode: "json" } },
    });
    expect(codes(forced, "graph")).toContain("REPLY_HEADERS_DROPPED");
    const auto = await planDelivery(reply, { paths: ["smtp", "graph"] });
    expect(auto.paths[1]?.method).toBe("graph-mime");
    expect(auto.differences.map((difference) => difference.field)).not.toContain(
      "In-Reply-To / References",
    );
  });

  it("prints a plan people can read", async () => {
    const text = formatDeliveryPlan(
      await planDelivery({ ...base, html: "<p>Hi</p>" }, { config: { graph: { mode: "json" } } }),
    );
    expect(text).toContain("graph: would send by Graph sendMail, JSON");
    expect(text).toContain("TEXT_DROPPED");
    expect(text).toMatch(/text body — smtp: delivered \| relay: delivered \| graph: dropped/);
  });

  it("refuses a message no path would take", async () => {
    await expect(planDelivery({ ...base, to: "not an address" })).rejects.toMatchObject({
      code: "INVALID_MESSAGE",
    });
  });
});
