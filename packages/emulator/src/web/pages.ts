// Server-rendered pages of the sandbox: the inbox list and the message view. Everything a
// message carries is escaped here; its HTML body is only ever served to a sandboxed iframe.
import type { DeliveredMessage } from "@mailpath/core/testing";
import type { Attachment } from "mailparser";
import { RELAY_HOSTNAME, SUBMISSION_HOSTNAME } from "../smtp/index.js";
import {
  headerLines,
  newestFirst,
  PATH_LABELS,
  rawSize,
  type SandboxHeaderAnalysis,
  snippet,
} from "./model.js";

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** 1536 → "1.5 kB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The page around every view. */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · mailpath sandbox</title>
<link rel="stylesheet" href="/assets/sandbox.css">
<script src="/assets/sandbox.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a href="/" class="brand">mailpath sandbox</a><span class="tagline">a local Exchange Online inbox</span></header>
<main id="main">
${body}
</main>
</body>
</html>`;
}

function address(entry: { address: string; name?: string } | undefined): string {
  if (!entry) return "";
  return entry.name ? `${entry.name} <${entry.address}>` : entry.address;
}

/**
 * What Exchange answered the client that delivered this message: the SMTP submission reply
 * and Graph's status are fixed for a stored message; the relay's InternalId is not kept.
 */
export function exchangeReply(message: DeliveredMessage): string {
  const id = message.messageId ?? "<…>";
  if (message.path === "smtp") return `250 2.0.0 OK ${id} [Hostname=${SUBMISSION_HOSTNAME}]`;
  if (message.path === "relay") {
    return `250 2.6.0 ${id} [InternalId=…, Hostname=${RELAY_HOSTNAME}] Queued mail for delivery`;
  }
  if (message.path === "graph") return "202 Accepted";
  return "";
}

function badges(message: DeliveredMessage): string {
  const path = `<span class="badge path-${escapeHtml(message.path)}">${escapeHtml(PATH_LABELS[message.path] ?? message.path)}</span>`;
  const sent = message.savedToSentItems
    ? ` <span class="badge sent" title="Exchange saved a copy to the sender's Sent Items">Sent Items copy</span>`
    : "";
  return path + sent;
}

/** The rows of the inbox table (also sent alone to refresh the list live). */
export function renderRows(messages: readonly DeliveredMessage[]): string {
  if (messages.length === 0) {
    return `<tr><td colspan="6" class="empty">No messages yet. Send one with the variables <code>mailpath-emulator</code> printed.</td></tr>`;
  }
  return newestFirst(messages)
    .map(
      (message) => `<tr data-id="${escapeHtml(message.id)}">
<td><input type="checkbox" name="id" value="${escapeHtml(message.id)}" form="compare" aria-label="Compare ${escapeHtml(message.subject || "(no subject)")} (${escapeHtml(PATH_LABELS[message.path] ?? message.path)})"></td>
<td>${escapeHtml(message.receivedAt.toISOString().replace("T", " ").slice(0, 19))}</td>
<td>${escapeHtml(address(message.from) || message.envelope.from)}</td>
<td>${escapeHtml(message.envelope.to.join(", "))}</td>
<td><a class="open" href="/message/${encodeURIComponent(message.id)}">${escapeHtml(message.subject || "(no subject)")}</a><div class="snippet">${escapeHtml(snippet(message))}</div></td>
<td>${badges(message)}${message.attachments.length ? ` <span class="badge">${message.attachments.length} attachment${message.attachments.length === 1 ? "" : "s"}</span>` : ""}</td>
</tr>`,
    )
    .join("\n");
}

/** The inbox: search, delete all, the live table. */
export function renderInbox(messages: readonly DeliveredMessage[], query: string): string {
  return layout(
    "Inbox",
    `<h1>Inbox</h1>
