// The mapping of Graph answers and failed requests to MailErrors (errors.ts), case by case
// (issue 17, mutation testing): the status, Graph's error code and request id, whether a send
// may have happened (ambiguous), and what is never quoted. Pure functions: no network needed.
import { MailError } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import {
  clip,
  failureToMailError,
  type GraphErrorContext,
  redirectTarget,
  responseToMailError,
} from "./errors.js";
import { type HttpResult, RequestFailure } from "./http.js";

const SECRET = "s3cr3t-token-value";
const context = (overrides: Partial<GraphErrorContext> = {}): GraphErrorContext => ({
  transport: "graph",
  secrets: [SECRET],
  step: "send",
  ...overrides,
});

function answer(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  truncated?: boolean,
): HttpResult {
  const fields = new Headers(headers);
  return { status, headers: fields, body, ...(truncated !== undefined && { truncated }) };
}

const graphError = (code: string, message: string, innerError?: Record<string, unknown>) => ({
  error: { code, message, ...(innerError && { innerError }) },
});

/** A network error as undici raises it: an Error whose `code` (or whose cause's) says what. */
function networkError(code: string | undefined, message: string): Error {
  const error = new Error(message);
  if (code !== undefined) (error as Error & { code: string }).code = code;
  return error;
}

describe("clip", () => {
  it("keeps a text of exactly the limit whole and cuts one character more, counting the rest", () => {
    expect(clip("a".repeat(1000))).toBe("a".repeat(1000));
    expect(clip(`${"a".repeat(1000)}bcd`)).toBe(`${"a".repeat(1000)}… (3 more characters cut)`);
    expect(clip("abcdef", 4)).toBe("abcd… (2 more characters cut)");
    expect(clip("abcd", 4)).toBe("abcd");
  });
});

describe("redirectTarget", () => {
  it("says when there is no Location, or only blanks", () => {
    expect(redirectTarget(null, "https://graph.test/v1.0/x")).toBe("no Location header");
    expect(redirectTarget("", "https://graph.test/v1.0/x")).toBe("no Location header");
    expect(redirectTarget("   ", "https://graph.test/v1.0/x")).toBe("no Location header");
  });

  it("keeps scheme, host and path only, resolving a relative Location against the request", () => {
    expect(
      redirectTarget("https://user:pw@evil.test:8443/a/b?sig=SECRET#frag", "https://graph.test/x"),
    ).toBe("https://evil.test:8443/a/b");
    expect(redirectTarget("/login?token=1", "https://graph.test/v1.0/users")).toBe(
      "https://graph.test/login",
    );
  });

  it("cuts a long target to 200 characters", () => {
    const target = redirectTarget(`https://evil.test/${"p".repeat(300)}`, "https://graph.test/");
    expect(target.startsWith(`https://evil.test/${"p".repeat(182)}… (`)).toBe(true);
    expect(target).toContain("more characters cut)");
  });

  it("says so when the Location cannot be read", () => {
    expect(redirectTarget("http://[::1", "https://graph.test/")).toBe(
      "an unreadable Location header",
    );
  });
});

describe("responseToMailError: redirects", () => {
  const url = "https://graph.test/v1.0/users/a%40contoso.com/sendMail";

  it("a 302 from Graph is CONNECTION_FAILED, not retryable nor ambiguous, naming the status and target", () => {
    const error = responseToMailError(
      answer(302, undefined, { location: "https://portal.test/login?x=1" }),
      { ...context({ messageId: "<m@x>" }), url },
    );
    expect(error).toMatchObject({
      code: "CONNECTION_FAILED",
      retryable: false,
      transport: "graph",
      http: { status: 302 },
      messageId: "<m@x>",
    });
    expect(error.ambiguous).toBeUndefined();
    expect(error.message).toBe(
      "graph: Graph answered HTTP 302 redirecting to https://portal.test/login; redirects are not followed, nothing was sent there.",
    );
    expect(error.hint).toContain("(https://graph.test)");
    expect(error.hint).toContain("baseUrl");
  });

  it("a redirect fetch answered opaquely (status 0) has no http field and says 'a redirect'", () => {
    const error = responseToMailError(answer(0, undefined), { ...context({ upload: true }), url });
    expect(error.code).toBe("CONNECTION_FAILED");
    expect(error.http).toBeUndefined();
    expect(error.messageId).toBeUndefined();
    expect(error.message).toBe(
      "graph: The upload URL answered a redirect redirecting to no Location header; redirects are not followed, nothing was sent there.",
    );
  });

  it("redacts secrets from the message and the hint", () => {
    const error = responseToMailError(
      answer(307, undefined, { location: `https://evil.test/${SECRET}` }),
      { ...context(), url: `https://${SECRET}.test/v1.0/x` },
    );
    expect(error.message).not.toContain(SECRET);
    expect(error.hint).not.toContain(SECRET);
  });

  it("a 3xx without the request URL is mapped as any other status", () => {
    const error = responseToMailError(answer(304, undefined), context());
    expect(error.http?.status).toBe(304);
    expect(error.message).not.toContain("redirect");
  });
});

