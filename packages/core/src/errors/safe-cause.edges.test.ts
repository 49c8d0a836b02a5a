// The edges of safeCause (issue 17: mutants of safe-cause.ts that every other test let live).
import { describe, expect, it } from "vitest";
import { safeCause } from "./safe-cause.js";

describe("safeCause at its edges", () => {
  it("passes undefined, null, numbers and booleans through and names a function", () => {
    expect(safeCause(undefined)).toBeUndefined();
    expect(safeCause(null)).toBeNull();
    expect(safeCause(42)).toBe(42);
    expect(safeCause(false)).toBe(false);
    expect(safeCause(() => "secret")).toBe("[function]");
  });

  it("keeps boolean and number fields, and a plain object's name", () => {
    const copy = safeCause({ name: "Weird", message: "m", errno: -111, status: 503 }) as object;
    expect(copy).toEqual({ name: "Weird", message: "m", errno: -111, status: 503 });
    const flagged = Object.assign(new Error("x"), { code: "ESOCKET", responseCode: 421 });
    Object.assign(flagged, { errorCode: true });
    expect(safeCause(flagged)).toMatchObject({
      code: "ESOCKET",
      responseCode: 421,
      errorCode: true,
    });
  });

  it("cuts a cause chain after five levels, not at five", () => {
    let chain: Error = new Error("level 6");
    for (let level = 5; level >= 1; level -= 1)
      chain = new Error(`level ${level}`, { cause: chain });
    let copy = safeCause(chain) as Error;
    const messages: unknown[] = [];
    for (let level = 0; level < 6 && copy instanceof Error; level += 1) {
      messages.push(copy.message);
      copy = copy.cause as Error;
    }
    expect(messages).toEqual(["level 1", "level 2", "level 3", "level 4", "level 5"]);
    expect(copy).toBe("[cause chain cut]");
  });

  it("keeps an Error subclass's name (writable), the stack, and no cause when there was none", () => {
    class SocketError extends Error {
      override name = "SocketError";
    }
    const copy = safeCause(new SocketError("reset")) as Error;
    expect(copy.name).toBe("SocketError");
    expect(copy.stack).toContain("reset");
    expect("cause" in copy).toBe(false);
    copy.name = "Renamed";
    expect(copy.name).toBe("Renamed");
    const plain = safeCause(new Error("plain")) as Error;
    expect(plain.name).toBe("Error");
    expect(Object.hasOwn(plain, "name")).toBe(false);
  });

  it("gives an Error without a string message an empty message", () => {
    const odd = new Error("x");
    Object.defineProperty(odd, "message", { value: 7 });
    expect((safeCause(odd) as Error).message).toBe("");
  });
});
