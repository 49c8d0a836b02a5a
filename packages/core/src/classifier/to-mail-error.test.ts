import { connect, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { MailError } from "../errors/mail-error.js";
import { httpErrorToMailError, smtpErrorToMailError } from "./to-mail-error.js";

// Builds an error the way nodemailer 10's SMTPConnection._formatError does: the step's code
// replaces the system code (kept as originalCode), the reply is appended to the message.
function nodemailerError(
  cause: string | Error,
  code: string,
  response: string | false,
  command: string,
  extra: Record<string, unknown> = {},
): Error {
  const error = (typeof cause === "string" ? new Error(cause) : cause) as Error &
    Record<string, unknown>;
  if (error.code && error.code !== code) error.originalCode = error.code;
  error.code = code;
  if (response) {
    error.response = response;
    error.message += `: ${response}`;
    error.responseCode = Number(response.slice(0, 3));
  }
  error.command = command;
  return Object.assign(error, extra);
}

const context = { transport: "smtp" } as const;

describe("smtpErrorToMailError", () => {
  it("maps EAUTH 535 5.7.139 to AUTH_DISABLED with the server's reply", () => {
    const response =
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.";
    const error = smtpErrorToMailError(
      nodemailerError("Invalid login", "EAUTH", response, "AUTH LOGIN"),
      context,
    );
    expect(error).toBeInstanceOf(MailError);
    expect(error).toMatchObject({
      code: "AUTH_DISABLED",
      retryable: false,
      transport: "smtp",
      smtp: { replyCode: 535, enhancedCode: "5.7.139", response },
    });
    expect(error.hint).toContain("Set-CASMailbox");
    expect(error.ambiguous).toBeUndefined();
  });

  // nodemailer's error for a reply (message, code, reply, command) → what it classifies as.
  const replies = [
    {
      title: "maps EAUTH 535 5.7.3 to AUTH_FAILED",
      thrown: [
        "Invalid login",
        "EAUTH",
        "535 5.7.3 Authentication unsuccessful [host]",
        "AUTH XOAUTH2",
      ],
      expected: {
        code: "AUTH_FAILED",
        retryable: false,
        smtp: { replyCode: 535, enhancedCode: "5.7.3" },
      },
    },
    {
      title: "maps a 432 4.3.2 at MAIL FROM to a retryable THROTTLED with a delay",
      thrown: [
        "Mail command failed",
        "EENVELOPE",
        "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
        "MAIL FROM",
      ],
      expected: { code: "THROTTLED", retryable: true, retryAfterMs: 5_000 },
    },
    {
      title: "classifies a reply carried by a connection close (421 then close)",
      thrown: [
        "Connection closed unexpectedly",
        "ECONNECTION",
        "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.",
        "CONN",
      ],
      expected: { code: "TLS_ERROR", smtp: { replyCode: 421, enhancedCode: "4.7.66" } },
    },
  ] as const;
  for (const { title, thrown, expected } of replies) {
    it(title, () => {
      const [message, code, response, command] = thrown;
      expect(
        smtpErrorToMailError(nodemailerError(message, code, response, command), context),
      ).toMatchObject(expected);
    });
  }

  it("maps EENVELOPE with rejectedErrors to RECIPIENT_REJECTED and lists the recipients", () => {
    const reply =
      "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup";
    const rejectedError = nodemailerError(
      "Recipient command failed",
      "EENVELOPE",
      reply,
      "RCPT TO",
    );
    const error = smtpErrorToMailError(
      nodemailerError(
        "Can't send mail - all recipients were rejected",
        "EENVELOPE",
        false,
        "RCPT TO",
        {
          rejected: ["nobody@contoso.com"],
          rejectedErrors: [rejectedError],
        },
      ),
      context,
    );
    expect(error).toMatchObject({
      code: "RECIPIENT_REJECTED",
      retryable: false,
      smtp: { replyCode: 550, enhancedCode: "5.1.10", response: reply },
    });
    expect(error.message).toContain("nobody@contoso.com");
  });

  it("maps ESOCKET with originalCode DEPTH_ZERO_SELF_SIGNED_CERT to TLS_ERROR", () => {
    const socketError = Object.assign(new Error("self-signed certificate"), {
      code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    });
    const error = smtpErrorToMailError(
      nodemailerError(socketError, "ESOCKET", false, "CONN"),
      context,
    );
    expect(error).toMatchObject({ code: "TLS_ERROR", retryable: false });
    expect(error.hint).toMatch(/tls\.ca/);
    expect(error.smtp).toBeUndefined();
  });

  it("maps a real ECONNREFUSED from a closed loopback port to a retryable CONNECTION_FAILED", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const socketError = await new Promise<Error>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("error", resolve);
    });
    const error = smtpErrorToMailError(
      nodemailerError(socketError, "ESOCKET", false, "CONN"),
      context,
    );
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", retryable: true });
    expect(error.ambiguous).toBeUndefined();
  });

  it.each([
    ["502 5.5.2 Command not recognized", false],
    ["454 4.7.0 TLS not available due to temporary reason", true],
  ])("maps a refused STARTTLS (%s) to TLS_ERROR with the server's reply", (reply, retryable) => {
    const error = smtpErrorToMailError(
      nodemailerError("Error upgrading connection with STARTTLS", "ETLS", reply, "STARTTLS"),
      context,
    );
    expect(error).toMatchObject({
      code: "TLS_ERROR",
      retryable,
      smtp: { replyCode: Number(reply.slice(0, 3)), response: reply },
    });
    expect(error.hint).toMatch(/strips STARTTLS/);
  });

  it("maps ETIMEDOUT to a retryable TIMEOUT", () => {
    const error = smtpErrorToMailError(
      nodemailerError("Connection timeout", "ETIMEDOUT", false, "CONN"),
      context,
    );
    expect(error).toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(error.ambiguous).toBeUndefined();
  });

  it("marks a connection dropped after the message body was sent as ambiguous", () => {
    const dropped = nodemailerError("Connection closed unexpectedly", "ECONNECTION", false, "CONN");
    const error = smtpErrorToMailError(dropped, { ...context, phase: "after-data" });
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", retryable: true, ambiguous: true });
  });

  it("marks a timeout while nodemailer was in the DATA stage as ambiguous", () => {
    const error = smtpErrorToMailError(
      nodemailerError("Timeout", "ETIMEDOUT", false, "DATA"),
      context,
    );
    expect(error).toMatchObject({ code: "TIMEOUT", ambiguous: true });
  });

  it("never marks a reply as ambiguous, even after data", () => {
    const error = smtpErrorToMailError(
      nodemailerError(
        "Message failed",
        "EMESSAGE",
        "552 5.3.4 Message size exceeds fixed maximum message size",
        "DATA",
      ),
      { ...context, phase: "after-data" },
    );
    expect(error).toMatchObject({ code: "MESSAGE_TOO_LARGE", retryable: false });
    expect(error.ambiguous).toBeUndefined();
  });

  it("lets phase before-data override nodemailer's command", () => {
    const error = smtpErrorToMailError(nodemailerError("Timeout", "ETIMEDOUT", false, "DATA"), {
      ...context,
      phase: "before-data",
    });
    expect(error.ambiguous).toBeUndefined();
  });

  it("maps nodemailer's client-side codes without a reply", () => {
    expect(
      smtpErrorToMailError(
        nodemailerError('Missing credentials for "PLAIN"', "EAUTH", false, "API"),
        context,
      ).code,
    ).toBe("INVALID_CONFIG");
    expect(
      smtpErrorToMailError(
        nodemailerError("Authentication credentials not provided", "ENOAUTH", false, "API"),
        context,
      ).code,
    ).toBe("INVALID_CONFIG");
    expect(
      smtpErrorToMailError(
        nodemailerError(
          "Message size larger than allowed 157286400",
          "EMESSAGE",
          false,
          "MAIL FROM",
        ),
        context,
      ).code,
    ).toBe("MESSAGE_TOO_LARGE");
    expect(
      smtpErrorToMailError(
        nodemailerError("No recipients defined", "EENVELOPE", false, "API"),
        context,
      ).code,
    ).toBe("INVALID_MESSAGE");
    expect(
      smtpErrorToMailError(
        nodemailerError("Message sending aborted", "EABORT", false, "API"),
        context,
      ).code,
    ).toBe("ABORTED");
    expect(
      smtpErrorToMailError(
        nodemailerError("Invalid greeting. response=HTTP/1.1 400", "EPROTOCOL", false, "CONN"),
        context,
      ),
    ).toMatchObject({ code: "CONNECTION_FAILED", retryable: false });
  });

  it("redacts a secret the server echoes, in message, reply and hint", () => {
    const password = "Tr0ub4dor&3-very-secret";
    const token =
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJl";
    const response = `535 5.7.3 Authentication unsuccessful: bad password ${password} for token ${token}`;
    const error = smtpErrorToMailError(
      nodemailerError("Invalid login", "EAUTH", response, "AUTH LOGIN"),
      {
        transport: "smtp",
        secrets: [password, undefined],
      },
    );
    const serialized = JSON.stringify(error.toJSON()) + error.message + String(error.stack);
    expect(serialized).not.toContain(password);
    expect(serialized).not.toContain(token);
    expect(error.smtp?.response).toContain("[redacted]");
    expect(error.code).toBe("AUTH_FAILED");
  });

  it("returns an existing MailError unchanged", () => {
    const original = new MailError({ code: "THROTTLED", message: "slow down", retryable: true });
    expect(smtpErrorToMailError(original, context)).toBe(original);
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a string", "boom"],
    ["a number", 42],
    ["an empty object", {}],
    [
      "an object with odd field types",
      { code: 5, responseCode: "535", response: { text: 1 }, rejectedErrors: "x" },
    ],
    [
      "an object whose getters throw",
      Object.defineProperty({}, "code", {
        get: () => {
          throw new Error("nope");
        },
      }),
    ],
  ])("always returns a MailError for %s", (_name, value) => {
    const error = smtpErrorToMailError(value, context);
    expect(MailError.isInstance(error)).toBe(true);
    expect(error.code).toBe("UNKNOWN");
    expect(error.transport).toBe("smtp");
    expect(error.hint).toBeTruthy();
  });
});

