// Which modules does building a mailer load? A module.register() hook records every module URL
// Node loads in this process; the test then checks the transport libraries each path pulls in.
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMailerFromEnv } from "./index.js";

const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, nextLoad) { port.postMessage(url); return nextLoad(url, context); }
`;

const seen: string[] = [];
const channel = new MessageChannel();
let marker = 0;

/** Resolves once every load before this call was reported (messages on a port keep their order). */
async function settle(): Promise<void> {
  const url = `data:text/javascript,export default ${++marker}`;
  const arrived = new Promise<void>((resolve) => {
    const check = (value: string) => {
      if (value === url) {
        channel.port1.off("message", check);
        resolve();
      }
    };
    channel.port1.on("message", check);
  });
  await import(/* @vite-ignore */ url);
  await arrived;
}

/** Module URLs loaded while `task` ran. */
async function loadsDuring(task: () => Promise<void>): Promise<string[]> {
  await settle();
  const start = seen.length;
  await task();
  await settle();
  return seen.slice(start).filter((url) => !url.startsWith("data:"));
}

const uses = (urls: readonly string[], library: string) =>
  urls.some((url) => url.includes(`/node_modules/${library}/`));

beforeAll(() => {
  channel.port1.on("message", (url: string) => seen.push(url));
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
    parentURL: import.meta.url,
    data: { port: channel.port2 },
    transferList: [channel.port2],
  });
});
afterAll(() => {
  channel.port1.close();
});

const GRAPH_ENV = {
  MAILPATH_TRANSPORT: "graph",
  MAILPATH_TENANT_ID: "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
  MAILPATH_CLIENT_ID: "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f",
  MAILPATH_CLIENT_SECRET: "not-a-real-secret",
};

describe("transports load lazily", () => {
  // Order matters: each step asserts what the previous steps had not loaded yet.
  it("a Graph-only app never loads nodemailer", async () => {
    const urls = await loadsDuring(async () => {
      const mailer = await createMailerFromEnv(GRAPH_ENV);
      await mailer.close();
    });
    expect(uses(urls, "@microsoft/microsoft-graph-client") || uses(urls, "undici")).toBe(true);
    expect(uses(urls, "nodemailer")).toBe(false);
  });

  it("an SMTP app with a password loads nodemailer and never msal", async () => {
    const urls = await loadsDuring(async () => {
      const mailer = await createMailerFromEnv({
        MAILPATH_TRANSPORT: "smtp",
        MAILPATH_SMTP_USER: "notifications@contoso.com",
        MAILPATH_SMTP_PASSWORD: "not-a-real-password",
      });
      await mailer.close();
    });
    expect(uses(urls, "nodemailer")).toBe(true);
    expect(seen.some((url) => url.includes("/node_modules/@azure/msal-node/"))).toBe(true);
    expect(uses(urls, "@azure/msal-node")).toBe(false);
  });
});
