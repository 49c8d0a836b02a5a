// Cross-field requirements: what the paths in use need (an SMTP user, an Entra credential, a
// relay host or domain) and what may not be set together, checked on the raw input so that
// every problem is reported at once, next to the schema's own.
import { parseAddressInput } from "@mailpath/core";
import { type PathName, type Routing, routingPaths } from "../routing-spec.js";
import type { ConfigKey } from "./schema.js";

/** A problem found, keyed by config key; refs to other keys are written `{{key}}`. */
export interface Problem {
  /** A config key (or, from the schema, an unknown key the user wrote). */
  readonly key: string;
  readonly message: string;
}

/** A problem of a key the schema knows (a misspelt key fails to compile). */
export interface Requirement extends Problem {
  readonly key: ConfigKey;
}

export type Loose = Record<string, unknown>;
export const section = (value: unknown): Loose =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : {};
export const present = (value: unknown) =>
  value !== undefined && value !== null && !(typeof value === "string" && value.trim() === "");

/**
 * The SMTP AUTH mechanism, decided once on the raw input: `smtp.auth`, else password when one
 * is given, else OAuth when an Entra app is configured, else password. (An invalid `smtp.auth`
 * is returned as is: the schema reports it.)
 */
export function smtpAuthOf(input: Loose): unknown {
  const smtp = section(input.smtp);
  return (
    smtp.auth ??
    (present(smtp.password)
      ? "password"
      : present(section(input.entra).clientId)
        ? "oauth"
        : "password")
  );
}

/** Per-path requirements, checked on the raw input so every one is reported at once. */
export function requirementProblems(
  input: Loose,
  routing: Routing | undefined,
  injected: ReadonlySet<PathName>,
): Requirement[] {
  const problems: Requirement[] = [];
  if (!routing) return problems;
  const needed = routingPaths(routing).filter((path) => !injected.has(path));
  const entra = section(input.entra);
  const certificate = section(entra.clientCertificate);
  const smtp = section(input.smtp);
  const relay = section(input.relay);

  const entraUsers: string[] = [];
  if (needed.includes("graph")) entraUsers.push("graph");
  if (needed.includes("smtp")) {
    if (!present(smtp.user)) {
      problems.push({
        key: "smtp.user",
        message:
          "is required for the smtp path: set it to the mailbox that authenticates (for app-only OAuth, a mailbox the app has FullAccess on)",
      });
    }
    const auth = smtpAuthOf(input);
    if (auth === "password" && !present(smtp.password)) {
      problems.push({
        key: "smtp.password",
        message:
          'is required for the smtp path with password auth: set it to the mailbox\'s password, or set {{smtp.auth}} to "oauth" with the Entra app ({{entra.tenantId}}, {{entra.clientId}}, {{entra.clientSecret}})',
      });
    }
    if (auth === "oauth") entraUsers.push("smtp (oauth)");
  }
  if (entraUsers.length > 0) {
    const who = `the ${entraUsers.join(" and ")} path${entraUsers.length > 1 ? "s" : ""}`;
    if (!present(entra.tenantId)) {
      problems.push({
        key: "entra.tenantId",
        message: `is required for ${who}: set it to the Directory (tenant) ID of your app registration`,
      });
    }
    if (!present(entra.clientId)) {
      problems.push({
        key: "entra.clientId",
        message: `is required for ${who}: set it to the Application (client) ID of your app registration`,
      });
    }
    const hasCertificate =
      present(certificate.path) ||
      present(certificate.privateKey) ||
      present(certificate.certificate);
    if (!present(entra.clientSecret) && !hasCertificate) {
      problems.push({
        key: "entra.clientSecret",
        message: `is required for ${who}: set it to the client secret's Value, or set {{entra.clientCertificate.path}} to a certificate registered on the app`,
      });
    } else if (present(entra.clientSecret) && hasCertificate) {
      problems.push({
        key: "entra.clientCertificate.path",
        message: "is set together with {{entra.clientSecret}}: keep only one credential",
      });
    }
    if (
      hasCertificate &&
      !present(certificate.path) &&
      !present(certificate.certificate) &&
      !present(certificate.thumbprintSha256)
    ) {
      problems.push({
        key: "entra.clientCertificate.path",
        message:
          "is required with a private key: set it to the certificate (PEM) registered on the app",
      });
    }
  }
  if (needed.includes("relay")) {
    if (present(relay.host) === present(relay.domain)) {
      problems.push({
        key: present(relay.host) ? "relay.domain" : "relay.host",
        message: present(relay.host)
          ? "is set together with {{relay.host}}: keep only one"
          : "is required for the relay path: set it to the relay endpoint, or set {{relay.domain}} to an accepted domain (its MX endpoint is used)",
      });
    }
    const cert = present(relay.clientCertPath) || present(relay.clientCert);
    const key = present(relay.clientKeyPath) || present(relay.clientKey);
    if (cert !== key) {
      problems.push({
        key: cert ? "relay.clientKeyPath" : "relay.clientCertPath",
        message: cert
          ? "is required with a relay client certificate: set it to the certificate's private key (PEM)"
          : "is required with a relay client key: set it to the client certificate (PEM)",
      });
    }
  }
  if (typeof input.from === "string" && input.from.trim() !== "") {
    const parsed = parseAddressInput(input.from);
    const bad = parsed.find((entry) => !entry.ok);
    if (bad && !bad.ok) {
      problems.push({
        key: "from",
        message: `${bad.reason}: set it to an address such as notifications@contoso.com`,
      });
    } else if (parsed.length > 1) {
      problems.push({ key: "from", message: "holds several addresses: give one sender" });
    }
  }
  return problems;
}
