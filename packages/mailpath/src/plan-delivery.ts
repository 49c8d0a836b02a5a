// planDelivery: a dry run for a migration. For one message and a set of paths it says, before
// anything is sent, what each path would deliver and how: which headers and bodies survive,
// which Graph request is made (JSON, MIME, draft + upload session), whether a copy lands in
// Sent Items, and which limits the message would break. Nothing connects anywhere.
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import {
  type MailMessage,
  type NormalizedAttachment,
  type NormalizedMessage,
  normalizeMessage,
  type TransportLimits,
} from "@mailpath/core";
import type { MailpathConfig } from "./config.js";
import { configFromEnv, type Env, mergeConfig } from "./env.js";
import { PATH_NAMES, type PathName, parseTransportSpec, routingPaths } from "./routing-spec.js";

/**
 * How serious a finding is: `error` means the send would fail on that path.
 * @since 0.1.0
 */
export type FindingLevel = "error" | "warning" | "info";

/**
 * One thing a path would do differently.
 * @since 0.1.0
 */
export interface PlanFinding {
  readonly level: FindingLevel;
  /** Stable code: `HEADER_DROPPED`, `TEXT_DROPPED`, `UPLOAD_SESSION`, … (see docs/migration.md). */
  readonly code: string;
  readonly message: string;
}

/**
 * How a path would send the message.
 * @since 0.1.0
 */
export type PlanMethod =
  | "smtp-submission"
  | "relay"
  | "graph-json"
  | "graph-mime"
  | "graph-draft-upload";

/**
 * What one path would do with the message.
 * @since 0.1.0
 */
export interface PathPlan {
  readonly path: PathName;
  /** False when an `error` finding means this path would refuse the message. */
  readonly ok: boolean;
  readonly method: PlanMethod;
  /** Estimated size on the wire for this path (MIME, or the Graph request body), in bytes. */
  readonly estimatedBytes: number;
  /** Whether a copy lands in the sender's Sent Items. */
  readonly sentItemsCopy: boolean;
  /** What arrives: the bodies, the extra headers kept, and the headers dropped. */
  readonly delivers: {
    readonly text: boolean;
    readonly html: boolean;
    readonly headers: readonly string[];
    readonly droppedHeaders: readonly string[];
    readonly replyHeaders: boolean;
  };
  readonly findings: readonly PlanFinding[];
}

/**
 * A field in which the paths differ.
 * @since 0.1.0
 */
export interface PlanDifference {
  /** `text`, `header List-Unsubscribe`, `request`, `Sent Items copy`, … */
  readonly field: string;
  /** What each path does with it. */
  readonly byPath: Readonly<Partial<Record<PathName, string>>>;
}

/**
 * The result of `planDelivery`.
 * @since 0.1.0
 */
export interface DeliveryPlan {
  readonly messageId: string;
  readonly recipients: number;
  /** Estimated MIME size of the message, in bytes. */
  readonly estimatedBytes: number;
  readonly paths: readonly PathPlan[];
  /** Only the fields where the paths disagree. Empty: every path delivers the same thing. */
  readonly differences: readonly PlanDifference[];
}

/**
 * Options of `planDelivery`.
 * @since 0.1.0
 */
export interface PlanDeliveryOptions {
  /** The paths to compare. @default the paths of `config.transport`, else all three */
  readonly paths?: readonly PathName[];
  /** Settings that change the plan (from, graph.mode, graph.saveToSentItems, relay.directSendDomains, smtp.user). No credentials needed. */
  readonly config?: Partial<MailpathConfig>;
  /** Read the config from `MAILPATH_*` variables too (`config` wins). @default none: variables are not read */
  readonly env?: Env;
}

const X_HEADER = /^x-/i;
/** Exchange's default per-message recipient limit (RecipientLimits), for a path without one. */
const MAX_RECIPIENTS = 500;
/** Default MaxSendSize of a mailbox. */
const MAX_SEND_BYTES = 35 * 1024 * 1024;

const base64Bytes = (bytes: number) => Math.ceil(bytes / 3) * 4;
/** Base64 in MIME: 76-character lines plus CRLF. */
const mimeBase64Bytes = (bytes: number) => Math.ceil((base64Bytes(bytes) * 78) / 76);

