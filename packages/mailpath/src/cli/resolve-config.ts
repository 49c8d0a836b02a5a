// The CLI reads the configuration through the same functions createMailerFromEnv uses, so a
// variable means the same thing to `mailpath doctor` as to the service.
import { MailError, resolveCloud } from "@mailpath/core";
import type { TokenSource } from "@mailpath/inspect";
import type { ResolvedConfig } from "../config.js";
import { resolveFromEnv as resolveEnv } from "../create-mailer.js";
import type { Env } from "../env.js";
import { entraApp } from "../path-options.js";
import { PATH_NAMES, type PathName } from "../routing-spec.js";
import { UsageError } from "./io.js";

/** `smtp,relay` → the path names, or a usage error naming the bad one. */
export function parsePaths(list: string): PathName[] {
  const paths = list
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const path of paths)
    if (!(PATH_NAMES as readonly string[]).includes(path))
      throw new UsageError(`--paths: "${path}" is not a path (use ${PATH_NAMES.join(", ")})`);
  if (paths.length === 0) throw new UsageError("--paths: name at least one path");
  return [...new Set(paths)] as PathName[];
}

/**
 * Runs `resolve`; an INVALID_CONFIG it throws becomes a usage error listing every problem.
 * @throws UsageError with every problem, named by its variable
 */
export async function configOrUsageError<T>(resolve: () => Promise<T>): Promise<T> {
  try {
    return await resolve();
  } catch (error) {
    if (MailError.isInstance(error) && error.code === "INVALID_CONFIG")
      throw new UsageError(
        error.issues?.length ? "The MAILPATH_* configuration is not valid:" : error.message,
        error.issues ?? [],
      );
    throw error;
  }
}

/**
 * Validates the MAILPATH_* variables as createMailerFromEnv does; `paths` replaces
 * MAILPATH_TRANSPORT (doctor --paths).
 * @throws UsageError with every problem, named by its variable
 */
export async function resolveFromEnv(
  env: Env,
  paths?: readonly PathName[],
): Promise<ResolvedConfig> {
  const overrides = paths ? { transport: paths.join(",") } : undefined;
  const { resolved } = await configOrUsageError(() => resolveEnv(env, overrides, {}));
  return resolved;
}

/** How the doctor gets tokens for this configuration: the secret directly, a certificate through @mailpath/entra. */
export function tokenSource(config: ResolvedConfig): TokenSource {
  const { entra } = config;
  const authorityHost = entra.authorityHost ?? resolveCloud(config.cloud).authorityHost;
  if (entra.clientSecret !== undefined && !entra.clientCertificate)
    return {
      kind: "secret",
      authorityHost,
      tenantId: entra.tenantId ?? "",
      clientId: entra.clientId ?? "",
      clientSecret: entra.clientSecret,
    };
  return {
    kind: "provider",
    getToken: async (scope) => {
      const { createClientCredentialsProvider } = await import("@mailpath/entra");
      const provider = createClientCredentialsProvider({
        ...entraApp(config),
        target: scope.includes("graph") ? "graph" : "smtp",
      });
      return provider.getToken();
    },
  };
}
