// The doctor's SMTP AUTH and relay probes: the dialogue a transport has with Exchange, one
// visible step at a time, stopping before DATA unless asked to send.
import { randomUUID } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { hostname } from "node:os";
import {
  checkServerIdentity,
  type DetailedPeerCertificate,
  rootCertificates,
  type TLSSocket,
} from "node:tls";
import { type Cloud, classifySmtpReply, mxHostForDomain, resolveCloud } from "@mailpath/core";
import { createDnsResolver, type DnsOptions } from "../dns/resolver.js";
import { ehloKeywords, SmtpDialogue, type SmtpReply } from "./smtp-dialogue.js";
import {
  type DoctorProgress,
  type PathReport,
  StepFailure,
  type StepOutcome,
  StepRunner,
} from "./steps.js";
import { acquireToken, decodeClaims, TokenError, type TokenSource } from "./token.js";

/**
 * Options every doctor probe takes.
 * @since 0.1.0
 */
export interface ProbeOptions extends DnsOptions, DoctorProgress {
  /** Extra trusted CA (PEM), added to the system's roots. */
  readonly ca?: string;
  /** The tenant's cloud: picks scopes, audiences and the MX suffix. @default "global" */
  readonly cloud?: Cloud;
  /** Time limit of each network step. @default 15_000 */
  readonly timeoutMs?: number;
  /** Clock, for step times and token expiry. @default Date.now */
  readonly now?: () => number;
  /** The sender (`MAIL FROM`). */
  readonly from: string;
  /** A recipient to try with `RCPT TO` (and to send to with `send`). */
  readonly to?: string;
  /** Send one real message after the checks. @default false */
  readonly send?: boolean;
}

/**
 * Options of `checkSmtp`.
 * @since 0.1.0
 */
export interface SmtpProbeOptions extends ProbeOptions {
  readonly host: string;
  /** @default 587 */
  readonly port?: number;
  readonly auth:
    | { readonly method: "password"; readonly user: string; readonly password: string }
    | {
        readonly method: "oauth";
        readonly user: string;
        readonly token: TokenSource;
        /** The tenant the token should be for. */
        readonly tenantId?: string;
      };
}

/**
 * Options of `checkRelay`.
 * @since 0.1.0
 */
export interface RelayProbeOptions extends ProbeOptions {
  /** The relay host; absent: the MX endpoint of `domain`. */
  readonly host?: string;
  /** An accepted domain of the tenant, whose MX is the relay endpoint. */
  readonly domain?: string;
  /** @default 25 */
  readonly port?: number;
  /** Local IP to connect from (what an IP-matched connector lists). */
  readonly localAddress?: string;
  /** Client certificate and key (PEM) for a certificate-matched connector. */
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** The external address RCPT tries, to see whether the connector lets mail out. @default `to`, else postmaster@example.com */
  readonly externalRecipient?: string;
}

const DAY_MS = 86_400_000;

/** Explains a thrown network error as a step failure. */
export function explainError(error: unknown): { detail: string; reply?: string; fix?: string } {
  if (error instanceof TokenError)
    return { detail: error.message, reply: error.reply, fix: error.fix };
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const fixes: Record<string, string> = {
    ECONNREFUSED:
      "Nothing listens there: check the host and port (587 for SMTP AUTH, 25 for relay).",
    ETIMEDOUT:
      "No answer in time: a firewall may block the port (many clouds and ISPs block outbound 25).",
    ENOTFOUND: "The name does not resolve: check the host name and the DNS server.",
    ECONNRESET: "The server closed the connection: check the port and TLS settings.",
    EHOSTUNREACH: "No route to the host: check the network and the host.",
    EADDRNOTAVAIL:
      "The local address is not on this machine: fix MAILPATH_RELAY_LOCAL_ADDRESS or connect from the connector's IP.",
  };
  return {
    detail: code ? `${message} (${code})` : message,
    ...(code && fixes[code] && { fix: fixes[code] }),
  };
}