<div class="toolbar">
<form method="get" action="/" role="search">
<label for="q">Search sender, recipient or subject</label>
<input id="q" name="q" type="search" value="${escapeHtml(query)}" placeholder="from:ada@contoso.com to:… subject:…" accesskey="s">
<button type="submit">Search</button>
</form>
<form method="get" action="/parity" id="compare">
<button type="submit">Compare two selected</button>
</form>
<form method="post" action="/delete-all" class="danger" data-confirm="Delete every message?">
<button type="submit">Delete all</button>
</form>
</div>
<p id="live" class="live" role="status" aria-live="polite">${messages.length} message(s)${query ? ` matching “${escapeHtml(query)}”` : ""}; the list updates as mail arrives.</p>
<table class="inbox">
<caption class="visually-hidden">Delivered messages, newest first</caption>
<thead><tr><th scope="col"><span class="visually-hidden">Compare</span></th><th scope="col">Received (UTC)</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Path</th></tr></thead>
<tbody id="messages" data-query="${escapeHtml(query)}">
${renderRows(messages)}
</tbody>
</table>
<p class="hint">Keys: <kbd>/</kbd> search, <kbd>j</kbd>/<kbd>k</kbd> next/previous message, <kbd>Enter</kbd> open.</p>`,
  );
}

function analysisSection(analysis: SandboxHeaderAnalysis | Error | undefined): string {
  if (analysis === undefined) {
    return `<p>Header analysis needs <code>@mailpath/inspect</code>: start the sandbox with <code>npx mailpath sandbox</code>, or install it next to the emulator.</p>`;
  }
  if (analysis instanceof Error) {
    return `<p>Header analysis failed: ${escapeHtml(analysis.message)}</p>`;
  }
  const auth = analysis.authentication;
  const row = (name: string, result: string | undefined, detail: string) =>
    `<tr><th scope="row">${name}</th><td><span class="verdict v-${escapeHtml(result ?? "none")}" data-method="${name.toLowerCase()}">${escapeHtml(result ?? "none")}</span></td><td>${escapeHtml(detail)}</td></tr>`;
  const dkim = auth.dkim.length
    ? auth.dkim
        .map((entry) =>
          row(
            "DKIM",
            entry.result,
            [entry.domain && `d=${entry.domain}`, entry.selector && `s=${entry.selector}`]
              .filter(Boolean)
              .join(" "),
          ),
        )
        .join("")
    : row("DKIM", undefined, "no DKIM result in Authentication-Results");
  const spam = analysis.spam;
  const spamFacts = [
    spam.scl !== undefined && `SCL ${spam.scl}`,
    spam.bcl !== undefined && `BCL ${spam.bcl}`,
    spam.sfv && `SFV ${spam.sfv}`,
    spam.cat && `CAT ${spam.cat}`,
    spam.authAs && `AuthAs ${spam.authAs}`,
    spam.directionality && `direction ${spam.directionality}`,
  ].filter(Boolean);
  return `<p>Overall: <span class="verdict v-${escapeHtml(analysis.verdict)}" id="overall-verdict">${escapeHtml(analysis.verdict)}</span>${auth.authservId ? ` (judged by ${escapeHtml(auth.authservId)})` : ""}</p>
<table class="analysis"><caption>Authentication</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
<tbody>
${row("SPF", auth.spf?.result, [auth.spf?.domain && `smtp.mailfrom=${auth.spf.domain}`, auth.spf?.ip && `ip=${auth.spf.ip}`].filter(Boolean).join(" "))}
${dkim}
${row("DMARC", auth.dmarc?.result, [auth.dmarc?.domain && `header.from=${auth.dmarc.domain}`, auth.dmarc?.policy && `p=${auth.dmarc.policy}`, auth.dmarc?.action && `action=${auth.dmarc.action}`].filter(Boolean).join(" "))}
${row("compauth", auth.compauth?.result, auth.compauth?.reason ? `reason=${auth.compauth.reason}` : "")}
</tbody></table>
<h3>Spam verdicts</h3>
<p>${spamFacts.length ? escapeHtml(spamFacts.join(" · ")) : "No Exchange Online Protection verdicts in the headers."}</p>
<h3>Hops</h3>
${
  analysis.hops.length
    ? `<ol class="hops">${analysis.hops
        .map(
          (hop) =>
            `<li>${escapeHtml(hop.from ?? "?")} → ${escapeHtml(hop.by ?? "?")}${hop.with ? ` with ${escapeHtml(hop.with)}` : ""}${hop.at ? `, ${escapeHtml(hop.at)}` : ""}${hop.delayMs !== null ? ` (+${hop.delayMs} ms)` : ""}</li>`,
        )
        .join("")}</ol>`
    : "<p>No Received headers.</p>"
}
<h3>Findings</h3>
${
  analysis.findings.length
    ? `<ul class="findings">${analysis.findings.map((finding) => `<li class="f-${escapeHtml(finding.severity)}"><strong>${escapeHtml(finding.severity)}</strong> ${escapeHtml(finding.message)}</li>`).join("")}</ul>`
    : "<p>None.</p>"
}`;
}

/** The message view. */
export function renderMessage(
  message: DeliveredMessage,
  parts: readonly Attachment[],
  analysis: SandboxHeaderAnalysis | Error | undefined,
): string {
  const base = `/message/${encodeURIComponent(message.id)}`;
  const addresses = (entries: readonly { address: string; name?: string }[]) =>
    escapeHtml(entries.map((entry) => address(entry)).join(", ") || "—");
  const html =
    message.html !== undefined
      ? `<p><button type="button" id="load-remote" data-src="${base}/html?remote=1">Load remote content</button> <span class="hint">Remote images, styles and fonts are blocked until you allow them; scripts never run.</span></p>
