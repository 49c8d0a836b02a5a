import type { Transport } from "../contract/transport.js";
import { MailError } from "../errors/mail-error.js";
import { type RoutingOptions, routeTransport } from "./paths.js";

/**
 * One path of a weighted split.
 * @since 0.1.0
 */
export interface WeightedPath {
  readonly transport: Transport;
  /** Relative share of traffic (`weight / sum of weights`). `0` takes none. */
  readonly weight: number;
}

/**
 * Options of `weighted()`.
 * @since 0.1.0
 */
export interface WeightedOptions extends RoutingOptions {
  /** Source of randomness in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** How many Message-IDs keep their chosen path for retries. @default 10_000 */
  readonly stickyMessages?: number;
}

/**
 * A transport that splits traffic over its children by weight — for a gradual migration
 * (10% Graph, 90% SMTP) and its roll-back.
 *
 * A retry stays on its path: the path picked for a Message-ID is remembered (for the last
 * `stickyMessages` messages), so a retried message is not sent by two paths. A path failure or an
 * open breaker moves the message to another path, chosen by weight among the rest — an
 * ambiguous one (the path may have delivered) only when the mailer's `retry.retryAmbiguous`
 * allows it, and the mailer then flags the delivery (`SendResult.ambiguousAttempts`).
 *
 * @param entries the child transports, each with its weight (>= 0, at least one > 0)
 * @param options breakers, pacing, randomness and stickiness
 * @returns one transport that routes each message to a child
 * @example
 * const transport = weighted([{ transport: graph, weight: 10 }, { transport: smtp, weight: 90 }]);
 * @since 0.1.0
 */
export function weighted(
  entries: readonly WeightedPath[],
  options: WeightedOptions = {},
): Transport {
  const issues = (Array.isArray(entries) ? entries : []).flatMap((entry, index) =>
    typeof entry?.weight === "number" && Number.isFinite(entry.weight) && entry.weight >= 0
      ? []
      : [{ path: `paths[${index}].weight`, message: "must be a finite number >= 0" }],
  );
  const total = Array.isArray(entries)
    ? entries.reduce((sum, entry) => sum + (entry?.weight ?? 0), 0)
    : 0;
  if (issues.length > 0 || !(total > 0)) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: "weighted() needs transports with weights >= 0 and at least one weight > 0.",
      issues: issues.length > 0 ? issues : [{ path: "paths", message: "the weights add up to 0" }],
    });
  }
  const weights = entries.map((entry) => entry.weight);
  const random = options.random ?? Math.random;
  const stickyLimit = options.stickyMessages ?? 10_000;
  const sticky = new Map<string, number>();

  const pick = (exclude: ReadonlySet<number>): number | undefined => {
    const candidates = weights
      .map((_, index) => index)
      .filter((index) => !exclude.has(index) && weights[index]! > 0);
    const sum = candidates.reduce((acc, index) => acc + weights[index]!, 0);
    if (sum <= 0) return undefined;
    let point = random() * sum;
    for (const index of candidates) {
      point -= weights[index]!;
      if (point < 0) return index;
    }
    return candidates.at(-1);
  };
  const remember = (messageId: string, index: number) => {
    sticky.delete(messageId);
    sticky.set(messageId, index);
    if (sticky.size > stickyLimit) sticky.delete(sticky.keys().next().value!);
  };

  return routeTransport({
    transports: entries.map((entry) => entry.transport),
    options,
    kind: "weighted",
    defaultName: () =>
      `weighted(${entries.map((entry) => `${entry.transport.name}:${entry.weight}`).join(",")})`,
    walk: ({ messageId }) => {
      const tried = new Set<number>();
      return {
        // A sticky path always has a weight: pick() never returns a path of weight 0.
        first: sticky.get(messageId) ?? pick(tried)!,
        enter: (index) => {
          tried.add(index);
          remember(messageId, index);
        },
        next: () => pick(tried),
      };
    },
  });
}
