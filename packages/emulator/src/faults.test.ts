import { describe, expect, it } from "vitest";
import { createFaultRegistry, defaultFaultStage } from "./faults.js";

describe("createFaultRegistry", () => {
  it("strikes a counted fault that many times at its stage, then forgets it", () => {
    const faults = createFaultRegistry();
    faults.add({ endpoint: "smtp", kind: "drop", stage: "rcpt", count: 2 });
    expect(faults.take("smtp", "mail")).toBeUndefined();
    expect(faults.take("relay", "rcpt")).toBeUndefined();
    expect(faults.take("smtp", "rcpt")).toMatchObject({ kind: "drop" });
    expect(faults.take("smtp", "rcpt")).toMatchObject({ kind: "drop" });
    expect(faults.take("smtp", "rcpt")).toBeUndefined();
  });

  it("uses MAIL FROM for SMTP endpoints and the request for HTTP endpoints when no stage is given", () => {
    const faults = createFaultRegistry();
    faults.add({ endpoint: "smtp", kind: "throttle" });
    faults.add({ endpoint: "graph", kind: "throttle", pathIncludes: "/sendMail" });
    expect(defaultFaultStage("relay")).toBe("mail");
    expect(faults.take("smtp", "mail")).toMatchObject({ kind: "throttle" });
    expect(faults.take("graph", "request", "/v1.0/users/a/messages")).toBeUndefined();
    expect(faults.take("graph", "request", "/v1.0/users/a/sendMail")).toMatchObject({
      endpoint: "graph",
    });
  });

  it("strikes a rate fault when the random draw falls under the rate, until cleared", () => {
    const draws = [0.1, 0.9, 0.2];
    const faults = createFaultRegistry(() => draws.shift() ?? 1);
    faults.add({ endpoint: "token", kind: "reply", status: 503, rate: 0.5 });
    expect(faults.take("token", "request")).toBeDefined();
    expect(faults.take("token", "request")).toBeUndefined();
    expect(faults.take("token", "request")).toBeDefined();
    faults.clear();
    expect(faults.take("token", "request")).toBeUndefined();
  });

  it("rejects a rate outside 0..1 and a count below 1", () => {
    const faults = createFaultRegistry();
    expect(() => faults.add({ endpoint: "smtp", kind: "drop", rate: 2 })).toThrow(RangeError);
    expect(() => faults.add({ endpoint: "smtp", kind: "drop", count: 0 })).toThrow(RangeError);
  });
});
