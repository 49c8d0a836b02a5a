import { type Cloud, MailError, resolveCloud } from "@mailpath/core";

/**
 * What the token is for: Microsoft Graph (`Mail.Send`), Exchange Online SMTP XOAUTH2
 * (`SMTP.SendAsApp`), or any resource by its `/.default` scope.
 * @since 0.1.0
 */
export type TokenTarget = "graph" | "smtp" | { readonly scope: string };

/**
 * The app-only (`/.default`) scope of a target in a cloud.
 *
 * @param target @default "graph"
 * @param cloud @default "global"
 * @returns e.g. `https://graph.microsoft.com/.default`, `https://outlook.office365.com/.default`
 * @throws MailError `INVALID_CONFIG` for an unknown target or cloud, or a custom scope that
 *   is not a `/.default` scope (client credentials only accept those).
 * @example
 * scopeFor("smtp", "usgov") // "https://outlook.office365.us/.default"
 * @since 0.1.0
 */
export function scopeFor(target: TokenTarget = "graph", cloud: Cloud = "global"): string {
  const endpoints = resolveCloud(cloud);
  if (target === "graph") return endpoints.graphScope;
  if (target === "smtp") return endpoints.smtpScope;
  if (typeof target === "object" && target !== null && typeof target.scope === "string") {
    const scope = target.scope.trim();
    if (/^\S+\/\.default$/.test(scope)) return scope;
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `target.scope "${scope}" is not an app-only scope.`,
      hint: 'Client credentials take the resource\'s "/.default" scope, e.g. "https://graph.microsoft.com/.default"; permissions come from the app registration, not the scope.',
      issues: [{ path: "target.scope", message: 'must end in "/.default"' }],
    });
  }
  throw new MailError({
    code: "INVALID_CONFIG",
    message: `Unknown target ${JSON.stringify(target)}.`,
    hint: 'Use "graph", "smtp" or { scope: "https://<resource>/.default" }.',
    issues: [{ path: "target", message: 'must be "graph", "smtp" or { scope }' }],
  });
}
