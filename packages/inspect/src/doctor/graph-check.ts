// The doctor's Graph probe: token acquisition (AADSTS explained), the token's claims, and with
// `send` one real sendMail, where 403 ErrorAccessDenied is explained as the app's mailbox scope.
import { randomUUID } from "node:crypto";
import { classifyHttpError, resolveCloud } from "@mailpath/core";
import { claimsOutcome, explainError, type ProbeOptions, probeToken } from "./smtp-checks.js";
import { type PathReport, StepRunner } from "./steps.js";
import { httpsRequest, type TokenSource } from "./token.js";

/**
 * Options of `checkGraph`.
 * @since 0.1.0
 */
export interface GraphProbeOptions extends ProbeOptions {
  readonly token: TokenSource;
  /** The tenant the token should be for. */
  readonly tenantId?: string;
  /** The app (client) id, for the report. */
  readonly clientId?: string;
  /** Graph root without the version. @default the cloud's */
  readonly baseUrl?: string;
  /** The mailbox that sends. @default `from` */
  readonly mailbox?: string;
}

/**
 * Checks the Graph path: token, claims (`roles` has `Mail.Send`, tenant, app, expiry), and one
 * `sendMail` with `send`.
 * @param options the app, sender and Graph root
 * @returns every step with what was seen and, on failure, the service's words and the fix
 * @since 0.1.0
 */
export async function checkGraph(options: GraphProbeOptions): Promise<PathReport> {
  const now = options.now ?? Date.now;
  const runner = new StepRunner(options, now, explainError);
  const endpoints = resolveCloud(options.cloud ?? "global");
  const baseUrl = (options.baseUrl ?? endpoints.graphBaseUrl).replace(/\/$/, "");
  const timeoutMs = options.timeoutMs ?? 15_000;
  const mailbox = options.mailbox ?? options.from;
  let token = "";
  await runner.run("graph.token", "Access token", async () => {
    token = await probeToken(options.token, endpoints.graphScope, options);
    return {
      status: "pass",
      detail: `token issued for ${endpoints.graphScope}${options.clientId ? ` to app ${options.clientId}` : ""}`,
    };
  });
  await runner.run("graph.claims", "Token claims", async () =>
    claimsOutcome(token, "graph", endpoints.graphScope, {
      ...(options.tenantId && { tenantId: options.tenantId }),
      now: now(),
    }),
  );
  if (!options.send) {
    runner.skip("graph.send", "sendMail", "not sent: --send sends one message");
  } else if (!options.to) {
    runner.skip("graph.send", "sendMail", "no recipient: give --to with --send");
  } else {
    const to = options.to;
    await runner.run("graph.send", `sendMail as ${mailbox}`, async () => {
      const body = JSON.stringify({
        message: {
          subject: "mailpath doctor: test message via graph",
          body: {
            contentType: "Text",
            content: 'Sent by "mailpath doctor --send" to check the Graph path.',
          },
          toRecipients: [{ emailAddress: { address: to } }],
          ...(mailbox.toLowerCase() !== options.from.toLowerCase() && {
            from: { emailAddress: { address: options.from } },
          }),
          internetMessageHeaders: [{ name: "X-Mailpath-Doctor", value: randomUUID() }],
        },
      });
      const response = await httpsRequest(
        `${baseUrl}/v1.0/users/${encodeURIComponent(mailbox)}/sendMail`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body,
          ...(options.ca && { ca: options.ca }),
          timeoutMs,
          dns: options,
        },
      );
      const requestId = response.headers["request-id"];
      if (response.status === 202)
        return {
          status: "pass",
          detail: `202 Accepted for ${to}${requestId ? ` (request-id ${String(requestId)})` : ""}`,
        };
      let code: string | undefined;
      let message = response.body.slice(0, 300);
      try {
        const parsed = JSON.parse(response.body) as { error?: { code?: string; message?: string } };
        code = parsed.error?.code;
        message = parsed.error?.message ?? message;
      } catch {
        // Not JSON: the text is reported as it is.
      }
      const reply = `${response.status}${code ? ` ${code}` : ""}: ${message}`;
      if (response.status === 403 && code === "ErrorAccessDenied")
        return {
          status: "fail",
          detail: `Graph refused sendMail for ${mailbox}`,
          reply,
          fix: `The app may not use ${mailbox}: it lacks Mail.Send, or an Application Access Policy or RBAC for Applications scope (New-ManagementScope / New-ManagementRoleAssignment -App) leaves this mailbox out. Add the mailbox to the policy's group or the role assignment's scope (Test-ServicePrincipalAuthorization shows what applies).`,
        };
      const classification = classifyHttpError({
        status: response.status,
        ...(code && { code }),
        message,
      });
      return {
        status: "fail",
        detail: `Graph refused sendMail for ${mailbox}`,
        reply,
        fix: classification.hint,
      };
    });
  }
  return {
    path: "graph",
    target: `${baseUrl} as ${mailbox}${options.clientId ? ` (app ${options.clientId})` : ""}`,
    status: runner.status(),
    steps: runner.steps,
  };
}
