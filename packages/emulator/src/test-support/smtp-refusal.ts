// How the SMTP endpoint tests check that nodemailer was refused, written once.
import { expect } from "vitest";

/**
 * Asserts that a nodemailer send was refused with this whole SMTP reply; its reply code is
 * read from the reply's first three digits.
 * @param sending the send
 * @param response the whole reply line the endpoint answered
 * @param fields other fields of nodemailer's error to match (`code`: `EENVELOPE`, `EAUTH`, …)
 */
export async function expectRefused(
  sending: Promise<unknown>,
  response: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  await expect(sending).rejects.toMatchObject({
    ...fields,
    responseCode: Number(response.slice(0, 3)),
    response,
  });
}
