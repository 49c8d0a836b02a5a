// One resolver for every lookup the checks make, so `--dns-server host:port` (and the tests'
// local DNS server) applies to all of them.
import { Resolver } from "node:dns/promises";
import type { LookupFunction } from "node:net";

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
  // node:dns takes `host`, `host:port` and `[ipv6]:port`.
  if (options.dnsServer) resolver.setServers([options.dnsServer.trim()]);
  return resolver;
}

/**
 * A `lookup` for node:net / node:https that asks `dnsServer` (A, then AAAA), so HTTPS and TCP
 * connections resolve their host the way the checks do. Undefined without `dnsServer`.
 */
export function lookupFor(options: DnsOptions): LookupFunction | undefined {
  if (!options.dnsServer) return undefined;
  const resolver = createDnsResolver(options);
  return ((hostname: string, lookupOptions: { all?: boolean }, callback: LookupCallback) => {
    const resolve = async () => {
      const v4 = await resolver.resolve4(hostname).catch(() => [] as string[]);
      if (v4.length) return v4.map((address) => ({ address, family: 4 }));
      const v6 = await resolver.resolve6(hostname).catch(() => [] as string[]);
      return v6.map((address) => ({ address, family: 6 }));
    };
    resolve().then(
      (addresses) => {
        if (addresses.length === 0) {
          const error = Object.assign(
            new Error(`${hostname} has no A/AAAA record at ${options.dnsServer}`),
            {
              code: "ENOTFOUND",
            },
          );
          return callback(error, "", 4);
        }
        if (lookupOptions?.all)
          return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, "", 4),
    );
  }) as unknown as LookupFunction;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string,
  family: number,
) => void;

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
