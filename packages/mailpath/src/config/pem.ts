// PEM loading: the CA, the Entra client certificate and the relay client credentials, read
// from their files and checked to hold what they should, so that a wrong file fails at start and
// not at the first TLS handshake. Problems join the others (keyed by config key).
import { readFile } from "node:fs/promises";
import type { Loose, Problem } from "./requirements.js";
import { present } from "./requirements.js";

/** A certificate credential, loaded. */
export interface LoadedClientCertificate {
  readonly privateKey: string;
  readonly certificate?: string;
  readonly passphrase?: string;
  readonly thumbprintSha256?: string;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
/** Every certificate of a PEM bundle, in order (String#match with a global pattern keeps no state). */
const certificatesIn = (pem: string) => pem.match(new RegExp(CERTIFICATE.source, "g"));
const PRIVATE_KEY =
  /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

async function readPem(
  path: string,
  key: string,
  problems: Problem[],
): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    problems.push({
      key,
      message: `cannot be read (${code} for ${path}): set it to a readable PEM file`,
    });
    return undefined;
  }
}

/** `tls.ca`, followed by the certificates of `tls.caFile`. */
export async function loadCa(tls: Loose, problems: Problem[]): Promise<string | undefined> {
  let ca: string | undefined = typeof tls.ca === "string" ? tls.ca : undefined;
  if (typeof tls.caFile === "string" && present(tls.caFile)) {
    const content = await readPem(tls.caFile, "tls.caFile", problems);
    if (content !== undefined) {
      if (!CERTIFICATE.test(content)) {
        problems.push({
          key: "tls.caFile",
          message: `holds no PEM certificate (${tls.caFile}): set it to a CA certificate file`,
        });
      } else ca = ca ? `${ca}\n${content}` : content;
    }
  }
  return ca;
}

/** The Entra client certificate from `entra.clientCertificate` (files or inline PEM). */
export async function loadClientCertificate(
  certificate: Loose,
  problems: Problem[],
): Promise<LoadedClientCertificate | undefined> {
  let certText = typeof certificate.certificate === "string" ? certificate.certificate : undefined;
  let keyText = typeof certificate.privateKey === "string" ? certificate.privateKey : undefined;
  if (typeof certificate.path === "string" && present(certificate.path)) {
    const content = await readPem(certificate.path, "entra.clientCertificate.path", problems);
    if (content !== undefined) {
      const certificates = certificatesIn(content);
      if (!certificates) {
        problems.push({
          key: "entra.clientCertificate.path",
          message: `holds no PEM certificate (${certificate.path}): set it to the certificate registered on the app`,
        });
      } else certText = certificates.join("\n");
      keyText ??= content.match(PRIVATE_KEY)?.[0];
    }
  }
  if (typeof certificate.keyPath === "string" && present(certificate.keyPath)) {
    const content = await readPem(certificate.keyPath, "entra.clientCertificate.keyPath", problems);
    if (content !== undefined) {
      const key = content.match(PRIVATE_KEY)?.[0];
      if (!key) {
        problems.push({
          key: "entra.clientCertificate.keyPath",
          message: `holds no PEM private key (${certificate.keyPath}): set it to the certificate's private key`,
        });
      } else keyText = key;
    }
  }
  if (
    keyText === undefined &&
    !problems.some((problem) => problem.key.startsWith("entra.clientCertificate"))
  ) {
    problems.push({
      key: "entra.clientCertificate.keyPath",
      message:
        "is required: the certificate file holds no private key, so set this to the key's PEM file",
    });
  }
  if (keyText === undefined) return undefined;
  return {
    privateKey: keyText,
    ...(certText !== undefined && { certificate: certText }),
    ...(typeof certificate.passphrase === "string" && { passphrase: certificate.passphrase }),
    ...(typeof certificate.thumbprintSha256 === "string" && {
      thumbprintSha256: certificate.thumbprintSha256,
    }),
  };
}

/** The relay client certificate and key: inline PEM, or read from their files when `read`. */
export async function loadRelayCredentials(
  relay: Loose,
  read: boolean,
  problems: Problem[],
): Promise<{ readonly cert: string | undefined; readonly key: string | undefined }> {
  let relayCert = typeof relay.clientCert === "string" ? relay.clientCert : undefined;
  let relayKey = typeof relay.clientKey === "string" ? relay.clientKey : undefined;
  if (read) {
    // Checked here so that a wrong file fails at start, not at the first TLS handshake.
    if (typeof relay.clientCertPath === "string" && present(relay.clientCertPath)) {
      relayCert = await readPem(relay.clientCertPath, "relay.clientCertPath", problems);
      if (relayCert !== undefined && !CERTIFICATE.test(relayCert)) {
        problems.push({
          key: "relay.clientCertPath",
          message: `holds no PEM certificate (${relay.clientCertPath}): set it to the certificate whose name the connector expects`,
        });
      }
    }
    if (typeof relay.clientKeyPath === "string" && present(relay.clientKeyPath)) {
      relayKey = await readPem(relay.clientKeyPath, "relay.clientKeyPath", problems);
      if (relayKey !== undefined && !PRIVATE_KEY.test(relayKey)) {
        problems.push({
          key: "relay.clientKeyPath",
          message: `holds no PEM private key (${relay.clientKeyPath}): set it to the certificate's private key`,
        });
      }
    }
  }
  return { cert: relayCert, key: relayKey };
}
