// The headers Exchange Online adds to mail from the tenant, so the sandbox and a header
// analyzer see the real picture: a DKIM signature by the tenant's selector key, then what
// the receiving side of Exchange Online Protection writes — Authentication-Results (SPF,
// DKIM, DMARC computed by mailauth against the DNS records the tenant declares, plus
// compauth), X-MS-Exchange-Organization-AuthAs / AuthSource / SCL / MessageDirectionality
// and a Received line in Exchange's shape. Header names and value shapes follow Microsoft's
// "Anti-spam message headers in Microsoft 365" page (learn.microsoft.com,
// defender-office-365/message-headers-eop-mdo); host names and ids are made up.
import { generateKeyPairSync } from "node:crypto";
import type { DeliveryInput } from "../context.js";
import type { TenantPolicy } from "../tenant.js";

/**
 * DNS a sender domain publishes, as the stamp's resolver serves it. Absent fields take the
 * aligned, passing default.
 * @since 0.1.0
 */
export interface SenderDomainDns {
  /** TXT at the domain; `null` publishes none. @default "v=spf1 include:spf.protection.outlook.com -all" */
  readonly spf?: string | null;
  /** Whether Exchange signs with the tenant's selector key (DKIM enabled for the domain). @default true */
  readonly dkim?: boolean;
  /** TXT at `_dmarc.<domain>`; `null` publishes none. @default "v=DMARC1; p=reject" */
  readonly dmarc?: string | null;
}

/** Where Exchange Online's outbound mail comes from (inside spf.protection.outlook.com). */
export const EXCHANGE_OUTBOUND_IP = "40.107.22.50";
const PROTECTION_SPF =
  "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 ip4:52.102.0.0/16 ip4:52.103.0.0/17 ip4:104.47.0.0/17 -all";
const DEFAULT_DNS: Required<SenderDomainDns> = {
  spf: "v=spf1 include:spf.protection.outlook.com -all",
  dkim: true,
  dmarc: "v=DMARC1; p=reject",
};
const SELECTOR = "selector1";
const MAILBOX_SERVER = "AM0PR02MB5581.eurprd02.prod.outlook.com";
const FRONTEND_SERVER = "AM6PR0202CA0061.eurprd02.prod.outlook.com";

function domainOf(address: string | undefined): string | undefined {
  const at = address?.lastIndexOf("@") ?? -1;
  return at > 0 ? address?.slice(at + 1).toLowerCase() : undefined;
}

function headerFromDomain(raw: string): string | undefined {
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end === -1 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((entry) => /^from:/i.test(entry));
  const address = line?.match(/<([^>]+)>/)?.[1] ?? line?.slice(5).trim();
  return domainOf(address);
}

function dnsError(code: string): Error {
  return Object.assign(new Error(`DNS ${code}`), { code });
}

/** Exchange's compauth from the DMARC verdict (reason 100: explicit pass, 000: explicit fail, 001: implicit fail). */
function compauth(dmarc: string, spf: string, dkim: string): string {
  if (dmarc === "pass") return "compauth=pass reason=100";
  if (dmarc === "fail") return "compauth=fail reason=000";
  if (spf === "pass" || dkim === "pass") return "compauth=softpass reason=201";
  return "compauth=fail reason=001";
}

/**
 * Creates the stamp for one emulator: one DKIM key per run (the tenant's selector key).
 * @param tenant the live policy (`senderDns` per domain)
 * @param now clock for the Received date
 */