/** A failing reply as a step outcome, with Exchange's words and the classifier's fix. */
function refused(reply: SmtpReply, what: string, fix?: string): StepOutcome {
  const enhanced = /^\d\.\d{1,3}\.\d{1,3}/.exec(reply.lines[0] ?? "")?.[0];
  const classification = classifySmtpReply({
    replyCode: reply.code,
    ...(enhanced && { enhancedCode: enhanced }),
    response: reply.text,
  });
  return {
    status: "fail",
    detail: `${what} refused`,
    reply: reply.text,
    fix: fix ?? classification.hint,
  };
}

async function resolveHost(
  host: string,
  options: DnsOptions,
): Promise<{ address: string; detail: string }> {
  if (isIP(host)) return { address: host, detail: `${host} is an IP address (no lookup)` };
  if (options.dnsServer) {
    const resolver = createDnsResolver(options);
    const addresses = await resolver.resolve4(host).catch(() => [] as string[]);
    const v6 = addresses.length ? [] : await resolver.resolve6(host).catch(() => [] as string[]);
    const all = [...addresses, ...v6];
    if (all.length === 0)
      throw new StepFailure(
        `${host} has no A/AAAA record at ${options.dnsServer}`,
        "Check the host name (smtp.office365.com for SMTP AUTH, <domain-key>.mail.protection.outlook.com for relay).",
      );
    return { address: all[0]!, detail: `${host} → ${all.join(", ")}` };
  }
  const all = await lookup(host, { all: true });
  return {
    address: all[0]!.address,
    detail: `${host} → ${all.map((entry) => entry.address).join(", ")}`,
  };
}

function chainOf(certificate: DetailedPeerCertificate): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = certificate;
  while (current && Object.keys(current).length > 0 && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    names.push(current.subject?.CN ?? current.subject?.O ?? "?");
    current = current.issuerCertificate;
  }
  return names;
}

/** Reads the TLS session: version, cipher, chain, expiry, name; fails what a client would refuse. */
function tlsOutcome(secure: TLSSocket, host: string, now: number): StepOutcome {
  const protocol = secure.getProtocol() ?? "?";
  const cipher = secure.getCipher()?.name ?? "?";
  const certificate = secure.getPeerCertificate(true);
  const chain = chainOf(certificate);
  const expires = Date.parse(certificate.valid_to);
  const daysLeft = Math.floor((expires - now) / DAY_MS);
  const nameError = checkServerIdentity(host, certificate);
  const seen = `${protocol}, ${cipher}, chain ${chain.join(" ← ")}, expires ${new Date(expires).toISOString().slice(0, 10)} (${daysLeft} days)${nameError ? "" : `, name ${host} matches`}`;
  const problems: string[] = [];
  const fixes: string[] = [];
  if (!["TLSv1.2", "TLSv1.3"].includes(protocol)) {
    problems.push(`${protocol} is older than TLS 1.2`);
    fixes.push(
      "Exchange Online requires TLS 1.2 or later (421 4.7.66): update the server or client's TLS.",
    );
  }
  // A name mismatch also leaves the socket unauthorized; it is reported as a name problem.
  const authorizationError = String(secure.authorizationError ?? "");
  if (!secure.authorized && authorizationError !== "ERR_TLS_CERT_ALTNAME_INVALID") {
    problems.push(`the certificate is not trusted (${authorizationError})`);
    fixes.push(
      "Set MAILPATH_TLS_CA_FILE to the CA that issued the server's certificate (the emulator's ca.pem), or remove the TLS-intercepting proxy in between.",
    );
  }
  if (nameError) {
    problems.push(`the certificate does not name ${host}`);
    fixes.push("Connect by the name on the certificate (smtp.office365.com), not by IP or alias.");
  }
  if (daysLeft < 0) {
    problems.push("the certificate has expired");
    fixes.push("The server's certificate must be renewed.");
  }
  if (problems.length > 0)
    return { status: "fail", detail: `${problems.join("; ")}: ${seen}`, fix: fixes.join(" ") };
  if (daysLeft < 14)
    return {
      status: "warn",
      detail: seen,
      fix: "The server's certificate expires within 14 days.",
    };
  return { status: "pass", detail: seen };
}

