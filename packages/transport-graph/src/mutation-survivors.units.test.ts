// Unit-level details the other tests left uncovered (issue 17, mutation testing).
import { describe, expect, it } from "vitest";
import type { HttpResult } from "./http.js";
import { succeeded } from "./large-message.js";

describe("succeeded", () => {
  // Mutant (large-message.ts:16): `status <= 300` would take a 300 (Multiple Choices, from a
  // proxy or a wrong baseUrl) as a sent message.
  it("takes 2xx answers only, 300 and 199 not", () => {
    const answer = (status: number): HttpResult => ({
      status,
      headers: new Headers(),
      body: undefined,
    });
    expect([199, 200, 202, 299, 300, 301].map((status) => succeeded(answer(status)))).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