async function attachmentSize(attachment: NormalizedAttachment): Promise<number | undefined> {
  const { content } = attachment;
  if (typeof content === "string")
    return Buffer.byteLength(content, attachment.encoding === "base64" ? "base64" : "utf8");
  if (content instanceof Uint8Array) return content.byteLength;
  if (content instanceof Readable) return undefined;
  try {
    return (await stat(content.path)).size;
  } catch {
    return undefined;
  }
}

const bodyBytes = (value: string | undefined) =>
  value === undefined ? 0 : Math.ceil(Buffer.byteLength(value) * 1.05) + 200;

const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1).toLowerCase();

function inDomains(address: string, domains: readonly string[]): boolean {
  const domain = domainOf(address);
  return domains.some((entry) => {
    const accepted = entry.toLowerCase();
    return accepted.startsWith("*.") ? domain.endsWith(accepted.slice(1)) : domain === accepted;
  });
}

/** What every path's planner reads: the message, its estimated sizes and the settings. */
interface PlanContext {
  readonly config: Partial<MailpathConfig>;
  readonly normalized: NormalizedMessage;
  /** Attachment sizes, 0 for an unknown one. */
  readonly knownSizes: readonly number[];
  readonly unknownSize: boolean;
  readonly headerBytes: number;
  readonly mimeBytes: number;
  readonly headerNames: readonly string[];
  readonly replyHeaders: boolean;
}

type Delivers = { -readonly [K in keyof PathPlan["delivers"]]: PathPlan["delivers"][K] };

function deliversAll(context: PlanContext): Delivers {
  return {
    text: context.normalized.text !== undefined,
    html: context.normalized.html !== undefined,
    headers: context.headerNames,
    droppedHeaders: [],
    replyHeaders: context.replyHeaders,
  };
}

/** Findings every path shares: recipients and size against the path's transport limits. */
function limitFindings(
  context: PlanContext,
  limits: TransportLimits,
  pathName: string,
): PlanFinding[] {
  const findings: PlanFinding[] = [];
  const recipients = context.normalized.recipients.length;
  const maxRecipients = limits.maxRecipientsPerMessage ?? MAX_RECIPIENTS;
  const { mimeBytes } = context;
  if (recipients > maxRecipients) {
    findings.push({
      level: "error",
      code: "TOO_MANY_RECIPIENTS",
      message: `${recipients} recipients: ${pathName} allows ${maxRecipients} per message by default (RecipientLimits, up to 1000). Split the message.`,
    });
  }
  if (limits.maxMessageBytes !== undefined && mimeBytes > limits.maxMessageBytes) {
    findings.push({
      level: "error",
      code: "TOO_LARGE",
      message: `about ${megabytes(mimeBytes)} encoded: over the ${megabytes(limits.maxMessageBytes)} ${pathName} accepts.`,
    });
  } else if (mimeBytes > MAX_SEND_BYTES) {
    findings.push({
      level: "warning",
      code: "OVER_MAX_SEND_SIZE",
      message: `about ${megabytes(mimeBytes)} encoded: over the default MaxSendSize (35 MB); the mailbox's MaxSendSize must be raised.`,
    });
  }
  if (context.unknownSize) {
    findings.push({
      level: "info",
      code: "STREAM_ATTACHMENT",
      message: "an attachment is a stream or an unreadable path: its size is not counted here.",
    });
  }
  return findings;
}

/** What each path says about the copy in the sender's Sent Items (Graph: saved or not). */
const SENT_ITEMS_FINDINGS = {
  smtp: {
    level: "info",
    code: "SENT_ITEMS_COPY",
    message: "Exchange saves a copy in the authenticating mailbox's Sent Items.",
  },
  relay: {
    level: "warning",
    code: "NO_SENT_ITEMS_COPY",
    message: "relayed mail is not saved to any Sent Items folder (SMTP AUTH and Graph save one).",
  },
  graph: {
    level: "info",
    code: "SENT_ITEMS_COPY",
    message: "a copy is saved in the sender's Sent Items.",
  },
  graphWithout: {
    level: "info",
    code: "NO_SENT_ITEMS_COPY",
    message: "saveToSentItems is false: no copy in Sent Items.",
  },
} as const satisfies Record<string, PlanFinding>;