<iframe id="html-body" title="HTML body of the message" sandbox="" referrerpolicy="no-referrer" src="${base}/html"></iframe>`
      : "<p>This message has no HTML body.</p>";
  const attachments = parts.length
    ? `<ul class="attachments">${parts
        .map(
          (part, index) =>
            `<li><a href="${base}/part/${index + 1}" download="${escapeHtml(part.filename ?? `part-${index + 1}`)}">${escapeHtml(part.filename ?? `part ${index + 1}`)}</a> <span class="meta">${escapeHtml(part.contentType)} · ${formatBytes(part.size)}${part.contentDisposition === "inline" || part.related ? " · inline" : ""}</span></li>`,
        )
        .join("")}</ul>`
    : "<p>No attachments.</p>";
  return layout(
    message.subject || "(no subject)",
    `<p><a href="/">← Inbox</a></p>
<h1>${escapeHtml(message.subject || "(no subject)")}</h1>
<dl class="summary">
<dt>From</dt><dd>${escapeHtml(address(message.from) || "—")}</dd>
<dt>To</dt><dd>${addresses(message.to)}</dd>
${message.cc.length ? `<dt>Cc</dt><dd>${addresses(message.cc)}</dd>` : ""}
${message.bcc.length ? `<dt>Bcc (envelope)</dt><dd>${addresses(message.bcc)}</dd>` : ""}
<dt>Envelope</dt><dd>MAIL FROM ${escapeHtml(message.envelope.from || "<>")} · RCPT TO ${escapeHtml(message.envelope.to.join(", "))}</dd>
<dt>Path</dt><dd>${badges(message)}${message.submittedBy ? ` submitted by ${escapeHtml(message.submittedBy)}` : ""}</dd>
<dt>Exchange's reply</dt><dd><code id="exchange-reply">${escapeHtml(exchangeReply(message))}</code></dd>
<dt>Received</dt><dd>${escapeHtml(message.receivedAt.toISOString())} · ${formatBytes(rawSize(message))}</dd>
<dt>Message-ID</dt><dd>${escapeHtml(message.messageId ?? "—")}</dd>
</dl>
<div class="actions">
<a href="${base}/raw.eml" download>Download .eml</a>
<form method="post" action="${base}/delete" class="danger" data-confirm="Delete this message?"><button type="submit">Delete</button></form>
</div>
<section aria-labelledby="h-html"><h2 id="h-html">HTML body</h2>${html}</section>
<section aria-labelledby="h-text"><h2 id="h-text">Text body</h2>${message.text !== undefined ? `<pre class="text">${escapeHtml(message.text)}</pre>` : "<p>This message has no text body.</p>"}</section>
<section aria-labelledby="h-att"><h2 id="h-att">Attachments</h2>${attachments}</section>
<section aria-labelledby="h-analysis"><h2 id="h-analysis">Header analysis</h2>${analysisSection(analysis)}</section>
<section aria-labelledby="h-headers"><h2 id="h-headers">All headers</h2>
<table class="headers"><thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead><tbody>
${headerLines(message)
  .map(
    (line) =>
      `<tr><th scope="row">${escapeHtml(line.name)}</th><td>${escapeHtml(line.value)}</td></tr>`,
  )
  .join("\n")}
