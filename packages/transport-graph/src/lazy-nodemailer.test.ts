// When does a Graph app load nodemailer? A module.register() hook records every module URL Node
// loads in this process. A message JSON carries whole never loads it; the first message that
// needs MIME (both text and html here) does. No emulator in this file: it loads nodemailer
// itself. Graph is a loopback HTTP server reached through the `fetch` option.
import { once } from "node:events";
import { createServer } from "node:http";
import { register } from "node:module";
import type { AddressInfo } from "node:net";
import { MessageChannel } from "node:worker_threads";
import { normalizeMessage } from "@mailpath/core";
import { fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGraphTransport, type GraphTransport } from "./index.js";

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

const loadedNodemailer = () => seen.some((url) => url.includes("/node_modules/nodemailer/"));

const server = createServer((request, response) => {
  request.resume();
  response.writeHead(202).end();
});
let transport: GraphTransport;
const bodies: string[] = [];

beforeAll(async () => {
  channel.port1.on("message", (url: string) => seen.push(url));
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
    parentURL: import.meta.url,
    data: { port: channel.port2 },
    transferList: [channel.port2],
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  transport = createGraphTransport({
    tokenProvider: { getToken: async () => "token" },
    baseUrl: "https://graph.example",
    // The HTTP layer is undici's; only the origin is swapped for the loopback server.
    fetch: ((input: string | URL, init?: RequestInit) => {
      bodies.push(String(init?.body ?? "").slice(0, 40));
      return undiciFetch(String(input).replace("https://graph.example", origin), init as never);
    }) as unknown as typeof globalThis.fetch,
  });
});
afterAll(async () => {
  channel.port1.close();
  await transport?.close();
  server.close();
});

const send = (fields: { text?: string; html?: string }) =>
  transport.send(
    normalizeMessage(
      { to: "ada@contoso.com", subject: "Lazy", ...fields },
      { from: "notifications@contoso.com" },
    ),
    { signal: new AbortController().signal },
  );

describe("nodemailer in a Graph app", () => {
  // One test: what the MIME send loads is judged against what this same test saw loaded
  // before it, so it holds whichever test ran first (or alone).
  it("is not loaded by messages JSON carries whole, then loaded by the first that needs MIME", async () => {
    await settle();
    expect(loadedNodemailer(), "nothing in this file loaded it yet").toBe(false);
    await send({ text: "Hi" });
    await send({ html: "<p>Hi</p>" });
    await settle();
    expect(bodies).toHaveLength(2);
    expect(bodies.every((body) => body.startsWith("{"))).toBe(true);
    expect(loadedNodemailer()).toBe(false);

    await send({ text: "Hi", html: "<p>Hi</p>" });
    await settle();
    expect(bodies).toHaveLength(3);
    expect(bodies[2]?.startsWith("{")).toBe(false);
    expect(loadedNodemailer()).toBe(true);
  });
});