interface Session {
  dialogue?: SmtpDialogue;
  secure?: TLSSocket;
  keywords: Record<string, string[]>;
}

/** DNS, TCP, banner, EHLO, STARTTLS, TLS and EHLO again: what both SMTP paths share. */
async function openSession(
  runner: StepRunner,
  prefix: "smtp" | "relay",
  target: { host: string; port: number; localAddress?: string; cert?: string; key?: string },
  options: ProbeOptions,
  now: () => number,
): Promise<Session> {
  const session: Session = { keywords: {} };
  const timeoutMs = options.timeoutMs ?? 15_000;
  let address = target.host;
  const ehloName = hostname() || "mailpath-doctor";
  await runner.run(`${prefix}.dns`, "DNS of the host", async () => {
    const resolved = await resolveHost(target.host, options);
    address = resolved.address;
    return { status: "pass", detail: resolved.detail };
  });
  await runner.run(`${prefix}.tcp`, `TCP ${target.port}`, async () => {
    session.dialogue = await SmtpDialogue.connect({
      host: address,
      port: target.port,
      ...(target.localAddress && { localAddress: target.localAddress }),
      timeoutMs,
    });
    return {
      status: "pass",
      detail: `connected to ${address}:${target.port}${target.localAddress ? ` from ${target.localAddress}` : ""}`,
    };
  });
  await runner.run(`${prefix}.banner`, "Banner", async () => {
    const banner = await session.dialogue!.read();
    if (banner.code !== 220) return refused(banner, "the connection");
    return { status: "pass", detail: banner.text };
  });
  let first: Record<string, string[]> = {};
  await runner.run(`${prefix}.ehlo`, "EHLO", async () => {
    const reply = await session.dialogue!.command(`EHLO ${ehloName}`);
    if (reply.code !== 250) return refused(reply, "EHLO");
    first = ehloKeywords(reply);
    return { status: "pass", detail: Object.keys(first).join(" ") || "no extensions" };
  });
  await runner.run(`${prefix}.starttls`, "STARTTLS offered", async () => {
    if (!("STARTTLS" in first))
      return {
        status: "fail",
        detail: "the server does not offer STARTTLS",
        fix: "Exchange Online always offers STARTTLS: check that the host is Exchange's and that nothing strips STARTTLS in between.",
      };
    const reply = await session.dialogue!.command("STARTTLS");
    if (reply.code !== 220) return refused(reply, "STARTTLS");
    return { status: "pass", detail: reply.text };
  });
  await runner.run(`${prefix}.tls`, "TLS", async () => {
    try {
      session.secure = await session.dialogue!.upgrade({
        ...(!isIP(target.host) && { servername: target.host }),
        ...(options.ca && { ca: [...rootCertificates, options.ca] }),
        ...(target.cert && { cert: target.cert }),
        ...(target.key && { key: target.key }),
        rejectUnauthorized: false,
        minVersion: "TLSv1",
      });
    } catch (error) {
      const raw = error instanceof Error ? error.message : String(error);
      // OpenSSL's "…:SSL routines:<function>:<reason>:…" reads best as its reason alone.
      const message = /SSL routines:[^:]*:([^:]+)/.exec(raw)?.[1]?.trim() ?? raw;
      // TLS 1.0/1.1 shows as a version refusal, or (TLS 1.1 with SHA-1 signatures) as a
      // legacy signature algorithm the client will not accept.
      if (/protocol|version|legacy sigalg/i.test(message))
        throw new StepFailure(
          `no TLS version in common (${message}): the server offers only TLS older than 1.2`,
          "Exchange Online requires TLS 1.2 or later (421 4.7.66): enable TLS 1.2 on the server, or use smtp-legacy.office365.com only as a stop-gap.",
        );
      throw new StepFailure(
        `the TLS handshake failed: ${message}`,
        "Check MAILPATH_TLS_CA_FILE and that the port speaks SMTP with STARTTLS.",
      );
    }
    return tlsOutcome(session.secure, target.host, now());
  });
  await runner.run(`${prefix}.ehlo-tls`, "EHLO after TLS", async () => {
    const reply = await session.dialogue!.command(`EHLO ${ehloName}`);
    if (reply.code !== 250) return refused(reply, "EHLO");
    session.keywords = ehloKeywords(reply);
    const auth = session.keywords.AUTH;
    return {
      status: "pass",
      detail: `${Object.keys(session.keywords).join(" ")}${auth ? ` (AUTH ${auth.join(" ")})` : ""}`,
    };
  });
  return session;
}

