// The CLI reads the configuration through the same functions createMailerFromEnv uses, so a
// variable means the same thing to `mailpath doctor` as to the service.
import { MailError, resolveCloud } from "@mailpath/core";
import type { TokenSource } from "@mailpath/inspect";
import { type ResolvedConfig, resolveConfig } from "../config.js";
import { configFromEnv, type Env, mergeConfig } from "../env.js";
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
 * Validates the MAILPATH_* variables; `paths` replaces MAILPATH_TRANSPORT (doctor --paths).
 * @throws UsageError with every problem, named by its variable
 */
export async function resolveFromEnv(
  env: Env,
  paths?: readonly PathName[],
): Promise<ResolvedConfig> {
  const read = configFromEnv(env);
  const config = paths ? mergeConfig(read.config, { transport: paths.join(",") }) : read.config;
  try {
    return await resolveConfig(
      config,
      { kind: "env", overridden: new Set(paths ? ["transport"] : []) },
      { issues: read.issues },
    );
  } catch (error) {
    if (MailError.isInstance(error) && error.code === "INVALID_CONFIG")
      throw new UsageError(
        error.issues?.length ? "The MAILPATH_* configuration is not valid:" : error.message,
        error.issues ?? [],
      );
    throw error;
  }
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
        tenantId: entra.tenantId as string,
        clientId: entra.clientId as string,
        clientCertificate: entra.clientCertificate!,
        target: scope.includes("graph") ? "graph" : "smtp",
        cloud: config.cloud,
        ...(entra.authorityHost !== undefined && { authorityHost: entra.authorityHost }),
        tls: config.ca !== undefined ? { ca: config.ca } : {},
      });
      return provider.getToken();
    },
  };
}
