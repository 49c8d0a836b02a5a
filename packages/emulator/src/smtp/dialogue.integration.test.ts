// Exchange's SMTP dialogue, spoken raw over node:net/node:tls: what EHLO offers (CHUNKING,
// BINARYMIME, no DSN), BDAT, what is refused because it was not offered, the words for
// protocol mistakes, Send As at MAIL FROM and after DATA, and the message rate's delay.
// Each case names the section of docs/reference/exchange-online.md it follows.
import nodemailer from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useEmulator } from "../suite.js";
import { DEFAULT_PASSWORD, DEFAULT_SENDER } from "../tenant.js";
import { RawSmtpSession } from "../test-support/raw-smtp.js";
import { RELAY_HOSTNAME } from "./relay.js";
import { SUBMISSION_HOSTNAME } from "./submission.js";

const HOST = SUBMISSION_HOSTNAME;
const ACCEPTED = new RegExp(
  `^250 2\\.0\\.0 OK <[^>]+> \\[Hostname=${HOST.replace(/\./g, "\\.")}\\]$`,
);
let clock = Date.UTC(2026, 10, 23, 12, 0, 0);

const emulator = useEmulator({ beforeAll, afterAll }, { now: () => clock });
beforeEach(() => {
  emulator.reset({ tenant: true });
});

/** EHLO, STARTTLS, EHLO; with `login`, AUTH LOGIN as the default sender too. */
async function session(login = true) {
  const { session: opened } = await RawSmtpSession.open(emulator.smtp.port);
  await opened.command("EHLO client.example");
  await opened.startTls(emulator.ca);
  if (login) {
    expect(await opened.login(DEFAULT_SENDER, DEFAULT_PASSWORD)).toBe(
      "235 2.7.0 Authentication successful",
    );
  }
  return opened;
}

async function withSession(run: (smtp: RawSmtpSession) => Promise<void>, login = true) {
  const smtp = await session(login);
  try {
    await run(smtp);
  } finally {
    smtp.close();
  }
}