describe("httpErrorToMailError", () => {
  it("carries status, Graph code and request id, and Retry-After", () => {
    const error = httpErrorToMailError(
      {
        status: 429,
        code: "ApplicationThrottled",
        message: "Application is over its MailboxConcurrency limit.",
        retryAfter: "7",
        requestId: "c0ffee00-1111-2222-3333-444455556666",
      },
      { transport: "graph" },
    );
    expect(error).toMatchObject({
      code: "THROTTLED",
      retryable: true,
      retryAfterMs: 7_000,
      transport: "graph",
      http: {
        status: 429,
        code: "ApplicationThrottled",
        requestId: "c0ffee00-1111-2222-3333-444455556666",
      },
    });
    expect(error.ambiguous).toBeUndefined();
  });

  it("marks ambiguous when the transport says so", () => {
    const error = httpErrorToMailError({ status: 504 }, { transport: "graph", ambiguous: true });
    expect(error).toMatchObject({ code: "SERVER_ERROR", retryable: true, ambiguous: true });
  });

  it("redacts the client secret from an Entra error", () => {
    const secret = "abc~DEF123456789ghiJKL";
    const error = httpErrorToMailError(
      {
        status: 401,
        code: "invalid_client",
        message: `AADSTS7000215: Invalid client secret provided: ${secret}`,
      },
      { transport: "graph", secrets: [secret] },
    );
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.hint).toMatch(/rotate the client secret/);
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain("[redacted]");
  });
});
