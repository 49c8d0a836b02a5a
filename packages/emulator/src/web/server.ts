// The sandbox's HTTP server on loopback: the inbox pages, server-sent events that refresh
// the list as mail arrives, the message's HTML body for a sandboxed iframe behind a CSP that
// blocks remote content until asked, downloads, and Mailpit's /api/v1.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DeliveredMessage } from "@mailpath/core/testing";
import type { Attachment } from "mailparser";
import { headersAnswer, listAnswer, messageAnswer, search } from "./mailpit-api.js";
import {
  createPartReader,
  matchesQuery,
  type SandboxHeaderAnalysis,
  type SandboxHeaderAnalyzer,
} from "./model.js";
import {
  renderInbox,
  renderMessage,
  renderNotFound,
  renderRows,
  SCRIPT,
  STYLESHEET,
} from "./pages.js";
import { renderParity } from "./parity.js";

/** What the web inbox reads and changes. */
export interface WebInboxSource {
  list(): readonly DeliveredMessage[];
  remove(ids: readonly string[]): void;
  /** Calls `listener` after every change of the store; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Options of the web inbox. */
export interface WebInboxOptions {
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (ephemeral) */
  readonly port?: number;
  /** Header analysis for the message view (`analyzeHeaders` of `@mailpath/inspect`). */
  readonly analyzeHeaders?: SandboxHeaderAnalyzer;
}

/** A running web inbox. */
export interface WebInbox {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
// The message's own HTML: never a script, never a form, no remote fetch until allowed.
const BODY_POLICY =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'";
const BODY_POLICY_REMOTE =
  "default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline' http: https:; font-src data: http: https:; media-src http: https:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'";

function send(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": PAGE_POLICY,
    ...headers,
  });
  response.end(body);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), { "content-type": "application/json" });
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1_000_000) throw new Error("request body over 1 MB");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A quoted RFC 6266 filename plus its UTF-8 form. */
function disposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Inline (cid:) images become data: URLs, so the body needs nothing from any server. */
function inlineCidImages(html: string, parts: readonly Attachment[]): string {
  return html.replace(/(["'(])cid:([^"')\s]+)/gi, (whole, quote: string, id: string) => {
    const part = parts.find(
      (entry) => entry.contentId?.replace(/^<|>$/g, "") === decodeURIComponent(id),
    );
    if (!part) return whole;
    return `${quote}data:${part.contentType};base64,${part.content.toString("base64")}`;
  });
}

/**
 * Starts the web inbox.
 * @param source the store to show
 * @param options host, port, header analyzer
 */
export async function startWebInbox(
  source: WebInboxSource,
  options: WebInboxOptions = {},
): Promise<WebInbox> {
  const host = options.host ?? "127.0.0.1";
  const readParts = createPartReader();
  const analyses = new Map<string, Promise<SandboxHeaderAnalysis | Error>>();
  const streams = new Set<ServerResponse>();
  const unsubscribe = source.subscribe(() => {
    for (const stream of streams) stream.write("event: change\ndata: {}\n\n");
  });
  let origin = "";
  let port = 0;

  // Loopback under either name (127.0.0.1 / localhost / ::1) on our port is the sandbox itself.
  const sameSite = (from: string | undefined) => {
    if (from === undefined) return true;
    try {
      const parsed = new URL(from);
      return (
        parsed.port === String(port) &&
        ["127.0.0.1", "localhost", "[::1]", host, `[${host}]`].includes(parsed.hostname)
      );
    } catch {
      return false;
    }
  };
  const find = (id: string | undefined): DeliveredMessage | undefined => {
    const messages = source.list();
    if (id === "latest") return messages.at(-1);
    return messages.find((message) => message.id === id);
  };
  const analyze = (message: DeliveredMessage) => {
    if (!options.analyzeHeaders) return Promise.resolve(undefined);
    let analysis = analyses.get(message.id);
    if (!analysis) {
      analysis = options
        .analyzeHeaders(message.raw ?? "")
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      analyses.set(message.id, analysis);
      if (analyses.size > 200) analyses.delete(analyses.keys().next().value as string);
    }
    return analysis;
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", origin);
    const method = request.method ?? "GET";
    const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    // Forms post from our own pages only: a page elsewhere cannot empty the inbox.
    if (method !== "GET" && method !== "HEAD") {
      const fetchSite = request.headers["sec-fetch-site"];
      if (fetchSite !== "same-origin" && !sameSite(request.headers.origin)) {
        send(response, 403, "cross-origin request refused", { "content-type": "text/plain" });
        return;
      }
    }
    if (segments[0] === "api" && segments[1] === "v1") {
      await api(segments.slice(2), method, url, request, response);
      return;
    }
    if (method === "GET" && url.pathname === "/") {
      const query = url.searchParams.get("q") ?? "";
      const messages = source.list().filter((message) => matchesQuery(message, query));
      send(response, 200, renderInbox(messages, query));
      return;
    }
    if (method === "GET" && url.pathname === "/fragment/rows") {
      const query = url.searchParams.get("q") ?? "";
      const messages = source.list().filter((message) => matchesQuery(message, query));
      send(response, 200, renderRows(messages), { "x-message-count": String(messages.length) });
      return;
    }
    if (method === "GET" && url.pathname === "/events") {
      response.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      response.write("retry: 500\n\n");
      streams.add(response);
      request.on("close", () => streams.delete(response));
      return;
    }
    if (url.pathname === "/favicon.ico") {
      send(response, 204, "");
      return;
    }
    if (method === "GET" && url.pathname === "/assets/sandbox.css") {
      send(response, 200, STYLESHEET, { "content-type": "text/css; charset=utf-8" });
      return;
    }
    if (method === "GET" && url.pathname === "/assets/sandbox.js") {
      send(response, 200, SCRIPT, { "content-type": "text/javascript; charset=utf-8" });
      return;
    }
    if (method === "GET" && url.pathname === "/parity") {
      const ids = url.searchParams.getAll("id");
      const [left, right] = ids.map((id) => find(id));
      if (ids.length !== 2 || !left || !right) {
        send(
          response,
          400,
          renderNotFound("Select exactly two messages in the inbox to compare them."),
        );
        return;
      }
      send(response, 200, renderParity(left, right));
      return;
    }
    if (method === "POST" && url.pathname === "/delete-all") {
      source.remove(source.list().map((message) => message.id));
      send(response, 303, "", { location: "/" });
      return;
    }
    if (segments[0] === "message") {
      const message = find(segments[1]);
      if (!message) {
        send(response, 404, renderNotFound("That message is not in the inbox (deleted?)."));
        return;
      }
      const action = segments[2];
      if (method === "POST" && action === "delete") {
        source.remove([message.id]);
        send(response, 303, "", { location: "/" });
        return;
      }
      if (method !== "GET") {
        send(response, 405, "method not allowed", { "content-type": "text/plain" });
        return;
      }
      if (action === undefined) {
        const [parts, analysis] = await Promise.all([readParts(message), analyze(message)]);
        send(response, 200, renderMessage(message, parts, analysis));
        return;
      }
      if (action === "html") {
        const parts = await readParts(message);
        const remote = url.searchParams.get("remote") === "1";
        send(response, 200, inlineCidImages(message.html ?? "", parts), {
          "content-security-policy": remote ? BODY_POLICY_REMOTE : BODY_POLICY,
          "referrer-policy": "no-referrer",
        });
        return;
      }
      if (action === "raw.eml") {
        send(response, 200, message.raw ?? "", {
          "content-type": "message/rfc822",
          "content-disposition": disposition(`${message.id}.eml`),
        });
        return;
      }
      if (action === "part") {
        const part = (await readParts(message))[Number(segments[3]) - 1];
        if (!part) {
          send(response, 404, renderNotFound("No such attachment."));
          return;
        }
        send(response, 200, part.content, {
          "content-type": part.contentType,
          "content-disposition": disposition(part.filename ?? `part-${segments[3]}`),
        });
        return;
      }
    }
    send(response, 404, renderNotFound(`Nothing at ${url.pathname}.`));
  }

  async function api(
    segments: readonly string[],
    method: string,
    url: URL,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const start = Math.max(0, Number(url.searchParams.get("start") ?? 0) || 0);
    const limit = Math.max(1, Number(url.searchParams.get("limit") ?? 50) || 50);
    const all = source.list();
    const [first, id, sub, partId] = segments;
    if (first === "messages" && method === "GET" && !id) {
      json(response, 200, listAnswer(all, all.length, start, limit));
      return;
    }
    if (first === "messages" && method === "DELETE" && !id) {
      const text = await readBody(request);
      const ids = text ? ((JSON.parse(text) as { IDs?: string[] }).IDs ?? []) : [];
      source.remove(ids.length ? ids : all.map((message) => message.id));
      send(response, 200, "ok", { "content-type": "text/plain" });
      return;
    }
    if (first === "search" && !id) {
      const found = search(all, url.searchParams.get("query") ?? "");
      if (method === "GET") {
        json(response, 200, listAnswer(found, all.length, start, limit));
        return;
      }
      if (method === "DELETE") {
        source.remove(found.map((message) => message.id));
        send(response, 200, "ok", { "content-type": "text/plain" });
        return;
      }
    }
    if (first === "info" && method === "GET") {
      json(response, 200, {
        Version: "mailpath-emulator",
        LatestVersion: "",
        Database: "memory",
        DatabaseSize: 0,
        Messages: all.length,
        Unread: all.length,
        Tags: {},
        RuntimeStats: { Uptime: Math.round(process.uptime()) },
      });
      return;
    }
    if (first === "message" && method === "GET") {
      const message = find(id);
      if (!message) {
        send(response, 404, "message not found", { "content-type": "text/plain" });
        return;
      }
      if (sub === undefined) {
        json(response, 200, messageAnswer(message, await readParts(message)));
        return;
      }
      if (sub === "headers") {
        json(response, 200, headersAnswer(message));
        return;
      }
      if (sub === "raw") {
        send(response, 200, message.raw ?? "", { "content-type": "text/plain; charset=utf-8" });
        return;
      }
      if (sub === "part") {
        const part = (await readParts(message))[Number(partId) - 1];
        if (!part) {
          send(response, 404, "part not found", { "content-type": "text/plain" });
          return;
        }
        send(response, 200, part.content, {
          "content-type": part.contentType,
          "content-disposition": disposition(part.filename ?? `part-${partId}`),
        });
        return;
      }
    }
    send(response, 404, "not found", { "content-type": "text/plain" });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else
        send(response, 500, `sandbox error: ${(error as Error).message}`, {
          "content-type": "text/plain",
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  origin = `http://${shownHost}:${port}`;
  return {
    url: `${origin}/`,
    port,
    close() {
      unsubscribe();
      for (const stream of streams) stream.end();
      streams.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
