import type { Transport } from "../contract/transport.js";
import type { MailError } from "../errors/mail-error.js";
import {
  abortedBetweenPaths,
  lifecycle,
  type RoutingOptions,
  reportMove,
  routedPaths,
  routeError,
  routingLimits,
  shouldMoveOn,
} from "./paths.js";

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
  const { paths, router } = routedPaths(transports, options, "failover");
  const limits = routingLimits(transports);
  const name =
    options.name ?? `failover(${transports.map((transport) => transport.name).join(",")})`;
  return {
    specificationVersion: "v1",
    name,
    ...(limits && { limits }),
    router,
    ...lifecycle(paths),
    async send(message, sendOptions) {
      const retryAmbiguous = sendOptions.retryAmbiguous ?? true;
      let ambiguous = false;
      for (let index = 0; ; index++) {
        const path = paths[index]!;
        if (sendOptions.signal.aborted) {
          throw abortedBetweenPaths(sendOptions.signal, name, message.messageId, ambiguous);
        }
        try {
          return await path.send(message, sendOptions);
        } catch (caught) {
          const error = caught as MailError;
          const next = paths[index + 1];
          if (!next || sendOptions.signal.aborted || !shouldMoveOn(error, retryAmbiguous)) {
            throw routeError(error, ambiguous);
          }
          ambiguous ||= error.ambiguous === true;
          reportMove(error, next.transport, sendOptions);
        }
      }
    },
  };
}