describe("responseToMailError: Graph error answers", () => {
  it("carries the status, Graph's error code and message, and the request-id header", () => {
    const error = responseToMailError(
      answer(403, graphError("ErrorSendAsDenied", "The user account which was used..."), {
        "request-id": "rid-header",
      }),
      context({ messageId: "<m@x>" }),
    );
    expect(error).toMatchObject({
      code: "SEND_AS_DENIED",
      transport: "graph",
      messageId: "<m@x>",
      http: { status: 403, code: "ErrorSendAsDenied", requestId: "rid-header" },
    });
    expect(error.message).toBe(
      "graph: HTTP 403 ErrorSendAsDenied The user account which was used...",
    );
  });

  it("takes the request id from innerError when there is no header, and cuts ids and codes to 200", () => {
    const fromBody = responseToMailError(
      answer(404, graphError("ErrorItemNotFound", "gone", { "request-id": "rid-body" })),
      context(),
    );
    expect(fromBody.http?.requestId).toBe("rid-body");
    const notText = responseToMailError(
      answer(404, graphError("ErrorItemNotFound", "gone", { "request-id": 42 })),
      context(),
    );
    expect(notText.http?.requestId).toBeUndefined();
    const long = responseToMailError(
      answer(400, graphError("C".repeat(250), "bad"), { "request-id": "r".repeat(250) }),
      context(),
    );
    expect(long.http?.requestId).toBe(`${"r".repeat(200)}… (50 more characters cut)`);
    expect(long.http?.code).toBe(`${"C".repeat(200)}… (50 more characters cut)`);
    const longInner = responseToMailError(
      answer(400, graphError("Bad", "bad", { "request-id": "i".repeat(201) })),
      context(),
    );
    expect(longInner.http?.requestId).toBe(`${"i".repeat(200)}… (1 more characters cut)`);
  });

  it("quotes a text answer's first 500 characters, and says when the answer was cut", () => {
    const text = responseToMailError(answer(502, `<html>${"x".repeat(600)}`), context());
    expect(text.message).toBe(`graph: HTTP 502 <html>${"x".repeat(494)}`);
    expect(text.http?.code).toBeUndefined();
    const cut = responseToMailError(
      answer(500, graphError("Boom", "went wrong"), {}, true),
      context(),
    );
    expect(cut.message).toBe("graph: HTTP 500 Boom went wrong (answer cut after 64 kB)");
    const empty = responseToMailError(answer(500, undefined), context());
    expect(empty.message).toBe("graph: HTTP 500");
    const notText = responseToMailError(answer(500, { error: { code: 7, message: 8 } }), context());
    expect(notText.message).toBe("graph: HTTP 500");
    expect(notText.http).toEqual({ status: 500 });
  });

  it("cuts Graph's error message to 1000 characters", () => {
    const error = responseToMailError(answer(400, graphError("Bad", "m".repeat(1001))), context());
    expect(error.message).toBe(`graph: HTTP 400 Bad ${"m".repeat(1000)}… (1 more characters cut)`);
  });

  it("reads Retry-After into retryAfterMs", () => {
    const error = responseToMailError(
      answer(429, graphError("ApplicationThrottled", "slow down"), { "retry-after": "7" }),
      context(),
    );
    expect(error).toMatchObject({ code: "THROTTLED", retryAfterMs: 7000 });
  });

  it("a 5xx is ambiguous on the send step only; a 4xx never is", () => {
    const at = (status: number, step: GraphErrorContext["step"]) =>
      responseToMailError(answer(status, graphError("X", "y")), context({ step })).ambiguous;
    expect(at(500, "send")).toBe(true);
    expect(at(503, "send")).toBe(true);
    expect(at(499, "send")).toBeUndefined();
    expect(at(500, "draft")).toBeUndefined();
    expect(at(503, "verify")).toBeUndefined();
  });

  it("a 403 on a draft step names Mail.ReadWrite; a 403 on send or another status on a draft does not", () => {
    const draft403 = responseToMailError(
      answer(403, graphError("ErrorAccessDenied", "Access is denied.")),
      context({ step: "draft" }),
    );
    expect(draft403.hint).toContain("Mail.ReadWrite");
    expect(draft403.messageId).toBeUndefined();
    const send403 = responseToMailError(
      answer(403, graphError("ErrorAccessDenied", "Access is denied.")),
      context({ step: "send" }),
    );
    expect(send403.hint).not.toContain("Mail.ReadWrite");
    const draft404 = responseToMailError(
      answer(404, graphError("ErrorItemNotFound", "gone")),
      context({ step: "draft" }),
    );
    expect(draft404.hint).not.toContain("Mail.ReadWrite");
  });

  it("redacts known secrets from what the server said", () => {
    const error = responseToMailError(
      answer(400, graphError(`Code${SECRET}`, `token ${SECRET} rejected`)),
      context(),
    );
    expect(error.message).not.toContain(SECRET);
    expect(error.http?.code).not.toContain(SECRET);
  });
});

