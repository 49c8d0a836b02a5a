// planDelivery predicts; the emulator shows what each path really delivered. Each prediction is
// checked against the delivery, so the dry run cannot drift from the transports.
import { useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMailerFromEnv, type MailMessage, planDelivery } from "./index.js";
import { CONNECTOR_IP } from "./test-support/ports.js";

const emulator = useEmulator({ beforeAll, afterAll });
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  emulator.reset({ tenant: true });
});

async function sendThrough(env: Record<string, string>, message: MailMessage) {
  const mailer = await createMailerFromEnv(
    emulator.env({ MAILPATH_RELAY_LOCAL_ADDRESS: CONNECTOR_IP, ...env }),
  );
  closers.push(() => mailer.close());
  await mailer.send(message);
  const [delivered] = emulator.messages({ subject: message.subject });
  if (!delivered) throw new Error("not delivered");
  return delivered;
}

/** A message from the tenant's sender to Ada, with `fields` over a plain-text body. */
const mailTo = (subject: string, fields: Partial<MailMessage> = {}): MailMessage => ({
  from: "notifications@contoso.com",
  to: "ada@contoso.com",
  subject,
  text: "x",
  ...fields,
});

describe("planDelivery against what the paths deliver", () => {
  const bothBodies = mailTo("Unsubscribe me", {
    text: "Hello Ada",
    html: "<p>Hello Ada</p>",
    headers: { "List-Unsubscribe": "<https://contoso.com/u/1>", "X-Campaign": "spring" },
  });

  it("predicts that Graph JSON drops the text body and a non-X- header, and it does", async () => {
    const env = { MAILPATH_TRANSPORT: "graph", MAILPATH_GRAPH_MODE: "json" };
    const plan = await planDelivery(bothBodies, {
      env: emulator.env(env),
      paths: ["smtp", "graph"],
    });
    const graph = plan.paths.find((entry) => entry.path === "graph")!;
    expect(graph.method).toBe("graph-json");
    expect(graph.findings.map((finding) => finding.code)).toEqual(
      expect.arrayContaining(["HEADER_DROPPED", "TEXT_DROPPED"]),
    );
    expect(plan.differences.map((difference) => difference.field)).toEqual(
      expect.arrayContaining(["text body", "header List-Unsubscribe", "request"]),
    );

    const viaGraph = await sendThrough(env, bothBodies);
    const viaSmtp = await sendThrough(
      { MAILPATH_TRANSPORT: "smtp" },
      { ...bothBodies, subject: "Unsubscribe me (smtp)" },
    );
    expect(viaGraph.headers["list-unsubscribe"]).toBeUndefined();
    expect(viaGraph.headers["x-campaign"]).toBe("spring");
    expect(viaGraph.raw).not.toMatch(/content-type:\s*text\/plain/i);
    expect(viaSmtp.headers["list-unsubscribe"]).toBe("<https://contoso.com/u/1>");
    expect(viaSmtp.text?.trim()).toBe("Hello Ada");
  });

  it("predicts that Graph in auto mode sends MIME and keeps both, and it does", async () => {
    const plan = await planDelivery(bothBodies, { paths: ["graph"] });
    expect(plan.paths[0]).toMatchObject({ method: "graph-mime", ok: true });
    expect(plan.paths[0]?.findings.map((finding) => finding.code)).toContain("MIME_MODE");
    const delivered = await sendThrough({ MAILPATH_TRANSPORT: "graph" }, bothBodies);
    expect(delivered.headers["list-unsubscribe"]).toBe("<https://contoso.com/u/1>");
    expect(delivered.text?.trim()).toBe("Hello Ada");
    expect(delivered.html).toContain("<p>Hello Ada</p>");
  });

  it("predicts a draft and upload session for a 5 MB attachment on Graph, and it uploads", async () => {
    const report = mailTo("Large report", {
      text: "Attached.",
      attachments: [{ filename: "report.csv", content: new Uint8Array(5 * 1024 * 1024).fill(65) }],
    });
    const plan = await planDelivery(report, {
      paths: ["smtp", "graph"],
      config: { graph: { saveToSentItems: false } },
    });
    expect(plan.paths.map((entry) => entry.method)).toEqual([
      "smtp-submission",
      "graph-draft-upload",
    ]);
    expect(plan.paths[1]?.sentItemsCopy).toBe(true);
    const delivered = await sendThrough(
      { MAILPATH_TRANSPORT: "graph", MAILPATH_SAVE_TO_SENT_ITEMS: "false" },
      report,
    );
    expect(emulator.stats().maxUploadChunkBytes).toBeGreaterThan(0);
    expect(delivered.attachments[0]).toMatchObject({
      filename: "report.csv",
      size: 5 * 1024 * 1024,
    });
    expect(delivered.savedToSentItems).toBe(true);
  });

  it("predicts the Sent Items copy of each path, and the emulator records the same", async () => {
    const message = mailTo("Copy?");
    const plan = await planDelivery(message, { config: { graph: { saveToSentItems: false } } });
    const predicted = Object.fromEntries(
      plan.paths.map((entry) => [entry.path, entry.sentItemsCopy]),
    );
    expect(predicted).toEqual({ smtp: true, relay: false, graph: false });
    const actual: Record<string, boolean | undefined> = {};
    for (const path of ["smtp", "relay", "graph"]) {
      const delivered = await sendThrough(
        { MAILPATH_TRANSPORT: path, MAILPATH_SAVE_TO_SENT_ITEMS: "false" },
        { ...message, subject: `Copy? ${path}` },
      );
      actual[path] = delivered.savedToSentItems;
    }
    expect(actual).toEqual(predicted);
  });

  it("predicts that direct send refuses an external recipient, and the transport refuses it", async () => {
    const message: MailMessage = { to: "partner@fabrikam.com", subject: "Outside", text: "x" };
    const env = { MAILPATH_TRANSPORT: "relay", MAILPATH_RELAY_DIRECT_SEND_DOMAINS: "contoso.com" };
    const plan = await planDelivery(message, { env: emulator.env(env) });
    expect(plan.paths).toHaveLength(1);
    expect(plan.paths[0]).toMatchObject({ path: "relay", ok: false });
    expect(plan.paths[0]?.findings.map((finding) => finding.code)).toContain(
      "EXTERNAL_RECIPIENTS_DIRECT_SEND",
    );
    const mailer = await createMailerFromEnv(emulator.env(env));
    closers.push(() => mailer.close());
    await expect(mailer.send(message)).rejects.toMatchObject({ code: "RELAY_DENIED" });
    expect(emulator.messages()).toHaveLength(0);
  });
});
