// Which modules does building a mailer load? Each test runs its app in a fresh Node process
// (node dist/index.js; turbo builds the package before its tests, as for the CLI tests), where
// a module.register() hook records every module URL loaded from the first import on. So each
// test sees exactly what its own app loads, whatever ran before it or in which order.
import { describe, expect, it } from "vitest";
import { ENTRY, GRAPH_ENV, runApp } from "./test-support/fresh-process.js";

const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, nextLoad) { port.postMessage(url); return nextLoad(url, context); }
`;

/** The app: registers the hook, then imports mailpath and builds and closes a mailer from `env`. */
const APP = `
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const seen = [];
const channel = new MessageChannel();
channel.port1.on("message", (url) => seen.push(url));
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOKS)}), {
  parentURL: import.meta.url, data: { port: channel.port2 }, transferList: [channel.port2],
});
const { createMailerFromEnv } = await import(${JSON.stringify(ENTRY)});
const mailer = await createMailerFromEnv(JSON.parse(process.env.APP_ENV));
await mailer.close();
// Messages on a port keep their order: once this marker arrives, every earlier load has.
const marker = "data:text/javascript,export default 1";
const arrived = new Promise((resolve) => channel.port1.on("message", (u) => u === marker && resolve()));
await import(marker);
await arrived;
channel.port1.close();
process.stdout.write(JSON.stringify(seen.filter((url) => !url.startsWith("data:"))));
`;

/** Module URLs a fresh process loads to build and close a mailer from `env`. */
function loadsOfApp(env: Record<string, string>): Promise<string[]> {
  return runApp(APP, env);
}

const uses = (urls: readonly string[], library: string) =>
  urls.some((url) => url.includes(`/node_modules/${library}/`));

describe("transports load lazily (each app in a fresh process)", () => {
  // Building a Graph mailer loads the Graph path and msal; nodemailer waits for the first
  // message that needs MIME (transport-graph's lazy-nodemailer test covers that send).
  it("building a Graph mailer loads msal and the Graph client, not nodemailer", async () => {
    const urls = await loadsOfApp(GRAPH_ENV);
    expect(urls).toContain(ENTRY); // the hook saw the app's own imports
    expect(uses(urls, "@microsoft/microsoft-graph-client") || uses(urls, "undici")).toBe(true);
    expect(uses(urls, "@azure/msal-node")).toBe(true);
    expect(uses(urls, "nodemailer")).toBe(false);
  });

  it("building an SMTP mailer with a password loads nodemailer and never msal", async () => {
    const urls = await loadsOfApp({
      MAILPATH_TRANSPORT: "smtp",
      MAILPATH_SMTP_USER: "notifications@contoso.com",
      MAILPATH_SMTP_PASSWORD: "not-a-real-password",
    });
    expect(uses(urls, "nodemailer")).toBe(true);
    expect(uses(urls, "@azure/msal-node")).toBe(false);
  });
});
