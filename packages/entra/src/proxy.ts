// HTTPS proxy settings shared by Entra and Graph: which proxy (the `proxy` option, else
// https_proxy / HTTPS_PROXY), which hosts bypass it (NO_PROXY), and a CONNECT tunnel for the
// node:https requests of the token endpoint. TLS is always end to end: the proxy only sees the
// host name and port of the CONNECT, never the secret, the token or the message.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type Socket } from "node:net";
import * as tls from "node:tls";
import type { MailIssue } from "@mailpath/core";

/**
 * An HTTPS proxy for Graph and Entra: its URL (`http://proxy.corp:3128`, with `user:password@`
 * when it asks for Basic authentication), `{ url, noProxy }`, or `false` for direct
 * connections whatever the environment says.
 * @since 0.1.0
 */
export type ProxyOption =
  | string
  | {
      readonly url: string;
      /**
       * Hosts reached directly: `contoso.com` (and its subdomains), `.contoso.com`,
       * `host:port`, `*` for all. A comma-separated string or a list.
       * @default NO_PROXY / no_proxy
       */
      readonly noProxy?: string | readonly string[];
    }
  | false;

/** A proxy after validation. */
export interface ResolvedProxy {
  /** `http:` or `https:` proxy URL, credentials included. */
  readonly url: URL;
  /** NO_PROXY entries, lower case. */
  readonly noProxy: readonly string[];
  /** The proxy's user:password, to be redacted from every error and log. */
  readonly secrets: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

function splitNoProxy(value: string | readonly string[] | undefined): string[] {
  const list = typeof value === "string" ? value.split(/[\s,]+/) : [...(value ?? [])];
  return list.map((entry) => entry.trim().toLowerCase()).filter((entry) => entry.length > 0);
}

/**
 * The proxy for this option and environment, or undefined for direct connections. The
 * environment is read once, here: `https_proxy` before `HTTPS_PROXY`, `no_proxy` before
 * `NO_PROXY` (curl's order). `HTTP_PROXY` is not used: every request here is HTTPS.
 * @param issues receives a problem naming `path` (or the variable) when the URL is unusable.
 */
export function resolveProxy(
  option: ProxyOption | undefined,
  issues: MailIssue[],
  path = "proxy",
  env: Env = process.env,
): ResolvedProxy | undefined {
  if (option === false) return undefined;
  let raw: string | undefined;
  let where = path;
  let noProxy: string | readonly string[] | undefined = env.no_proxy ?? env.NO_PROXY;
  if (typeof option === "string") raw = option;
  else if (option !== undefined && typeof option === "object" && option !== null) {
    raw = option.url;
    where = `${path}.url`;
    if (option.noProxy !== undefined) noProxy = option.noProxy;
  } else if (option !== undefined) {
    issues.push({ path, message: "must be a proxy URL, { url, noProxy } or false" });
    return undefined;
  } else {
    raw = env.https_proxy ?? env.HTTPS_PROXY;
    where = env.https_proxy !== undefined ? "https_proxy" : "HTTPS_PROXY";
    if (raw === undefined || raw.trim() === "") return undefined;
  }
  let url: URL;
  try {
    // `proxy.corp:3128` without a scheme is read as http://, as curl does.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw ?? "") ? raw! : `http://${raw}`);
  } catch {
    issues.push({ path: where, message: "is not a URL (expected http://host:port)" });
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    issues.push({
      path: where,
      message: `must be an http:// or https:// proxy (HTTP CONNECT), got ${url.protocol}//${
        url.protocol.startsWith("socks") ? ": SOCKS is not supported for Graph and Entra" : ""
      }`,
    });
    return undefined;
  }
  const secrets = [url.password, decodeURIComponent(url.password)].filter(
    (value) => value.length > 0,
  );
  return { url, noProxy: splitNoProxy(noProxy), secrets };
}

/** Whether requests to `target` go through the proxy (false when NO_PROXY names its host). */
export function usesProxy(proxy: ResolvedProxy, target: URL): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  for (const entry of proxy.noProxy) {
    if (entry === "*") return false;
    const match = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[([^\]]+)\](.*)$/, "$1$2"))!;
    const name = match[1]!.replace(/^\*?\./, "");
    if (match[2] !== undefined && match[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return false;
  }
  return true;
}

/** The proxy URL as it may be shown: scheme, host and port, never the credentials. */
export function describeProxy(proxy: ResolvedProxy): string {
  return `${proxy.url.protocol}//${proxy.url.host}`;
}

/**
 * Opens a CONNECT tunnel to `host:port` through the proxy and starts TLS to the target over
 * it, with the caller's TLS options (certificate verification stays on). Calls `done` with
 * the TLS socket (handshake under way) or with an error coded `EPROXY` when the proxy refuses.
 * @returns a function that cancels the tunnel while it is being opened.
 */
export function openTunnel(
  proxy: ResolvedProxy,
  host: string,
  port: number,
  tlsOptions: tls.ConnectionOptions,
  done: (error: NodeJS.ErrnoException | null, socket?: Socket) => void,
): () => void {
  const bareHost = host.replace(/^\[|\]$/g, "");
  const authority = `${isIP(bareHost) === 6 ? `[${bareHost}]` : bareHost}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.url.username || proxy.url.password) {
    const credentials = `${decodeURIComponent(proxy.url.username)}:${decodeURIComponent(proxy.url.password)}`;
    headers["proxy-authorization"] = `Basic ${Buffer.from(credentials).toString("base64")}`;
  }
  const secure = proxy.url.protocol === "https:";
  const connect = (secure ? httpsRequest : httpRequest)({
    host: proxy.url.hostname.replace(/^\[|\]$/g, ""),
    port: proxy.url.port || (secure ? 443 : 80),
    method: "CONNECT",
    path: authority,
    headers,
    agent: false,
    ...(secure && { minVersion: "TLSv1.2", rejectUnauthorized: true }),
  });
  let finished = false;
  const finish = (error: NodeJS.ErrnoException | null, socket?: Socket) => {
    if (finished) return;
    finished = true;
    done(error, socket);
  };
  connect.once("connect", (response, socket, head) => {
    if (response.statusCode !== 200) {
      socket.destroy();
      const error: NodeJS.ErrnoException = new Error(
        `The proxy ${describeProxy(proxy)} answered ${response.statusCode} to CONNECT ${authority}`,
      );
      error.code = "EPROXY";
      finish(error);
      return;
    }
    if (head.length > 0) socket.unshift(head);
    const tlsSocket = tls.connect({
      ...tlsOptions,
      socket,
      ...(isIP(bareHost) === 0 && { servername: bareHost }),
    });
    finish(null, tlsSocket);
  });
  connect.once("error", (error: NodeJS.ErrnoException) => finish(error));
  connect.end();
  return () => {
    if (!finished) {
      finished = true;
      connect.destroy();
    }
  };
}
