// Fixtures of the configuration tests: an Entra app's variables, the INVALID_CONFIG a
// configuration is refused with, and what the JSON-lines logger writes to stdout.
import { MailError } from "@mailpath/core";
import { expect, it, vi } from "vitest";
import type { MailpathConfig } from "../config.js";
import { createMailerFromEnv } from "../create-mailer.js";
import type { Env } from "../env.js";

/** The variables of an Entra app: made-up IDs and a secret no error or log may show. */
export const ENTRA = {
  MAILPATH_TENANT_ID: "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
  MAILPATH_CLIENT_ID: "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f",
  MAILPATH_CLIENT_SECRET: "s3cr3t-value-never-shown",
};

/** The MailError `promise` rejects with; the test fails when it resolves or rejects otherwise. */
export async function failure(promise: Promise<unknown>): Promise<MailError> {
  const error = await promise.then(
    () => {
      throw new Error("expected INVALID_CONFIG");
    },
    (caught: unknown) => caught,
  );
  expect(MailError.isInstance(error)).toBe(true);
  return error as MailError;
}

/** The paths of an error's issues, in order. */
export const issuePaths = (error: MailError) => error.issues?.map((issue) => issue.path) ?? [];

/** Why the Graph configuration of ENTRA plus `variables` (and `overrides` in code) is refused. */
export function graphFailure(
  variables: Env = {},
  overrides?: Partial<MailpathConfig>,
): Promise<MailError> {
  return failure(
    createMailerFromEnv({ MAILPATH_TRANSPORT: "graph", ...ENTRA, ...variables }, overrides),
  );
}

/**
 * One test a row: the Graph configuration with `variable=value` is refused with a single issue,
 * naming the variable, whose message matches.
 */
export function itNamesWrongValues(rows: ReadonlyArray<[string, string, RegExp]>): void {
  it.each(rows)("names %s when its value is wrong", async (variable, value, message) => {
    const error = await graphFailure({ [variable]: value });
    expect(error.issues).toEqual([{ path: variable, message: expect.stringMatching(message) }]);
  });
}

/** Collects what is written to process.stdout, which is not passed on, until vi.restoreAllMocks(). */
export function captureStdout(): string[] {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return chunks;
}
