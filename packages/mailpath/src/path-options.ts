// What a resolved configuration gives the factories of its paths: one mapping for
// createMailerFromConfig / createMailerFromEnv and for `mailpath doctor`, so a key means the
// same to the service and to the checks.
import type { ResolvedConfig } from "./config.js";

/** The members of `source` named by `keys` whose value is defined: an unset key stays absent. */
export function pickDefined<T extends object, K extends keyof T>(
  source: T,
  keys: readonly K[],
): { [P in K]?: Exclude<T[P], undefined> } {
  const picked: Partial<Record<K, unknown>> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked as { [P in K]?: Exclude<T[P], undefined> };
}

/**
 * The Entra app of the config as `createClientCredentialsProvider` and `createGraphTransport`
 * take it: its IDs, the certificate (or else the secret), the cloud, and the CA to trust.
 * Validation has made sure the IDs and a credential are set wherever a path needs them.
 */
export function entraApp(config: ResolvedConfig) {
  const { entra } = config;
  return {
    tenantId: entra.tenantId as string,
    clientId: entra.clientId as string,
    ...(entra.clientCertificate
      ? { clientCertificate: entra.clientCertificate }
      : { clientSecret: entra.clientSecret as string }),
    cloud: config.cloud,
    ...pickDefined(entra, ["authorityHost"]),
    tls: pickDefined(config, ["ca"]),
  };
}
