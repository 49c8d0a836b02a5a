// Pending faults of one emulator run. Endpoints call `take()` at each stage of a session or
// request; a counted fault strikes the next N matches, a rate fault a share of them.
import type { EndpointName, FaultRegistry, FaultSpec, FaultStage } from "./context.js";

/** Where a fault strikes when its spec names no stage. */
export function defaultFaultStage(endpoint: EndpointName): FaultStage {
  // SMTP faults strike a send (MAIL FROM), not a connect-only `verify()`; HTTP faults the request.
  return endpoint === "smtp" || endpoint === "relay" ? "mail" : "request";
}

interface PendingFault {
  readonly spec: FaultSpec;
  remaining: number;
}

/**
 * Creates an empty fault registry.
 * @param random source of randomness for `rate` faults (injectable so tests are deterministic)
 */
export function createFaultRegistry(random: () => number = Math.random): FaultRegistry {
  let pending: PendingFault[] = [];
  return {
    add(spec: FaultSpec): void {
      if (spec.rate !== undefined && (spec.rate < 0 || spec.rate > 1)) {
        throw new RangeError(`fault rate must be between 0 and 1, got ${spec.rate}`);
      }
      if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) {
        throw new RangeError(`fault count must be a positive integer, got ${spec.count}`);
      }
      pending.push({ spec, remaining: spec.rate === undefined ? (spec.count ?? 1) : Infinity });
    },
    take(endpoint: EndpointName, stage: FaultStage, path?: string): FaultSpec | undefined {
      for (const fault of pending) {
        const { spec } = fault;
        if (spec.endpoint !== endpoint) continue;
        if ((spec.stage ?? defaultFaultStage(endpoint)) !== stage) continue;
        if (spec.pathIncludes !== undefined && !(path ?? "").includes(spec.pathIncludes)) continue;
        if (spec.rate !== undefined) {
          if (random() < spec.rate) return spec;
          continue;
        }
        fault.remaining -= 1;
        if (fault.remaining <= 0) pending = pending.filter((entry) => entry !== fault);
        return spec;
      }
      return undefined;
    },
    clear(): void {
      pending = [];
    },
  };
}