describe("failureToMailError", () => {
  it("completes a MailError without a transport, and leaves one that has it as it is", () => {
    const bare = new MailError({ code: "AUTH_FAILED", message: "no token" });
    const completed = failureToMailError(bare, context({ messageId: "<m@x>" }));
    expect(completed).toMatchObject({
      code: "AUTH_FAILED",
      transport: "graph",
      messageId: "<m@x>",
    });
    const completedNoId = failureToMailError(bare, context());
    expect(completedNoId.transport).toBe("graph");
    expect(completedNoId.messageId).toBeUndefined();
    const own = new MailError({ code: "AUTH_FAILED", message: "no token", transport: "entra" });
    expect(failureToMailError(own, context({ messageId: "<m@x>" }))).toBe(own);
  });

  it("anything else unexpected is UNKNOWN, its message quoted and redacted", () => {
    const error = failureToMailError(
      new TypeError(`bad ${SECRET}`),
      context({ messageId: "<m@x>" }),
    );
    expect(error).toMatchObject({ code: "UNKNOWN", transport: "graph", messageId: "<m@x>" });
    expect(error.message).toBe("graph: bad [redacted]");
    expect(error.hint).toMatch(/unexpected/);
    expect(failureToMailError("plain text", context()).message).toBe("graph: plain text");
    expect(failureToMailError(null, context()).message).toBe("graph: null");
    expect(failureToMailError(undefined, context()).messageId).toBeUndefined();
  });

  it("an abort is ABORTED, ambiguous only when the send request had started", () => {
    const aborted = (step: GraphErrorContext["step"], started: boolean) =>
      failureToMailError(new RequestFailure("aborted", undefined, started), context({ step }));
    const afterSend = aborted("send", true);
    expect(afterSend).toMatchObject({ code: "ABORTED", retryable: false, ambiguous: true });
    expect(afterSend.message).toBe("graph: the send was aborted.");
    expect(afterSend.hint).toMatch(/aborted/);
    expect(aborted("send", false).ambiguous).toBeUndefined();
    expect(aborted("draft", true).ambiguous).toBeUndefined();
    expect(
      failureToMailError(
        new RequestFailure("aborted", undefined),
        context({ step: "send", messageId: "<m@x>" }),
      ),
    ).toMatchObject({ ambiguous: true, messageId: "<m@x>" });
  });

  it("a timeout is TIMEOUT and retryable, ambiguous on the send step only", () => {
    const send = failureToMailError(
      new RequestFailure("timeout", undefined),
      context({ messageId: "<m@x>" }),
    );
    expect(send).toMatchObject({
      code: "TIMEOUT",
      retryable: true,
      ambiguous: true,
      transport: "graph",
      messageId: "<m@x>",
    });
    expect(send.message).toBe("graph: Graph did not answer within requestTimeoutMs.");
    expect(send.hint).toMatch(/in time/);
    const draft = failureToMailError(
      new RequestFailure("timeout", undefined),
      context({ step: "draft" }),
    );
    expect(draft.ambiguous).toBeUndefined();
    expect(draft.messageId).toBeUndefined();
  });

  it("a proxy refusing CONNECT is CONNECTION_FAILED, never ambiguous; retryable from 500; 407 asks for credentials", () => {
    const proxy = (status: number) =>
      failureToMailError(
        new RequestFailure(
          "network",
          networkError(undefined, `Proxy response (${status}) !== 200 when HTTP Tunneling`),
        ),
        context({ messageId: "<m@x>" }),
      );
    const auth = proxy(407);
    expect(auth).toMatchObject({ code: "CONNECTION_FAILED", retryable: false, messageId: "<m@x>" });
    expect(auth.ambiguous).toBeUndefined();
    expect(auth.message).toBe("graph: the HTTPS proxy answered 407 to CONNECT; nothing was sent.");
    expect(auth.hint).toContain("credentials");
    const forbidden = proxy(403);
    expect(forbidden.retryable).toBe(false);
    expect(forbidden.hint).toContain("NO_PROXY");
    expect(forbidden.hint).not.toContain("credentials");
    expect(proxy(499).retryable).toBe(false);
    expect(proxy(500).retryable).toBe(true);
    expect(proxy(502).retryable).toBe(true);
  });

  it("a connection that fails before the request leaves is not ambiguous, whatever the step", () => {
    for (const code of [
      "ECONNREFUSED",
      "ENOTFOUND",
      "EAI_AGAIN",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "EADDRNOTAVAIL",
      "UND_ERR_CONNECT_TIMEOUT",
    ]) {
      const error = failureToMailError(
        new RequestFailure("network", networkError(code, `connect ${code}`)),
        context({ step: "send" }),
      );
      expect(error.ambiguous, code).toBeUndefined();
      expect(error.retryable, code).toBe(true);
    }
  });

  it("a connection dropped after the send request left is ambiguous (on the send step only)", () => {
    const reset = (step: GraphErrorContext["step"]) =>
      failureToMailError(
        new RequestFailure("network", networkError("ECONNRESET", "read ECONNRESET")),
        context({ step, messageId: "<m@x>" }),
      );
    const send = reset("send");
    expect(send).toMatchObject({
      code: "CONNECTION_FAILED",
      retryable: true,
      ambiguous: true,
      transport: "graph",
      messageId: "<m@x>",
    });
    expect(send.message).toBe("graph: read ECONNRESET (ECONNRESET)");
    expect(send.hint).toBeTruthy();
    expect((send as MailError & { cause?: unknown }).cause).toBeInstanceOf(Error);
    expect(reset("draft").ambiguous).toBeUndefined();
  });

  it("a TLS failure is TLS_ERROR and not ambiguous: the request never left", () => {
    const error = failureToMailError(
      new RequestFailure("network", networkError("CERT_HAS_EXPIRED", "certificate has expired")),
      context({ step: "send" }),
    );
    expect(error).toMatchObject({ code: "TLS_ERROR", retryable: false });
    expect(error.ambiguous).toBeUndefined();
  });

  // Mutants (errors.ts:214–215): the code and the message each reach the classifier on
  // their own: a TLS code under a plain message, and a TLS message without a code.
  it("classifies by the error's code, and by its message when it has no code", () => {
    const byCode = failureToMailError(
      new RequestFailure("network", networkError("CERT_HAS_EXPIRED", "socket closed")),
      context(),
    );
    expect(byCode.code).toBe("TLS_ERROR");
    const byMessage = failureToMailError(
      new RequestFailure("network", networkError(undefined, "certificate has expired")),
      context(),
    );
    expect(byMessage.code).toBe("TLS_ERROR");
  });

  it("an unclassified network failure is CONNECTION_FAILED and retryable; without words says 'request failed'", () => {
    const odd = failureToMailError(
      new RequestFailure("network", networkError(undefined, `something odd ${SECRET}`)),
      context({ step: "draft" }),
    );
    expect(odd).toMatchObject({ code: "CONNECTION_FAILED", retryable: true });
    expect(odd.message).toBe("graph: something odd [redacted]");
    const silent = failureToMailError(new RequestFailure("network", undefined), context());
    expect(silent.message).toBe("graph: request failed");
    expect(silent).toMatchObject({ code: "CONNECTION_FAILED", retryable: true, ambiguous: true });
  });
});