function testMessage(
  from: string,
  to: string,
  path: string,
  now: number,
): { raw: string; id: string } {
  const domain = from.split("@")[1] ?? "mailpath.invalid";
  const id = `<${randomUUID()}@${domain}>`;
  const lines = [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: mailpath doctor: test message via ${path}`,
    `Date: ${new Date(now).toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: ${id}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `This message was sent by "mailpath doctor --send" to check the ${path} path.`,
    "",
  ];
  return { raw: `${lines.join("\r\n")}.\r\n`, id };
}

async function envelope(
  runner: StepRunner,
  prefix: "smtp" | "relay",
  session: Session,
  options: ProbeOptions & { readonly rcptTitle?: string; readonly recipient?: string },
  explainRcpt: (reply: SmtpReply) => StepOutcome,
  now: () => number,
): Promise<void> {
  const dialogue = session.dialogue!;
  await runner.run(`${prefix}.mail-from`, "MAIL FROM", async () => {
    const reply = await dialogue.command(`MAIL FROM:<${options.from}>`);
    if (reply.code !== 250) return refused(reply, `MAIL FROM:<${options.from}>`);
    return {
      status: "pass",
      detail: `${options.from} accepted: ${reply.text}${prefix === "smtp" && !options.send ? " (Exchange may check Send As only after DATA: --send proves it)" : ""}`,
    };
  });
  const recipient = options.recipient;
  if (!recipient && !runner.failed) {
    runner.skip(`${prefix}.rcpt`, "RCPT TO", "no recipient: give --to to try one");
  } else {
    await runner.run(`${prefix}.rcpt`, options.rcptTitle ?? "RCPT TO", async () => {
      if (!recipient) throw new StepFailure("no recipient");
      const reply = await dialogue.command(`RCPT TO:<${recipient}>`);
      if (reply.code !== 250 && reply.code !== 251) return explainRcpt(reply);
      return { status: "pass", detail: `${recipient} accepted: ${reply.text}` };
    });
  }
  if (runner.failed) {
    runner.skip(`${prefix}.send`, "Send", "not run: an earlier step failed");
    return;
  }
  if (!options.send || !recipient) {
    runner.skip(
      `${prefix}.send`,
      "Send",
      options.send ? "no recipient to send to" : "stopped before DATA: --send sends one message",
    );
    return;
  }
  await runner.run(`${prefix}.send`, "DATA", async () => {
    const start = await dialogue.command("DATA");
    if (start.code !== 354) return refused(start, "DATA");
    const message = testMessage(options.from, recipient, prefix, now());
    const reply = await dialogue.data(message.raw);
    if (reply.code !== 250) return refused(reply, "the message");
    return { status: "pass", detail: `sent ${message.id}: ${reply.text}` };
  });
}

/**
 * Checks the SMTP AUTH path step by step: DNS, TCP, banner, EHLO, STARTTLS, TLS, EHLO and
 * AUTH mechanisms, the token's claims for XOAUTH2, AUTH, MAIL FROM, RCPT TO (with `to`), and
 * DATA only with `send`.
 * @param options the endpoint, credentials and sender
 * @returns every step with what was seen and, on failure, Exchange's words and the fix
 * @since 0.1.0
 */
export async function checkSmtp(options: SmtpProbeOptions): Promise<PathReport> {
  const now = options.now ?? Date.now;
  const runner = new StepRunner(options, now, explainError);
  const port = options.port ?? 587;
  const endpoints = resolveCloud(options.cloud ?? "global");
  const session = await openSession(runner, "smtp", { host: options.host, port }, options, now);
  try {
    const { auth } = options;
    const mechanisms = (session.keywords.AUTH ?? []).map((entry) => entry.toUpperCase());
    let token: string | undefined;
    if (auth.method === "oauth") {
      await runner.run("smtp.token", "Access token (XOAUTH2)", async () => {
        token = await probeToken(auth.token, endpoints.smtpScope, options);
        return claimsOutcome(token, "smtp", endpoints.smtpScope, {
          ...(auth.tenantId && { tenantId: auth.tenantId }),
          now: now(),
        });
      });
    }
    const method =
      auth.method === "oauth"
        ? "XOAUTH2"
        : mechanisms.includes("PLAIN") && !mechanisms.includes("LOGIN")
          ? "PLAIN"
          : "LOGIN";
    await runner.run("smtp.auth", `AUTH ${method}`, async () => {
      if (!mechanisms.includes(method))
        return {
          status: "fail",
          detail: `the server offers AUTH ${mechanisms.join(" ") || "nothing"}, not ${method}`,
          fix:
            mechanisms.length === 0
              ? "AUTH is offered only after STARTTLS on smtp.office365.com:587: check host and port."
              : `Use a method the server offers (MAILPATH_SMTP_AUTH=${mechanisms.includes("XOAUTH2") ? "oauth" : "password"}).`,
        };
      const dialogue = session.dialogue!;
      let reply: SmtpReply;
      if (auth.method === "oauth") {
        const sasl = Buffer.from(
          `user=${auth.user}\x01auth=Bearer ${token ?? ""}\x01\x01`,
        ).toString("base64");
        reply = await dialogue.command(`AUTH XOAUTH2 ${sasl}`);
        // An XOAUTH2 failure may come as a 334 challenge with the error: answer it empty.
        if (reply.code === 334) reply = await dialogue.command("");
      } else if (method === "LOGIN") {
        reply = await dialogue.command("AUTH LOGIN");
        if (reply.code === 334)
          reply = await dialogue.command(Buffer.from(auth.user).toString("base64"));
        if (reply.code === 334)
          reply = await dialogue.command(Buffer.from(auth.password).toString("base64"));
      } else {
        reply = await dialogue.command(
          `AUTH PLAIN ${Buffer.from(`\x00${auth.user}\x00${auth.password}`).toString("base64")}`,
        );
      }
      if (reply.code !== 235) return refused(reply, `AUTH ${method} as ${auth.user}`);
      return { status: "pass", detail: `authenticated as ${auth.user}: ${reply.text}` };
    });
    await envelope(
      runner,
      "smtp",
      session,
      { ...options, ...(options.to && { recipient: options.to }) },
      (reply) => refused(reply, `RCPT TO:<${options.to}>`),
      now,
    );
  } finally {
    await session.dialogue?.close();
  }
  return {
    path: "smtp",
    target: `${options.host}:${port} as ${options.auth.user} (${options.auth.method})`,
    status: runner.status(),
    steps: runner.steps,
  };
}

/** Gets the app-only token for `scope` over the probe's CA, timeout and DNS server. */
export function probeToken(
  source: TokenSource,
  scope: string,
  options: ProbeOptions,
): Promise<string> {
  return acquireToken(source, scope, {
    ...(options.ca && { ca: options.ca }),
    timeoutMs: options.timeoutMs ?? 15_000,
    dns: options,
  });
}

/** The role each service needs in an app-only token, and how to grant it. */
const SERVICE_ROLES = {
  graph: {
    role: "Mail.Send",
    roleFix:
      "Add the application permission Mail.Send (Microsoft Graph) to the app registration and grant admin consent; if you scope the app with RBAC for Applications instead, run with --send to check it.",
  },
  smtp: {
    role: "SMTP.SendAsApp",
    roleFix:
      "Add the application permission SMTP.SendAsApp (Office 365 Exchange Online) and grant admin consent, then register the service principal in Exchange (New-ServicePrincipal) and give it the mailbox (Add-MailboxPermission); with RBAC for Applications instead, AUTH below decides.",
  },
} as const;

/**
 * Reads a token's claims against what the receiving service expects: the audience of `scope`,
 * the service's role, the tenant (when given) and an expiry in the future.
 */
export function claimsOutcome(
  token: string,
  service: keyof typeof SERVICE_ROLES,
  scope: string,
  context: { readonly tenantId?: string; readonly now: number },
): StepOutcome {
  const expected = {
    ...SERVICE_ROLES[service],
    ...context,
    audience: scope.replace(/\/\.default$/, ""),
  };
  const claims = decodeClaims(token);
  if (!claims)
    return {
      status: "warn",
      detail: "the token is not a JWT: its claims cannot be read",
    };
  const roles = claims.roles ?? [];
  const minutes =
    claims.exp !== undefined ? Math.round((claims.exp * 1000 - expected.now) / 60_000) : undefined;
  const seen = `aud ${claims.aud ?? "?"}, roles [${roles.join(", ")}], tenant ${claims.tid ?? "?"}, app ${claims.appid ?? claims.azp ?? "?"}, expires in ${minutes ?? "?"} min`;
  const audience = expected.audience.replace(/\/$/, "").toLowerCase();
  if ((claims.aud ?? "").replace(/\/$/, "").toLowerCase() !== audience)
    return {
      status: "fail",
      detail: `the token is for ${claims.aud ?? "no audience"}, not ${expected.audience}: ${seen}`,
      fix: `Request the token with scope ${expected.audience}/.default.`,
    };
  if (
    expected.tenantId &&
    claims.tid &&
    claims.tid.toLowerCase() !== expected.tenantId.toLowerCase() &&
    /^[0-9a-f-]{36}$/i.test(expected.tenantId)
  )
    return {
      status: "fail",
      detail: `the token is from tenant ${claims.tid}, not ${expected.tenantId}: ${seen}`,
      fix: "Use the Directory (tenant) ID of the tenant that hosts the mailbox.",
    };
  if (minutes !== undefined && minutes <= 0)
    return {
      status: "fail",
      detail: `the token has expired: ${seen}`,
      fix: "Check the machine's clock.",
    };
  if (!roles.includes(expected.role))
    return {
      status: "fail",
      detail: `roles does not contain ${expected.role}: ${seen}`,
      fix: expected.roleFix,
      continue: true,
    };
  return { status: "pass", detail: seen };
}

/**
 * Checks the relay (connector) path: the MX endpoint, TCP 25, STARTTLS and TLS with the client
 * certificate, MAIL FROM of the sender's (accepted) domain, and what RCPT to an external
 * address answers: `5.7.1 Unable to relay` means no connector matched this client.
 * @param options the endpoint or domain, connector material and sender
 * @returns every step with what was seen and, on failure, Exchange's words and the fix
 * @since 0.1.0
 */
export async function checkRelay(options: RelayProbeOptions): Promise<PathReport> {
  const now = options.now ?? Date.now;
  const runner = new StepRunner(options, now, explainError);
  const port = options.port ?? 25;
  const cloud = options.cloud ?? "global";
  const suffix = resolveCloud(cloud).mxSuffix;
  let host = options.host;
  if (options.domain) {
    const domain = options.domain;
    await runner.run("relay.mx", "MX of the domain", async () => {
      const expected = mxHostForDomain(domain, cloud);
      const resolver = createDnsResolver(options);
      const records = await resolver
        .resolveMx(domain)
        .catch(() => [] as { exchange: string; priority: number }[]);
      host ??= expected;
      const list = records.map((record) => record.exchange).join(", ");
      if (records.some((record) => record.exchange.toLowerCase() === expected))
        return { status: "pass", detail: `${domain} MX ${list}` };
      return {
        status: "warn",
        detail: records.length
          ? `${domain} MX ${list}, not ${expected}`
          : `${domain} has no MX record`,
        fix: `Relay goes to ${expected}; publish it as ${domain}'s MX when Exchange Online hosts the domain.`,
      };
    });
  } else if (host && !isIP(host) && !host.toLowerCase().endsWith(suffix)) {
    runner.skip("relay.mx", "MX of the domain", `${host} is not a *${suffix} host (set directly)`);
  }
  const target = host ?? "";
  const session = await openSession(
    runner,
    "relay",
    {
      host: target,
      port,
      ...(options.localAddress && { localAddress: options.localAddress }),
      ...(options.clientCert && { cert: options.clientCert }),
      ...(options.clientKey && { key: options.clientKey }),
    },
    options,
    now,
  );
  try {
    if (session.secure) {
      await runner.run("relay.client-cert", "Client certificate", async () => {
        if (!options.clientCert)
          return {
            status: "pass",
            detail: `none offered: the connector must match this client's IP${options.localAddress ? ` (${options.localAddress})` : ""}`,
          };
        const certificate = session.secure!.getCertificate() as {
          subject?: { CN?: string };
          subjectaltname?: string;
        } | null;
        const name = certificate?.subject?.CN ?? "?";
        return {
          status: "pass",
          detail: `offered CN=${name}${certificate?.subjectaltname ? ` (${certificate.subjectaltname})` : ""}: the connector's TlsSenderCertificateName must match it`,
        };
      });
    }
    // The check is whether mail may leave the tenant, so RCPT names an external address
    // (the --to address when it is one); with `send`, the message goes to `to`.
    const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1).toLowerCase();
    const external =
      options.externalRecipient ??
      (options.to && domainOf(options.to) !== domainOf(options.from)
        ? options.to
        : "postmaster@example.com");
    const recipient = options.send && options.to ? options.to : external;
    const localIp = session.dialogue ? (options.localAddress ?? "this machine's public IP") : "";
    await envelope(
      runner,
      "relay",
      session,
      {
        ...options,
        recipient,
        rcptTitle: recipient === external ? "RCPT TO external address" : "RCPT TO",
      },
      (reply) => {
        if (/5\.7\.1\b/.test(reply.text) && /relay/i.test(reply.text))
          return {
            status: "fail",
            detail:
              "no connector matched this client, so Exchange treats it as direct send (internal recipients only)",
            reply: reply.text,
            fix: options.clientCert
              ? "The certificate matched no connector: set the connector's TlsSenderCertificateName to the certificate's name (a domain accepted in the tenant)."
              : `The connector did not match by IP: add ${localIp} to the connector's SenderIPAddresses, or connect from an IP it lists (MAILPATH_RELAY_LOCAL_ADDRESS); or use a certificate connector.`,
          };
        if (/5\.7\.64\b/.test(reply.text))
          return {
            status: "fail",
            detail: "the client certificate matched no connector",
            reply: reply.text,
            fix: "Set the connector's TlsSenderCertificateName to the certificate's CN/SAN (it must be in an accepted domain), and make sure the certificate is issued by a trusted CA.",
          };
        return refused(reply, `RCPT TO:<${recipient}>`);
      },
      now,
    );
  } finally {
    await session.dialogue?.close();
  }
  return {
    path: "relay",
    target: `${target}:${port}${options.localAddress ? ` from ${options.localAddress}` : ""}${options.clientCert ? " with a client certificate" : ""}`,
    status: runner.status(),
    steps: runner.steps,
  };
}
