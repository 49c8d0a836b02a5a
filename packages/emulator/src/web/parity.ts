// The parity view: two delivered messages (the same message sent over two paths) side by
// side, every field and header in a row, the rows that differ marked — the dry run's
// differences, seen for real.
import type { DeliveredMessage } from "@mailpath/core/testing";
import { headerLines, PATH_LABELS } from "./model.js";
import { escapeHtml, layout } from "./pages.js";

/** Headers every path writes differently by nature (ids, dates, trace, signatures). */
const EXPECTED_TO_DIFFER = new Set([
  "message-id",
  "date",
  "received",
  "dkim-signature",
  "content-type",
  "x-ms-exchange-organization-authas",
  "x-ms-exchange-organization-scl",
  "x-ms-exchange-organization-messagedirectionality",
]);

interface Row {
  readonly name: string;
  readonly left: string;
  readonly right: string;
  readonly expected?: boolean;
}

const list = (entries: readonly { address: string; name?: string }[]) =>
  entries
    .map((entry) => (entry.name ? `${entry.name} <${entry.address}>` : entry.address))
    .join(", ");

function attachments(message: DeliveredMessage): string {
  return message.attachments
    .map(
      (entry) =>
        `${entry.filename ?? "(no name)"} ${entry.contentType} ${entry.size} B sha256:${entry.sha256.slice(0, 12)}${entry.inline ? " inline" : ""}`,
    )
    .join("\n");
}

function headerMap(message: DeliveredMessage): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { name, value } of headerLines(message)) {
    const key = name.toLowerCase();
    map.set(key, [...(map.get(key) ?? []), value]);
  }
  return map;
}

/** Every compared row of two messages. */
export function parityRows(left: DeliveredMessage, right: DeliveredMessage): Row[] {
  const rows: Row[] = [
    {
      name: "Path",
      left: PATH_LABELS[left.path] ?? left.path,
      right: PATH_LABELS[right.path] ?? right.path,
      expected: true,
    },
    {
      name: "Sent Items copy",
      left: left.savedToSentItems ? "yes" : "no",
      right: right.savedToSentItems ? "yes" : "no",
    },
    {
      name: "Submitted by",
      left: left.submittedBy ?? "",
      right: right.submittedBy ?? "",
      expected: true,
    },
    { name: "Envelope from", left: left.envelope.from, right: right.envelope.from },
    {
      name: "Envelope to",
      left: left.envelope.to.join(", "),
      right: right.envelope.to.join(", "),
    },
    {
      name: "From",
      left: list(left.from ? [left.from] : []),
      right: list(right.from ? [right.from] : []),
    },
    { name: "To", left: list(left.to), right: list(right.to) },
    { name: "Cc", left: list(left.cc), right: list(right.cc) },
    { name: "Bcc (envelope)", left: list(left.bcc), right: list(right.bcc) },
    { name: "Reply-To", left: list(left.replyTo), right: list(right.replyTo) },
    { name: "Subject", left: left.subject ?? "", right: right.subject ?? "" },
    { name: "Importance", left: left.importance ?? "", right: right.importance ?? "" },
    { name: "Text body", left: left.text?.trim() ?? "", right: right.text?.trim() ?? "" },
    { name: "HTML body", left: left.html?.trim() ?? "", right: right.html?.trim() ?? "" },
    { name: "Attachments", left: attachments(left), right: attachments(right) },
  ];
  const leftHeaders = headerMap(left);
  const rightHeaders = headerMap(right);
  const names = [...new Set([...leftHeaders.keys(), ...rightHeaders.keys()])].sort();
  for (const name of names) {
    rows.push({
      name: `Header ${name}`,
      left: (leftHeaders.get(name) ?? []).join("\n"),
      right: (rightHeaders.get(name) ?? []).join("\n"),
      expected: EXPECTED_TO_DIFFER.has(name),
    });
  }
  return rows;
}

/** The parity page. */
export function renderParity(left: DeliveredMessage, right: DeliveredMessage): string {
  const rows = parityRows(left, right);
  const differing = rows.filter((row) => row.left !== row.right);
  const surprising = differing.filter((row) => !row.expected);
  const link = (message: DeliveredMessage) =>
    `<a href="/message/${encodeURIComponent(message.id)}">${escapeHtml(message.subject || "(no subject)")}</a> (${escapeHtml(PATH_LABELS[message.path] ?? message.path)})`;
  return layout(
    "Parity",
    `<p><a href="/">← Inbox</a></p>
<h1 class="parity-title">Parity: ${link(left)} and ${link(right)}</h1>
<p id="parity-summary" role="status">${differing.length} of ${rows.length} fields differ; ${surprising.length} of them are not expected to differ between paths.</p>
<p><label><input type="checkbox" id="only-differences"> Show only the fields that differ</label></p>
<table class="parity">
<thead><tr><th scope="col">Field</th><th scope="col">${escapeHtml(PATH_LABELS[left.path] ?? left.path)}</th><th scope="col">${escapeHtml(PATH_LABELS[right.path] ?? right.path)}</th></tr></thead>
<tbody>
${rows
  .map((row) => {
    const state = row.left === row.right ? "same" : row.expected ? "differs expected" : "differs";
    return `<tr class="${state}"><th scope="row">${escapeHtml(row.name)}${state === "differs" ? ' <span class="badge diff">differs</span>' : state === "differs expected" ? ' <span class="badge">differs (expected)</span>' : ""}</th><td><pre>${escapeHtml(row.left)}</pre></td><td><pre>${escapeHtml(row.right)}</pre></td></tr>`;
  })
  .join("\n")}
</tbody></table>`,
  );
}
