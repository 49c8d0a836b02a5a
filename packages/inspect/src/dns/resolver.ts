// One resolver for every lookup the checks make, so `--dns-server host:port` (and the tests'
// local DNS server) applies to all of them.
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * Where lookups go.
 * @since 0.1.0
 */
export interface DnsOptions {
  /** `host:port` (or `host`) of the DNS server to ask. @default the system's resolvers */
  readonly dnsServer?: string;
  /** Time limit of one query. @default 5000 */
  readonly dnsTimeoutMs?: number;
}

/**
 * A `node:dns` resolver pointed at `dnsServer` (or the system's servers).
 * @param options the server and time limit
 * @returns the resolver
 * @since 0.1.0
 */
export function createDnsResolver(options: DnsOptions = {}): Resolver {
  const resolver = new Resolver({ timeout: options.dnsTimeoutMs ?? 5000, tries: 2 });
  if (options.dnsServer) resolver.setServers([normalizeServer(options.dnsServer)]);
  return resolver;
}

/** `host:port` as node:dns wants it (`[::1]:53` for IPv6). */
function normalizeServer(server: string): string {
  const trimmed = server.trim();
  if (isIP(trimmed) === 6) return trimmed;
  return trimmed;
}

/** Whether a DNS error means "no such record" rather than a failure to ask. */
export function isNoData(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENODATA" || code === "ENOTFOUND" || code === "NXDOMAIN";
}

/** TXT records joined (a record's strings are one value). */
export async function resolveTxt(resolver: Resolver, name: string): Promise<string[]> {
  try {
    return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""));
  } catch (error) {
    if (isNoData(error)) return [];
    throw error;
  }
}
