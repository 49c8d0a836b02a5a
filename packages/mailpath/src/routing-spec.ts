// MAILPATH_TRANSPORT / config.transport: one path, a failover order, or a weighted split.
//   "smtp"              one path
//   "graph,smtp"        failover: graph first, smtp when graph fails as a path
//   "graph:10,smtp:90"  weighted: 10% graph, 90% smtp (relative weights; a failing path moves
//                       the message to the others, so a weighted split also fails over)

/**
 * The three Microsoft 365 delivery paths mailpath can build from configuration.
 * @since 0.1.0
 */
export const PATH_NAMES = ["smtp", "relay", "graph"] as const;

/**
 * @see PATH_NAMES
 * @since 0.1.0
 */
export type PathName = (typeof PATH_NAMES)[number];

/**
 * One path of a weighted split.
 * @since 0.1.0
 */
export interface WeightedPathSpec {
  readonly path: PathName;
  /** Relative share of traffic; `0` sends none (a path kept ready for roll-back). */
  readonly weight: number;
}

/**
 * How messages are routed, as data.
 * - a path name: `"graph"`
 * - a string in the `MAILPATH_TRANSPORT` syntax: `"graph,smtp"` (failover), `"graph:10,smtp:90"` (weighted)
 * - an array of path names: failover in that order
 * - `{ failover: [...] }` or `{ weighted: [{ path, weight }, ...] }`
 * @since 0.1.0
 */
export type TransportSpec =
  | PathName
  | (string & {})
  | readonly PathName[]
  | { readonly failover: readonly PathName[] }
  | { readonly weighted: readonly WeightedPathSpec[] };

/**
 * A routing spec after parsing.
 * @since 0.1.0
 */
export type Routing =
  | { readonly kind: "single"; readonly path: PathName }
  | { readonly kind: "failover"; readonly paths: readonly PathName[] }
  | { readonly kind: "weighted"; readonly paths: readonly WeightedPathSpec[] };

/** A problem in a routing spec, with the fix. */
export interface RoutingProblem {
  readonly message: string;
}

const isPathName = (value: unknown): value is PathName =>
  typeof value === "string" && (PATH_NAMES as readonly string[]).includes(value);

const unknownPath = (value: unknown): RoutingProblem => ({
  message: `unknown transport "${String(value)}": use smtp, relay or graph, a failover order such as "graph,smtp", or a weighted split such as "graph:10,smtp:90"`,
});

function fromList(
  entries: readonly { readonly path: unknown; readonly weight?: unknown }[],
): Routing | RoutingProblem[] {
  const problems: RoutingProblem[] = [];
  if (entries.length === 0) return [{ message: "names no transport: use smtp, relay or graph" }];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (!isPathName(entry.path)) problems.push(unknownPath(entry.path));
    else if (seen.has(entry.path))
      problems.push({ message: `names "${entry.path}" twice: give each path once` });
    seen.add(String(entry.path));
  }
  const weightedCount = entries.filter((entry) => entry.weight !== undefined).length;
  if (weightedCount > 0 && weightedCount < entries.length) {
    problems.push({
      message:
        'mixes weighted and unweighted paths: give every path a weight ("graph:10,smtp:90") or none ("graph,smtp" = failover)',
    });
  }
  if (weightedCount === entries.length) {
    for (const entry of entries) {
      const weight = entry.weight;
      if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
        problems.push({
          message: `weight of "${String(entry.path)}" must be a number >= 0 (a share such as 10 or 90)`,
        });
      }
    }
    if (
      problems.length === 0 &&
      !entries.some((entry) => typeof entry.weight === "number" && entry.weight > 0)
    ) {
      problems.push({ message: "gives every path weight 0: at least one weight must be above 0" });
    }
  }
  if (problems.length > 0) return problems;
  if (weightedCount > 0) {
    return {
      kind: "weighted",
      paths: entries.map((entry) => ({
        path: entry.path as PathName,
        weight: entry.weight as number,
      })),
    };
  }
  if (entries.length === 1) return { kind: "single", path: entries[0]!.path as PathName };
  return { kind: "failover", paths: entries.map((entry) => entry.path as PathName) };
}

/** Parses the `MAILPATH_TRANSPORT` string syntax. */
function fromString(spec: string): Routing | RoutingProblem[] {
  const parts = spec
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  return fromList(
    parts.map((part) => {
      const colon = part.indexOf(":");
      if (colon === -1) return { path: part.toLowerCase() };
      const weightText = part.slice(colon + 1).trim();
      const weight = /^\d+(\.\d+)?$/.test(weightText) ? Number(weightText) : Number.NaN;
      return { path: part.slice(0, colon).trim().toLowerCase(), weight };
    }),
  );
}

/**
 * Parses a routing spec.
 * @param spec the routing as `MAILPATH_TRANSPORT` writes it: `smtp`, `graph,smtp`, `graph:10,smtp:90`
 * @returns the routing, or the problems found (each says what to write instead)
 * @since 0.1.0
 */
export function parseTransportSpec(spec: unknown): Routing | RoutingProblem[] {
  if (typeof spec === "string") return fromString(spec);
  if (Array.isArray(spec)) return fromList(spec.map((path) => ({ path })));
  if (typeof spec === "object" && spec !== null) {
    const object = spec as { failover?: unknown; weighted?: unknown };
    if (Array.isArray(object.failover) && object.weighted === undefined) {
      const routing = fromList(object.failover.map((path) => ({ path })));
      // One path in a failover list is just that path.
      return routing;
    }
    if (Array.isArray(object.weighted) && object.failover === undefined) {
      return fromList(
        object.weighted.map((entry: unknown) => {
          const item = (typeof entry === "object" && entry !== null ? entry : {}) as {
            path?: unknown;
            weight?: unknown;
          };
          return { path: item.path, weight: item.weight ?? Number.NaN };
        }),
      );
    }
  }
  return [
    {
      message:
        'must be a path name ("graph"), a failover list ("graph,smtp" or ["graph","smtp"]), { failover: [...] } or { weighted: [{ path, weight }, ...] }',
    },
  ];
}

/** The paths a routing uses, in order. */
export function routingPaths(routing: Routing): PathName[] {
  if (routing.kind === "single") return [routing.path];
  if (routing.kind === "failover") return [...routing.paths];
  return routing.paths.map((entry) => entry.path);
}

/** The routing written in the `MAILPATH_TRANSPORT` syntax (`graph:10,smtp:90`). */
export function formatRouting(routing: Routing): string {
  if (routing.kind === "single") return routing.path;
  if (routing.kind === "failover") return routing.paths.join(",");
  return routing.paths.map((entry) => `${entry.path}:${entry.weight}`).join(",");
}