async function planSmtp(context: PlanContext): Promise<PathPlan> {
  const { SMTP_DEFAULT_LIMITS } = await import("@mailpath/transport-smtp");
  const findings = [
    ...limitFindings(context, SMTP_DEFAULT_LIMITS, "SMTP AUTH"),
    SENT_ITEMS_FINDINGS.smtp,
  ];
  const user = context.config.smtp?.user;
  const from = context.normalized.from.address;
  if (user && user.toLowerCase() !== from.toLowerCase()) {
    findings.push({
      level: "warning",
      code: "SEND_AS",
      message: `From ${from} is not the authenticating mailbox ${user}: it needs Send As on that address (else 550 5.7.60).`,
    });
  }
  return plan("smtp", "smtp-submission", context.mimeBytes, true, deliversAll(context), findings);
}

async function planRelay(context: PlanContext): Promise<PathPlan> {
  const { RELAY_DEFAULT_LIMITS } = await import("@mailpath/transport-relay");
  const { normalized } = context;
  const findings = [
    ...limitFindings(context, RELAY_DEFAULT_LIMITS, "the relay"),
    SENT_ITEMS_FINDINGS.relay,
  ];
  const domains = context.config.relay?.directSendDomains;
  const external = normalized.recipients.filter((address) =>
    domains
      ? !inDomains(address, domains)
      : domainOf(address) !== domainOf(normalized.from.address),
  );
  if (domains && external.length > 0) {
    findings.push({
      level: "error",
      code: "EXTERNAL_RECIPIENTS_DIRECT_SEND",
      message: `direct send only reaches the tenant's own domains; refused: ${external.join(", ")}. Use a connector (static IP or certificate), SMTP AUTH or Graph.`,
    });
  } else if (external.length > 0) {
    findings.push({
      level: "info",
      code: "EXTERNAL_RECIPIENTS",
      message: `${external.join(", ")} may be external: they are only reached through a connector (by static IP or certificate), never by direct send.`,
    });
  }
  return plan("relay", "relay", context.mimeBytes, false, deliversAll(context), findings);
}

/** Graph: the transport's own mode decision, size thresholds and limits. */
async function planGraph(context: PlanContext): Promise<PathPlan> {
  const graphModule = await import("@mailpath/transport-graph");
  const { config, normalized, headerNames, knownSizes, headerBytes, mimeBytes } = context;
  const findings: PlanFinding[] = [];
  const requested = config.graph?.mode ?? "auto";
  const mode = graphModule.chooseMode(normalized, requested);
  const reasons = graphModule.mimeOnlyFeatures(normalized);
  const delivers = deliversAll(context);
  if (mode === "json") {
    const dropped = headerNames.filter((name) => !X_HEADER.test(name));
    if (dropped.length > 0) {
      delivers.headers = headerNames.filter((name) => X_HEADER.test(name));
      delivers.droppedHeaders = dropped;
      findings.push({
        level: "warning",
        code: "HEADER_DROPPED",
        message: `Graph JSON takes only X- headers (else 400 InvalidInternetMessageHeader): ${dropped.join(", ")} would be dropped. Mode auto or mime keeps them.`,
      });
    }
    if (normalized.text !== undefined && normalized.html !== undefined) {
      delivers.text = false;
      findings.push({
        level: "warning",
        code: "TEXT_DROPPED",
        message:
          "Graph JSON carries one body: the HTML is sent and the text alternative is dropped. Mode auto or mime keeps both.",
      });
    }
    if (context.replyHeaders) {
      delivers.replyHeaders = false;
      findings.push({
        level: "warning",
        code: "REPLY_HEADERS_DROPPED",
        message:
          "Graph JSON has no In-Reply-To / References: the message would not thread. Mode auto or mime keeps them.",
      });
    }
  } else if (requested === "auto" && reasons.length > 0) {
    findings.push({
      level: "info",
      code: "MIME_MODE",
      message: `sent as MIME (mode auto) because of ${reasons.join(", ")}: every header and both bodies are kept.`,
    });
  }
  const largeAttachment = knownSizes.some((size) => size >= graphModule.LARGE_ATTACHMENT_BYTES);
  const requestBytes =
    mode === "json"
      ? headerBytes +
        base64Bytes(Buffer.byteLength(normalized.html ?? normalized.text ?? "")) / 1.3 +
        knownSizes.reduce((sum, size) => sum + base64Bytes(size) + 200, 0)
      : base64Bytes(mimeBytes);
  const draft = largeAttachment || requestBytes > graphModule.MAX_REQUEST_BYTES;
  const saveToSentItems = config.graph?.saveToSentItems ?? true;
  let sentItemsCopy = saveToSentItems;
  if (draft) {
    sentItemsCopy = true;
    findings.push({
      level: "info",
      code: "UPLOAD_SESSION",
      message: `${largeAttachment ? "an attachment of 3 MB or more" : "the request would exceed 4 MB"}: sent as a draft plus upload session(s), then /send. Needs the Mail.ReadWrite application permission${saveToSentItems ? "" : "; the copy in Sent Items is kept whatever saveToSentItems says"}.`,
    });
  }
  findings.push(sentItemsCopy ? SENT_ITEMS_FINDINGS.graph : SENT_ITEMS_FINDINGS.graphWithout);
  const mailbox = config.graph?.mailbox;
  if (mailbox && mailbox.toLowerCase() !== normalized.from.address.toLowerCase()) {
    findings.push({
      level: "warning",
      code: "SEND_AS",
      message: `sent through ${mailbox} as ${normalized.from.address}: needs Send As on that address (else 403 ErrorSendAsDenied).`,
    });
  }
  findings.push(...limitFindings(context, graphModule.GRAPH_DEFAULT_LIMITS, "Graph"));
  return plan(
    "graph",
    draft ? "graph-draft-upload" : mode === "json" ? "graph-json" : "graph-mime",
    Math.round(draft ? mimeBytes : requestBytes),
    sentItemsCopy,
    delivers,
    findings,
  );
}

