import { describe, expect, it } from "vitest";
import { MailError } from "../errors/mail-error.js";
import { rejectedMailError, thrownMailError } from "./mail-error.js";

const refusal = () =>
  new MailError({ code: "INVALID_CONFIG", message: "host is missing", retryable: false });

describe("thrownMailError", () => {
  it("returns the MailError the call throws", () => {
    const error = refusal();
    expect(
      thrownMailError(() => {
        throw error;
      }),
    ).toBe(error);
  });

  it("rethrows anything else and fails when the call returns", () => {
    const other = new TypeError("not a MailError");
    expect(() =>
      thrownMailError(() => {
        throw other;
      }),
    ).toThrow(other);
    expect(() => thrownMailError(() => 1)).toThrow(/expected a MailError, but the call returned/);
  });
});

describe("rejectedMailError", () => {
  it("returns the MailError the promise rejects with", async () => {
    const error = refusal();
    await expect(rejectedMailError(Promise.reject(error))).resolves.toBe(error);
  });

  it("rejects with anything else and when the promise resolves", async () => {
    const other = new TypeError("not a MailError");
    await expect(rejectedMailError(Promise.reject(other))).rejects.toBe(other);
    await expect(rejectedMailError(Promise.resolve("sent"))).rejects.toThrow(
      /expected a MailError, but the promise resolved/,
    );
  });
});