export function createExchangeStamp(tenant: () => TenantPolicy, now: () => number) {
  let keys: { privateKey: string; publicKey: string } | undefined;
  const key = () => {
    keys ??= generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "der" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    }) as unknown as { privateKey: string; publicKey: string };
    return keys;
  };
  const dnsOf = (domain: string): Required<SenderDomainDns> => ({
    ...DEFAULT_DNS,
    ...tenant().senderDns?.[domain],
  });

  return async function stamp(input: DeliveryInput): Promise<DeliveryInput> {
    const { authenticate, dkimSign } = await import("mailauth");
    let raw = typeof input.raw === "string" ? input.raw : input.raw.toString("utf8");
    const fromDomain = headerFromDomain(raw) ?? domainOf(input.envelope.from) ?? "";
    const mailFromDomain = domainOf(input.envelope.from) ?? fromDomain;
    const signing = dnsOf(fromDomain);
    if (signing.dkim && fromDomain) {
      const signer = {
        signingDomain: fromDomain,
        selector: SELECTOR,
        privateKey: key().privateKey,
      };
      const signed = await dkimSign(raw, {
        ...signer,
        canonicalization: "relaxed/relaxed",
        signTime: new Date(now()),
        signatureData: [signer],
      });
      raw = signed.signatures + raw;
    }
    const resolver = async (name: string, type: string): Promise<string[][]> => {
      const lower = name.toLowerCase().replace(/\.$/, "");
      if (type !== "TXT") throw dnsError("ENODATA");
      if (lower === "spf.protection.outlook.com") return [[PROTECTION_SPF]];
      if (lower.startsWith("_dmarc.")) {
        const record = dnsOf(lower.slice("_dmarc.".length)).dmarc;
        if (record) return [[record]];
        throw dnsError("ENOTFOUND");
      }
      if (lower.startsWith(`${SELECTOR}._domainkey.`)) {
        const domain = lower.slice(`${SELECTOR}._domainkey.`.length);
        if (dnsOf(domain).dkim) {
          const publicKey = Buffer.from(key().publicKey).toString("base64");
          return [[`v=DKIM1; k=rsa; p=${publicKey}`]];
        }
        throw dnsError("ENOTFOUND");
      }
      const spf = dnsOf(lower).spf;
      if (spf) return [[spf]];
      throw dnsError("ENOTFOUND");
    };
    const result = await authenticate(raw, {
      ip: EXCHANGE_OUTBOUND_IP,
      helo: FRONTEND_SERVER,
      sender: input.envelope.from,
      mta: "mx.microsoft",
      resolver: resolver as never,
      disableArc: true,
      disableBimi: true,
      trustReceived: false,
    });
    const spf = result.spf ? result.spf.status.result : "none";
    const dkimEntry = result.dkim?.results?.find(
      (entry: { signingDomain?: string }) => entry.signingDomain === fromDomain,
    );
    const dkim = dkimEntry?.status.result ?? "none";
    const dmarcResult = result.dmarc || undefined;
    const dmarc = dmarcResult ? dmarcResult.status.result : "none";
    const policy = dmarcResult?.policy ?? "none";
    const action =
      dmarc === "fail"
        ? policy === "reject"
          ? "oreject"
          : policy === "quarantine"
            ? "quarantine"
            : "none"
        : "none";
    const spfComment =
      spf === "pass"
        ? `(sender IP is ${EXCHANGE_OUTBOUND_IP})`
        : `(sender IP is ${EXCHANGE_OUTBOUND_IP}) smtp.helo=${FRONTEND_SERVER}`;
    const dkimPart =
      dkim === "none"
        ? "dkim=none (message not signed) header.d=none"
        : `dkim=${dkim} (signature was ${dkim === "pass" ? "verified" : "not verified"}) header.d=${fromDomain}`;
    const internal = input.path !== "relay";
    const date = new Date(now()).toUTCString().replace("GMT", "+0000");
    const stamps = [
      `Received: from ${FRONTEND_SERVER} (2603:10a6:20b:100::39) by ${MAILBOX_SERVER} (2603:10a6:208:12f::21) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8880.12; ${date}`,
      `Authentication-Results: spf=${spf} ${spfComment} smtp.mailfrom=${mailFromDomain}; ${dkimPart};dmarc=${dmarc} action=${action} header.from=${fromDomain};${compauth(dmarc, spf, dkim)}`,
      `Received-SPF: ${spf[0]?.toUpperCase()}${spf.slice(1)} (protection.outlook.com: domain of ${mailFromDomain} designates ${EXCHANGE_OUTBOUND_IP} as ${spf === "pass" ? "permitted" : "not a permitted"} sender) receiver=protection.outlook.com; client-ip=${EXCHANGE_OUTBOUND_IP}; helo=${FRONTEND_SERVER};`,
      `X-MS-Exchange-Organization-AuthAs: ${internal ? "Internal" : "Anonymous"}`,
      `X-MS-Exchange-Organization-AuthSource: ${MAILBOX_SERVER}`,
      `X-MS-Exchange-Organization-SCL: ${internal ? "-1" : "1"}`,
      `X-MS-Exchange-Organization-MessageDirectionality: ${internal ? "Originating" : "Incoming"}`,
    ];
    const eol = raw.includes("\r\n") ? "\r\n" : "\n";
    return { ...input, raw: `${stamps.join(eol)}${eol}${raw}` };
  };
}
