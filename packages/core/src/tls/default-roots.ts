import { readFileSync } from "node:fs";
import * as tls from "node:tls";

/**
 * The CA list for a `ca` option: the process's default roots plus the extra CAs. Node's `ca`
 * replaces its default roots, so they are added back: a private CA adds trust, it does not
 * remove the public roots Graph, Entra and Exchange are signed by (a publicly trusted host must
 * not fail TLS_ERROR because a private CA was given). The defaults are Node's bundled roots
 * (with Node 22.15+, whatever `tls.getCACertificates("default")` holds) and the file named by
 * NODE_EXTRA_CA_CERTS, which Node trusts without a `ca` option.
 *
 * For mailpath's transports and Entra client (one copy instead of one per package).
 * @param ca - the extra CAs, PEM.
 * @returns the default roots, then `ca`.
 * @since 0.1.0
 */
export function withDefaultRoots(
  ca: string | Buffer | readonly (string | Buffer)[],
): (string | Buffer)[] {
  const extra: readonly (string | Buffer)[] =
    typeof ca === "string" || Buffer.isBuffer(ca) ? [ca] : ca;
  const getDefaults = (
    tls as unknown as { getCACertificates?: (type: "default") => readonly string[] }
  ).getCACertificates;
  const defaults: (string | Buffer)[] = [...(getDefaults?.("default") ?? tls.rootCertificates)];
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  if (extraFile) {
    try {
      defaults.push(readFileSync(extraFile, "utf8"));
    } catch {
      // Node warns about an unreadable file at startup and goes on without it; so do we.
    }
  }
  return [...defaults, ...extra];
}