</tbody></table></section>`,
  );
}

/** A 404 page. */
export function renderNotFound(what: string): string {
  return layout(
    "Not found",
    `<h1>Not found</h1><p>${escapeHtml(what)}</p><p><a href="/">Inbox</a></p>`,
  );
}

/** The page's stylesheet. */
export const STYLESHEET = `
:root { color-scheme: light dark; --accent: #0f6cbd; --muted: #616161; font-family: system-ui, sans-serif; }
body { margin: 0; line-height: 1.4; }
main { padding: 0 1.5rem 2rem; max-width: 1200px; }
.top { background: var(--accent); color: #fff; padding: .6rem 1.5rem; display: flex; gap: 1rem; align-items: baseline; }
.top a { color: #fff; font-weight: 600; text-decoration: none; }
.tagline { opacity: .85; font-size: .9rem; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .3rem; z-index: 1; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
a:focus-visible, button:focus-visible, input:focus-visible, tr:focus-within { outline: 3px solid #f7b500; outline-offset: 1px; }
.toolbar { display: flex; gap: 1rem; align-items: end; flex-wrap: wrap; }
.toolbar label { display: block; font-size: .85rem; color: var(--muted); }
.toolbar input { width: 26rem; max-width: 80vw; padding: .35rem; }
button { padding: .35rem .8rem; cursor: pointer; }
.danger button { color: #b10e1c; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #8883; vertical-align: top; }
.inbox td:first-child { white-space: nowrap; font-variant-numeric: tabular-nums; }
.snippet, .meta, .hint, .live { color: var(--muted); font-size: .85rem; }
.snippet { max-width: 40rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.badge { display: inline-block; border-radius: 1rem; padding: 0 .5rem; font-size: .78rem; border: 1px solid #8886; white-space: nowrap; }
.path-smtp { background: #e0f0ff; color: #0b3d6e; } .path-relay { background: #eee3ff; color: #3b1d6e; } .path-graph { background: #ddf5e4; color: #0e4d24; }
.sent { background: #fff4ce; color: #5c4400; }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
.summary dt { font-weight: 600; }
.summary dd { margin: 0; }
.actions { display: flex; gap: 1rem; align-items: center; margin: 1rem 0; }
iframe { width: 100%; height: 420px; border: 1px solid #8886; resize: vertical; background: #fff; }
pre.text { white-space: pre-wrap; background: #8881; padding: .8rem; }
.verdict { font-weight: 600; padding: 0 .4rem; border-radius: .3rem; }
.v-pass { background: #ddf5e4; color: #0e4d24; } .v-fail, .v-softfail, .v-permerror { background: #fde7e9; color: #8a0010; }
.v-none, .v-neutral, .v-warn, .v-temperror { background: #fff4ce; color: #5c4400; }
.headers th { white-space: nowrap; font-family: ui-monospace, monospace; font-size: .85rem; }
.headers td { font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-all; }
.f-fail { color: #8a0010; } .f-warn { color: #5c4400; }
.parity-title { font-size: 1.4rem; }
.parity pre { margin: 0; white-space: pre-wrap; word-break: break-all; font-size: .85rem; max-height: 12rem; overflow: auto; }
.parity tr.differs { background: #fde7e955; } .parity tr.expected { background: #fff4ce55; }
.badge.diff { background: #fde7e9; color: #8a0010; }
.only-differences .parity tr.same { display: none; }
`;

/** The page's script: live list over server-sent events, keyboard navigation, remote content. */
export const SCRIPT = `
"use strict";
const rows = document.getElementById("messages");
const live = document.getElementById("live");
if (rows) {
  const query = rows.dataset.query || "";
  const refresh = async () => {
    const response = await fetch("/fragment/rows?q=" + encodeURIComponent(query));
    if (!response.ok) return;
    const count = response.headers.get("x-message-count");
    const checked = new Set([...rows.querySelectorAll("input[name=id]:checked")].map((box) => box.value));
    rows.innerHTML = await response.text();
    for (const box of rows.querySelectorAll("input[name=id]")) box.checked = checked.has(box.value);
    if (live && count !== null) live.textContent = count + " message(s)" + (query ? " matching “" + query + "”" : "") + "; updated " + new Date().toLocaleTimeString() + ".";
  };
  const events = new EventSource("/events");
  events.addEventListener("change", () => { refresh(); });
  // A reconnect may have missed changes: redraw once the stream is back.
  let opened = false;
  events.addEventListener("open", () => { if (opened) refresh(); opened = true; });
}
const only = document.getElementById("only-differences");
if (only) only.addEventListener("change", () => document.body.classList.toggle("only-differences", only.checked));
const button = document.getElementById("load-remote");
const frame = document.getElementById("html-body");
if (button && frame) {
  button.addEventListener("click", () => {
    frame.src = button.dataset.src;
    button.disabled = true;
    button.textContent = "Remote content loaded";
  });
}
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => { if (!confirm(form.dataset.confirm)) event.preventDefault(); });
}
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "/") {
    const search = document.getElementById("q");
    if (search) { event.preventDefault(); search.focus(); }
    return;
  }
  if (event.key !== "j" && event.key !== "k") return;
  const links = [...document.querySelectorAll("#messages a.open")];
  if (links.length === 0) return;
  const at = links.indexOf(document.activeElement);
  const next = event.key === "j" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
  links[next].focus();
});
`;
