import type { Transport } from "../contract/transport.js";
import { type RoutingOptions, routeTransport } from "./paths.js";

export type { RoutingOptions } from "./paths.js";

/**
 * A transport that tries its children in order and moves to the next on a *path* failure
 * (connection, timeout, TLS, 5xx server, credential-wide auth), an open breaker, or a child
 * that throws something other than a `MailError` — never on a recipient, message or throttling
 * error, which the next path would meet too (or which backs off). An ambiguous failure (the
 * path may have delivered) moves on only when the mailer's `retry.retryAmbiguous` allows it,
 * and the mailer then flags the delivery (`SendResult.ambiguousAttempts`).
 *
 * @param transports the children, most preferred first
 * @param options breakers and pacing of the children
 * @returns one transport that tries the children in order
 * @example
 * const transport = failover([createGraphTransport({ ... }), createSmtpTransport({ ... })]);
 * @since 0.1.0
 */
export function failover(
  transports: readonly Transport[],
  options: RoutingOptions = {},
): Transport {
  return routeTransport({
    transports,
    options,
    kind: "failover",
    defaultName: () => `failover(${transports.map((transport) => transport.name).join(",")})`,
    // In order; after the last path, none.
    walk: () => ({
      first: 0,
      next: (index) => (index + 1 < transports.length ? index + 1 : undefined),
    }),
  });
}