const PLANNERS: Record<PathName, (context: PlanContext) => Promise<PathPlan>> = {
  smtp: planSmtp,
  relay: planRelay,
  graph: planGraph,
};

/**
 * Plans a message's delivery through each path without sending it: what each would deliver
 * differently (headers Graph JSON would drop, text + html collapsing to html, the Graph request
 * used for its size, the Sent Items copy, recipient and size limits, direct-send external
 * recipients). Use it before moving traffic from one path to another.
 *
 * @param message the message as the application sends it
 * @param options the paths to compare and the settings that change the plan
 * @returns a plan per path and the differences between them
 * @throws MailError `INVALID_MESSAGE` when the message would be refused on every path
 * @example
 * const plan = await planDelivery(message, { paths: ["smtp", "graph"], config: { graph: { mode: "json" } } });
 * for (const difference of plan.differences) console.log(difference.field, difference.byPath);
 * @since 0.1.0
 */
export async function planDelivery(
  message: MailMessage,
  options: PlanDeliveryOptions = {},
): Promise<DeliveryPlan> {
  const config = mergeConfig(
    (options.env ? configFromEnv(options.env).config : {}) as Partial<MailpathConfig>,
    options.config,
  );
  let paths = options.paths;
  if (!paths && config.transport !== undefined) {
    const routing = parseTransportSpec(config.transport);
    if (!Array.isArray(routing))
      paths = routingPaths(routing as Exclude<typeof routing, unknown[]>);
  }
  paths ??= PATH_NAMES;
  const normalized: NormalizedMessage = normalizeMessage(
    message,
    config.from !== undefined ? { from: config.from } : {},
  );

  const sizes = await Promise.all(normalized.attachments.map(attachmentSize));
  const knownSizes = sizes.map((size) => size ?? 0);
  const headerBytes =
    1_024 +
    Object.entries(normalized.headers).reduce(
      (sum, [name, value]) => sum + name.length + Buffer.byteLength(value) + 4,
      0,
    );
  const attachmentMime = knownSizes.reduce((sum, size) => sum + mimeBase64Bytes(size) + 300, 0);
  const mimeBytes =
    headerBytes + bodyBytes(normalized.text) + bodyBytes(normalized.html) + attachmentMime;
  const headerNames = Object.keys(normalized.headers);
  const context: PlanContext = {
    config,
    normalized,
    knownSizes,
    unknownSize: sizes.some((size) => size === undefined),
    headerBytes,
    mimeBytes,
    headerNames,
    replyHeaders: normalized.inReplyTo !== undefined || normalized.references.length > 0,
  };

  const plans: PathPlan[] = [];
  for (const path of paths) plans.push(await PLANNERS[path](context));

  return {
    messageId: normalized.messageId,
    recipients: normalized.recipients.length,
    estimatedBytes: mimeBytes,
    paths: plans,
    differences: differencesOf(plans, headerNames),
  };
}

