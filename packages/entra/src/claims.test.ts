import { MailError } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import { decodeTokenClaims } from "./claims.js";

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("decodeTokenClaims", () => {
  it("reads aud, roles, tid, appid and exp of an app-only access token without verifying it", () => {
    const claims = {
      aud: "https://outlook.office365.com",
      iss: "https://sts.windows.net/8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b/",
      tid: "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
      appid: "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f",
      roles: ["SMTP.SendAsApp"],
      exp: 1_800_000_000,
      ünïcode: "ok",
    };
    const token = `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`;
    expect(decodeTokenClaims(token)).toEqual(claims);
  });

  it("refuses what is not a JWT without echoing it", () => {
    for (const value of ["opaque-access-token-value", "a.b", `x.${part(["array"])}.y`, "a.%%%.c"]) {
      let error: unknown;
      try {
        decodeTokenClaims(value);
      } catch (caught) {
        error = caught;
      }
      expect(MailError.isInstance(error)).toBe(true);
      expect((error as MailError).code).toBe("INVALID_CONFIG");
      expect(JSON.stringify((error as MailError).toJSON())).not.toContain(value);
    }
  });
});
