import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { closedPort } from "./closed-port.js";

describe("closedPort", () => {
  it("returns a loopback port whose connections are refused", async () => {
    const port = await closedPort();
    expect(port).toBeGreaterThan(0);
    const error = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        reject(new Error("something is listening"));
      });
      socket.once("error", resolve);
    });
    expect(error.code).toBe("ECONNREFUSED");
  });
});
