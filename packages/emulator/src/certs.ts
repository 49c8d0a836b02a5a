// TLS material for one emulator run: a private CA, a server certificate for the loopback
// names, and client certificates on demand (relay connectors matched by certificate name,
// Entra certificate credentials). Generated per start so nothing secret ships in the package.
import { X509Certificate } from "node:crypto";
import { generate } from "selfsigned";
import type { EmulatorTls } from "./context.js";

/** TLS material supplied by the caller instead of generated. */
export interface EmulatorTlsInput {
  /** CA certificate (PEM) that signed `cert`. Clients trust it. */
  readonly ca: string;
  /** Server certificate (PEM) valid for the host the emulator binds. */
  readonly cert: string;
  /** Server private key (PEM). */
  readonly key: string;
  /** CA private key (PEM); without it `issueClientCertificate()` throws. */
  readonly caKey?: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  // Back-dated an hour so a client whose clock runs slightly behind still accepts it.
  const now = Date.now();
  return { notBeforeDate: new Date(now - HOUR_MS), notAfterDate: new Date(now + days * DAY_MS) };
}

/**
 * Issues a 30-day RSA leaf certificate signed by the CA: the server's and each client's.
 * @param commonName the subject CN
 * @param signer the CA's private key and certificate (PEM)
 * @param usage the extended key usages (`serverAuth`, `clientAuth`)
 * @param altNames the subject alternative names (2: DNS, 7: IP)
 */
async function issueLeaf(
  commonName: string,
  signer: { key: string; cert: string },
  usage: { serverAuth?: boolean; clientAuth?: boolean },
  altNames: { type: 2 | 7; value?: string; ip?: string }[],
): Promise<{ cert: string; key: string }> {
  const leaf = await generate([{ name: "commonName", value: commonName }], {
    algorithm: "sha256",
    keySize: 2048,
    ...validity(30),
    ca: signer,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", ...usage },
      { name: "subjectAltName", altNames },
    ],
  });
  return { cert: leaf.cert, key: leaf.private };
}

/**
 * Creates the CA and the server certificate for 127.0.0.1, ::1 and localhost, or wraps the
 * given material.
 * @param input certificates to use instead of generating new ones
 * @returns the material plus a client-certificate issuer signed by the same CA
 */
export async function createEmulatorTls(input?: EmulatorTlsInput): Promise<EmulatorTls> {
  let ca: string;
  let caKey: string | undefined;
  let cert: string;
  let key: string;
  if (input) {
    ({ ca, cert, key, caKey } = input);
  } else {
    // RSA throughout: selfsigned signs with the CA key imported as the leaf's key type, and
    // client certificates must be RSA (Entra certificate assertions are RS256).
    const authority = await generate([{ name: "commonName", value: "mailpath emulator CA" }], {
      algorithm: "sha256",
      keySize: 2048,
      ...validity(30),
      extensions: [
        { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
        {
          name: "keyUsage",
          keyCertSign: true,
          cRLSign: true,
          digitalSignature: true,
          critical: true,
        },
      ],
    });
    ca = authority.cert;
    caKey = authority.private;
    ({ cert, key } = await issueLeaf("localhost", { key: caKey, cert: ca }, { serverAuth: true }, [
      { type: 2, value: "localhost" },
      { type: 7, ip: "127.0.0.1" },
      { type: 7, ip: "::1" },
    ]));
  }
  const signingKey = caKey;
  return {
    ca,
    cert,
    key,
    ...(caKey ? { caKey } : {}),
    async issueClientCertificate(commonName: string) {
      if (!signingKey) {
        throw new Error(
          "issueClientCertificate() needs the CA private key: pass tls.caKey to startEmulator() or let it generate its own CA",
        );
      }
      return issueLeaf(
        commonName,
        { key: signingKey, cert: ca },
        { clientAuth: true, serverAuth: true },
        [{ type: 2, value: commonName }],
      );
    },
  };
}

/** The DNS names a certificate claims: its subject CN and every DNS SAN, lower-cased. */
export function certificateNames(pem: string | Buffer): string[] {
  const certificate = new X509Certificate(pem);
  const names = new Set<string>();
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
  if (cn) names.add(cn.trim().toLowerCase());
  for (const entry of (certificate.subjectAltName ?? "").split(/,\s*/)) {
    if (entry.startsWith("DNS:")) names.add(entry.slice(4).trim().toLowerCase());
  }
  return [...names];
}

/** Whether a connector's `tlsCertificateName` (`*.` wildcard allowed) matches a name. */
export function certificateNameMatches(pattern: string, name: string): boolean {
  const wanted = pattern.trim().toLowerCase();
  const actual = name.trim().toLowerCase();
  if (wanted.startsWith("*.")) {
    const suffix = wanted.slice(1);
    return actual.endsWith(suffix) && !actual.slice(0, -suffix.length).includes(".");
  }
  return wanted === actual;
}
