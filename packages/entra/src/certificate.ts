import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import type { MailIssue } from "@mailpath/core";

/**
 * A client certificate registered on the app (Certificates & secrets → Certificates).
 * Give `certificate` (the PEM of the public certificate) and mailpath derives the SHA-256
 * thumbprint and `x5c` from it, checks the key matches and warns before it expires; or give
 * `thumbprintSha256` alone.
 * @since 0.1.0
 */
export interface ClientCertificateOptions {
  /** The private key, PEM (PKCS#8 or PKCS#1), optionally encrypted (then give `passphrase`). */
  readonly privateKey: string | Buffer;
  /** Passphrase of an encrypted private key. */
  readonly passphrase?: string;
  /** The public certificate, PEM (a chain may follow it). */
  readonly certificate?: string;
  /** SHA-256 thumbprint of the certificate, hex (colons allowed). Derived from `certificate` when absent. */
  readonly thumbprintSha256?: string;
  /**
   * The public certificate chain (PEM) sent as `x5c` in the assertion, for subject name /
   * issuer authentication. @default `certificate` when it is given
   */
  readonly x5c?: string;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificate blocks of a PEM text, without any key or text around them. */
function certificateBlocks(pem: string): string {
  const blocks = pem.match(CERTIFICATE_BLOCK);
  return blocks ? `${blocks.join("\n")}\n` : pem;
}

/** What msal needs plus what mailpath watches. */
export interface LoadedCertificate {
  /** PKCS#8 PEM, decrypted. Never log it. */
  readonly privateKeyPem: string;
  readonly thumbprintSha256: string;
  readonly x5c?: string;
  /** End of validity, when the certificate is known. */
  readonly notAfter?: Date;
}

/** Loads and checks a client certificate; returns issues instead of throwing. */
export function loadClientCertificate(options: ClientCertificateOptions): {
  certificate?: LoadedCertificate;
  issues: MailIssue[];
} {
  const issues: MailIssue[] = [];
  const path = "clientCertificate";
  if (
    options.privateKey === undefined ||
    options.privateKey === null ||
    options.privateKey.length === 0
  ) {
    issues.push({
      path: `${path}.privateKey`,
      message: "is required: the certificate's private key as PEM (PKCS#8 or PKCS#1)",
    });
    return { issues };
  }

  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: options.privateKey,
      format: "pem",
      ...(options.passphrase !== undefined && { passphrase: options.passphrase }),
    });
  } catch (error) {
    const encrypted = /ENCRYPTED/.test(String(options.privateKey));
    issues.push({
      path: encrypted ? `${path}.passphrase` : `${path}.privateKey`,
      message: encrypted
        ? options.passphrase === undefined
          ? "the private key is encrypted: give its passphrase"
          : "the passphrase does not decrypt the private key"
        : `is not a readable PEM private key (${(error as { code?: string }).code ?? "parse error"})`,
    });
    return { issues };
  }
  if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "rsa-pss") {
    issues.push({
      path: `${path}.privateKey`,
      message: `is a ${key.asymmetricKeyType} key: Entra client assertions need an RSA key`,
    });
  }

  // One PEM file often holds both the key and the certificate: then the certificate comes
  // from it too, so expiry warnings and the key check work without a second option.
  const keyText = String(options.privateKey);
  const certificatePem =
    options.certificate ??
    (options.thumbprintSha256 === undefined && keyText.includes("-----BEGIN CERTIFICATE-----")
      ? certificateBlocks(keyText)
      : undefined);
  let x509: X509Certificate | undefined;
  if (certificatePem !== undefined) {
    try {
      x509 = new X509Certificate(certificatePem);
    } catch {
      issues.push({
        path: `${path}.certificate`,
        message: "is not a PEM certificate (-----BEGIN CERTIFICATE-----)",
      });
    }
  }
  if (x509 && !x509.checkPrivateKey(key)) {
    issues.push({
      path: `${path}.privateKey`,
      message:
        "does not match clientCertificate.certificate: give the key the certificate was issued for",
    });
  }

  const derived = x509?.fingerprint256.replace(/:/g, "").toLowerCase();
  const given = options.thumbprintSha256?.replace(/[:\s]/g, "").toLowerCase();
  if (given !== undefined && !/^[0-9a-f]{64}$/.test(given)) {
    issues.push({
      path: `${path}.thumbprintSha256`,
      message:
        "must be the 64 hex digits of the certificate's SHA-256 thumbprint (the SHA-1 thumbprint the portal shows is not accepted)",
    });
  } else if (given !== undefined && derived !== undefined && given !== derived) {
    issues.push({
      path: `${path}.thumbprintSha256`,
      message: "does not match clientCertificate.certificate: leave it out to derive it",
    });
  }
  const thumbprintSha256 = given ?? derived;
  if (thumbprintSha256 === undefined) {
    issues.push({
      path: `${path}.certificate`,
      message: "give the certificate (PEM) or its thumbprintSha256",
    });
  }
  if (issues.length > 0 || thumbprintSha256 === undefined) return { issues };

  // Only the public certificate blocks go into `x5c`, never a key that shared the file.
  const x5cSource = options.x5c ?? certificatePem;
  const x5c = x5cSource === undefined ? undefined : certificateBlocks(x5cSource);
  return {
    certificate: {
      privateKeyPem: key.export({ type: "pkcs8", format: "pem" }).toString(),
      thumbprintSha256,
      ...(x5c !== undefined && { x5c }),
      ...(x509 && { notAfter: new Date(x509.validTo) }),
    },
    issues,
  };
}