function plan(
  path: PathName,
  method: PlanMethod,
  estimatedBytes: number,
  sentItemsCopy: boolean,
  delivers: PathPlan["delivers"],
  findings: PlanFinding[],
): PathPlan {
  return {
    path,
    ok: !findings.some((finding) => finding.level === "error"),
    method,
    estimatedBytes,
    sentItemsCopy,
    delivers,
    findings,
  };
}

const METHOD_WORDS: Record<PlanMethod, string> = {
  "smtp-submission": "SMTP AUTH submission (one MIME message)",
  relay: "SMTP relay (one MIME message, no AUTH)",
  "graph-json": "Graph sendMail, JSON",
  "graph-mime": "Graph sendMail, MIME",
  "graph-draft-upload": "Graph draft + upload session + send",
};

function differencesOf(
  plans: readonly PathPlan[],
  headerNames: readonly string[],
): PlanDifference[] {
  const differences: PlanDifference[] = [];
  const row = (field: string, value: (plan: PathPlan) => string) => {
    const byPath = Object.fromEntries(plans.map((entry) => [entry.path, value(entry)]));
    if (new Set(Object.values(byPath)).size > 1) differences.push({ field, byPath });
  };
  row("request", (entry) => METHOD_WORDS[entry.method]);
  row("text body", (entry) =>
    entry.delivers.text ? "delivered" : entry.delivers.html ? "dropped (html only)" : "none",
  );
  row("html body", (entry) => (entry.delivers.html ? "delivered" : "none"));
  for (const name of headerNames) {
    row(`header ${name}`, (entry) =>
      entry.delivers.droppedHeaders.includes(name) ? "dropped" : "delivered",
    );
  }
  row("In-Reply-To / References", (entry) =>
    entry.delivers.replyHeaders ? "delivered" : "dropped",
  );
  row("Sent Items copy", (entry) => (entry.sentItemsCopy ? "yes" : "no"));
  row("outcome", (entry) =>
    entry.ok
      ? "accepted"
      : `refused: ${entry.findings
          .filter((finding) => finding.level === "error")
          .map((finding) => finding.code)
          .join(", ")}`,
  );
  return differences;
}

function megabytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The plan as text for a terminal or a log: one block per path, then the differences.
 * @param plan what `planDelivery` returned
 * @returns the text, lines separated by `\n`
 * @since 0.1.0
 */
export function formatDeliveryPlan(plan: DeliveryPlan): string {
  const lines: string[] = [
    `Message ${plan.messageId}: ${plan.recipients} recipient(s), about ${megabytes(plan.estimatedBytes)}`,
  ];
  for (const entry of plan.paths) {
    lines.push(
      `\n${entry.path}: ${entry.ok ? "would send" : "WOULD FAIL"} by ${METHOD_WORDS[entry.method]}, Sent Items copy: ${entry.sentItemsCopy ? "yes" : "no"}`,
    );
    for (const finding of entry.findings) {
      lines.push(`  [${finding.level}] ${finding.code}: ${finding.message}`);
    }
  }
  if (plan.paths.length < 2) return lines.join("\n");
  if (plan.differences.length === 0) lines.push("\nEvery path delivers the same message.");
  else {
    lines.push("\nDifferences:");
    for (const difference of plan.differences) {
      const values = Object.entries(difference.byPath)
        .map(([path, value]) => `${path}: ${value}`)
        .join(" | ");
      lines.push(`  ${difference.field} — ${values}`);
    }
  }
  return lines.join("\n");
}