const message = (subject: string, body = "Hello.") =>
  `From: ${DEFAULT_SENDER}\r\nTo: ada@contoso.com\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;

describe("EHLO (reference §2: SIZE, STARTTLS, CHUNKING, BINARYMIME, SMTPUTF8; AUTH after STARTTLS)", () => {
  it("offers CHUNKING and BINARYMIME on both sides of STARTTLS, and no DSN", async () => {
    const { session: smtp } = await RawSmtpSession.open(emulator.smtp.port);
    try {
      const clear = await smtp.command("EHLO client.example");
      const secure = await smtp.startTls(emulator.ca);
      for (const reply of [clear, secure]) {
        expect(reply).toContain("250-SIZE 157286400");
        expect(reply).toContain("250-BINARYMIME");
        expect(reply).toContain("250-CHUNKING");
        expect(reply).toMatch(/250 SMTPUTF8$/);
        expect(reply).not.toContain("DSN");
      }
      expect(clear.split("\r\n")).toEqual([
        `250-${HOST} Hello [127.0.0.1]`,
        "250-SIZE 157286400",
        "250-PIPELINING",
        "250-ENHANCEDSTATUSCODES",
        "250-STARTTLS",
        "250-8BITMIME",
        "250-BINARYMIME",
        "250-CHUNKING",
        "250 SMTPUTF8",
      ]);
    } finally {
      smtp.close();
    }
  });

  it("offers CHUNKING and BINARYMIME on the relay (MX) endpoint too", async () => {
    const { session: smtp } = await RawSmtpSession.open(emulator.relay.port);
    try {
      const reply = await smtp.command("EHLO client.example");
      expect(reply).toContain(`250-${RELAY_HOSTNAME} Hello`);
      expect(reply).toContain("250-BINARYMIME\r\n250-CHUNKING\r\n250 SMTPUTF8");
    } finally {
      smtp.close();
    }
  });
});

describe("BDAT (CHUNKING, RFC 3030; advertised per reference §2)", () => {
  it("takes a message in two chunks and answers the last like the end of DATA", async () => {
    await withSession(async (smtp) => {
      expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}>`)).toBe("250 2.1.0 Sender OK");
      expect(await smtp.command("RCPT TO:<ada@contoso.com>")).toBe("250 2.1.5 Recipient OK");
      const raw = message("Chunked");
      const first = raw.slice(0, 20);
      const second = raw.slice(20);
      smtp.write(`BDAT ${first.length}\r\n${first}`);
      expect(await smtp.read()).toBe(`250 2.0.0 ${first.length} octets received`);
      smtp.write(`BDAT ${second.length} LAST\r\n${second}`);
      expect(await smtp.read()).toMatch(ACCEPTED);
      const [delivered] = emulator.messages();
      expect(delivered).toMatchObject({ subject: "Chunked", path: "smtp" });
      expect(delivered?.text?.trim()).toBe("Hello.");
    });
  });

  it("takes pipelined chunks, BDAT 0 LAST and QUIT written at once, answering each in order", async () => {
    await withSession(async (smtp) => {
      const raw = message("Pipelined");
      smtp.write(
        `MAIL FROM:<${DEFAULT_SENDER}>\r\nRCPT TO:<ada@contoso.com>\r\nBDAT ${raw.length}\r\n${raw}BDAT 0 LAST\r\nQUIT\r\n`,
      );
      expect(await smtp.read()).toBe("250 2.1.0 Sender OK");
      expect(await smtp.read()).toBe("250 2.1.5 Recipient OK");
      expect(await smtp.read()).toBe(`250 2.0.0 ${raw.length} octets received`);
      expect(await smtp.read()).toMatch(ACCEPTED);
      expect(await smtp.read()).toBe("221 2.0.0 Service closing transmission channel");
      expect(emulator.messages({ subject: "Pipelined" })).toHaveLength(1);
    });
  });

  it("carries 8-bit bytes declared BODY=BINARYMIME, and refuses DATA for such a message (503 5.5.1)", async () => {
    await withSession(async (smtp) => {
      expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}> BODY=BINARYMIME`)).toBe(
        "250 2.1.0 Sender OK",
      );
      expect(await smtp.command("RCPT TO:<ada@contoso.com>")).toBe("250 2.1.5 Recipient OK");
      expect(await smtp.command("DATA")).toBe("503 5.5.1 Bad sequence of commands");
      const raw = Buffer.concat([
        Buffer.from(
          `From: ${DEFAULT_SENDER}\r\nTo: ada@contoso.com\r\nSubject: Binary\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n`,
        ),
        Buffer.from([0x00, 0xff, 0x80, 0x0a, 0x2e, 0x0d, 0x0a]),
      ]);
      smtp.write(Buffer.concat([Buffer.from(`BDAT ${raw.length} LAST\r\n`), raw]));
      expect(await smtp.read()).toMatch(ACCEPTED);
      expect(emulator.messages({ subject: "Binary" })).toHaveLength(1);
    });
  });

  it("takes BDAT on the relay (MX) endpoint, where no AUTH is needed", async () => {
    const { session: smtp } = await RawSmtpSession.open(emulator.relay.port);
    try {
      await smtp.command("EHLO client.example");
      expect(await smtp.command("MAIL FROM:<partner@fabrikam.com>")).toMatch(/^250 /);
      expect(await smtp.command("RCPT TO:<ada@contoso.com>")).toMatch(/^250 /);
      const raw =
        "From: partner@fabrikam.com\r\nTo: ada@contoso.com\r\nSubject: Relayed in chunks\r\n\r\nHi.\r\n";
      smtp.write(`BDAT ${raw.length} LAST\r\n${raw}`);
      expect(await smtp.read()).toMatch(/^250 2\.6\.0 <[^>]+> \[InternalId=\d+, Hostname=/);
      expect(emulator.messages({ subject: "Relayed in chunks" })).toHaveLength(1);
    } finally {
      smtp.close();
    }
  });

  it("reads a chunk sent without MAIL FROM, answers 503 5.5.2, and goes on with the session", async () => {
    await withSession(async (smtp) => {
      smtp.write("BDAT 5 LAST\r\nHELLO");
      expect(await smtp.read()).toBe("503 5.5.2 Need mail command");
      expect(await smtp.command("NOOP")).toBe("250 2.0.0 OK");
    });
  });

  it("answers 530 5.7.57 to BDAT before AUTH, after reading its chunk (reference §7 5.7.57)", async () => {
    await withSession(async (smtp) => {
      smtp.write("BDAT 5 LAST\r\nHELLO");
      expect(await smtp.read()).toBe(
        `530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM [${HOST}]`,
      );
    }, false);
  });
});

describe("what EHLO did not offer is refused", () => {
  it("answers 501 5.5.4 to DSN parameters (RET, ENVID, NOTIFY, ORCPT): DSN is not advertised", async () => {
    await withSession(async (smtp) => {
      expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}> RET=HDRS`)).toBe(
        "501 5.5.4 Invalid arguments",
      );
      expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}> ENVID=abc`)).toBe(
        "501 5.5.4 Invalid arguments",
      );
      expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}>`)).toBe("250 2.1.0 Sender OK");
      expect(await smtp.command("RCPT TO:<ada@contoso.com> NOTIFY=NEVER")).toBe(
        "501 5.5.4 Invalid arguments",
      );
      expect(await smtp.command("RCPT TO:<ada@contoso.com> ORCPT=rfc822;ada@contoso.com")).toBe(
        "501 5.5.4 Invalid arguments",
      );
    });
  });

  it("answers 553 5.6.7 to a UTF-8 address without SMTPUTF8, and accepts it with SMTPUTF8", async () => {
    await withSession(async (smtp) => {
      expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}>`)).toBe("250 2.1.0 Sender OK");
      expect(await smtp.command("RCPT TO:<jürgen@contoso.com>")).toBe(
        "553 5.6.7 A non-ASCII address needs the SMTPUTF8 parameter on MAIL FROM",
      );
      expect(await smtp.command("RSET")).toBe("250 2.0.0 Resetting");
      emulator.configure({ rejectUnknownInternalRecipients: false });
      expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}> SMTPUTF8`)).toBe(
        "250 2.1.0 Sender OK",
      );
      expect(await smtp.command("RCPT TO:<jürgen@contoso.com>")).toBe("250 2.1.5 Recipient OK");
    });
  });

  it("answers 554 5.6.0 to 8-bit data declared 7BIT, and accepts it with BODY=8BITMIME", async () => {
    await withSession(async (smtp) => {
      for (const [parameter, expected] of [
        ["", /^554 5\.6\.0 The message has 8-bit data but was declared 7BIT; send BODY=8BITMIME$/],
        [" BODY=8BITMIME", ACCEPTED],
      ] as const) {
        expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}>${parameter}`)).toBe(
          "250 2.1.0 Sender OK",
        );
        expect(await smtp.command("RCPT TO:<ada@contoso.com>")).toBe("250 2.1.5 Recipient OK");
        expect(await smtp.command("DATA")).toBe("354 Start mail input; end with <CRLF>.<CRLF>");
        expect(await smtp.command(`${message("Grüße", "Grüße aus Zürich")}.`)).toMatch(expected);
      }
      expect(emulator.messages()).toHaveLength(1);
    });
  });
});

describe("protocol mistakes answer in Exchange's shape, never in smtp-server's words", () => {
  it.each([
    [`MAIL FROM:<${DEFAULT_SENDER}> SIZE=abc`, "501 5.5.4 Invalid arguments"],
    [`MAIL FROM:<${DEFAULT_SENDER}> BODY=QUOTED`, "501 5.5.4 Invalid arguments"],
    [`MAIL FROM:<${DEFAULT_SENDER}> SMTPUTF8=yes`, "501 5.5.4 Invalid arguments"],
    [`MAIL FROM:<${DEFAULT_SENDER}> REQUIRETLS`, "501 5.5.4 Invalid arguments"],
    ["VRFY ada@contoso.com", "252 2.1.5 Cannot VRFY user, but will take message for this user"],
    [
      "HELP",
      "214-This server supports the following commands:\r\n214 HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT",
    ],
    ["XYZZY", "500 5.3.3 Unrecognized command 'XYZZY'"],
    ["WIZ", "500 5.3.3 Unrecognized command 'WIZ'"],
    ["XCLIENT ADDR=10.0.0.1", "500 5.3.3 Unrecognized command 'XCLIENT'"],
    ["BDAT ten", "501 5.5.4 Invalid arguments"],
    ["MAIL FROM:notifications@contoso.com", "501 5.1.7 Invalid address"],
  ])("%s → %s", async (command, expected) => {
    await withSession(async (smtp) => {
      expect(await smtp.command(command)).toBe(expected);
    });
  });
});

describe("Send As (reference §7: 550 5.7.60 at MAIL FROM, 554 5.2.0 SendAsDenied after DATA)", () => {
  it("answers 550 5.7.60 at MAIL FROM to a sender the mailbox has no Send As on", async () => {
    await withSession(async (smtp) => {
      expect(await smtp.command("MAIL FROM:<ceo@contoso.com>")).toBe(
        "550 5.7.60 Client does not have permissions to send as this sender",
      );
    });
  });

  it("answers 554 5.2.0 SendAsDeniedException after DATA when only the From header is another address", async () => {
    await withSession(async (smtp) => {
      expect(await smtp.command(`MAIL FROM:<${DEFAULT_SENDER}>`)).toBe("250 2.1.0 Sender OK");
      expect(await smtp.command("RCPT TO:<ada@contoso.com>")).toBe("250 2.1.5 Recipient OK");
      await smtp.command("DATA");
      const reply = await smtp.command(
        "From: ceo@contoso.com\r\nTo: ada@contoso.com\r\nSubject: As the CEO\r\n\r\nHi.\r\n.",
      );
      expect(reply).toMatch(
        new RegExp(
          `^554 5\\.2\\.0 STOREDRV\\.Submission\\.Exception:SendAsDeniedException\\.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message \\[BeginDiagnosticData\\]Cannot submit message\\. ${DEFAULT_SENDER} does not have Send As on the sender address\\.\\[EndDiagnosticData\\] \\[Hostname=${HOST.replace(/\./g, "\\.")}\\]$`,
        ),
      );
      expect(emulator.messages()).toHaveLength(0);
    });
  });
});

describe("message rate (reference §5: 30/min per mailbox, excess delayed, not rejected)", () => {
  function sendOne(subject: string) {
    const client = nodemailer.createTransport({
      host: emulator.smtp.host,
      port: emulator.smtp.port,
      secure: false,
      requireTLS: true,
      tls: { ca: emulator.ca },
      auth: { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
    });
    return client
      .sendMail({ from: DEFAULT_SENDER, to: "ada@contoso.com", subject, text: "Hi." })
      .finally(() => client.close());
  }

  it("accepts the message over the rate with 250 and delivers it once the window has room", async () => {
    emulator.configure({ limits: { smtpMessagesPerWindow: 2, smtpMessageWindowMs: 60_000 } });
    const start = clock;
    for (const subject of ["one", "two", "three", "four", "five"]) {
      await expect(sendOne(subject)).resolves.toMatchObject({
        response: expect.stringMatching(ACCEPTED),
      });
    }
    expect(emulator.messages().map((entry) => entry.subject)).toEqual(["one", "two"]);
    expect(emulator.stats().throttled.smtp).toBe(3);
    clock = start + 60_000;
    expect(emulator.messages().map((entry) => entry.subject)).toEqual([
      "one",
      "two",
      "three",
      "four",
    ]);
    clock = start + 120_000;
    const delivered = emulator.messages();
    expect(delivered.map((entry) => entry.subject)).toEqual([
      "one",
      "two",
      "three",
      "four",
      "five",
    ]);
    expect(delivered[4]?.receivedAt.getTime()).toBe(start + 120_000);
  });

  it("keeps the 451 4.7.500 refusal at MAIL FROM in the tenant's refuse mode", async () => {
    emulator.configure({
      messageRateExcess: "refuse",
      limits: { smtpMessagesPerWindow: 1, smtpMessageWindowMs: 60_000 },
    });
    await sendOne("one");
    await expect(sendOne("two")).rejects.toMatchObject({
      response: "451 4.7.500 Server busy. Please try again later",
    });
  });
});
