import { normalizeMessage } from "@mailpath/core";
import { createMemoryTransport, type MemoryTransport } from "@mailpath/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { lingeringTransport } from "./lingering-transport.js";

const message = normalizeMessage({
  from: "notifications@contoso.com",
  to: "ada@contoso.com",
  subject: "Hi",
  text: "Hello",
});
const options = () => ({ signal: new AbortController().signal });

function factory() {
  const made: MemoryTransport[] = [];
  const make = () => {
    const transport = createMemoryTransport();
    made.push(transport);
    return transport;
  };
  return { made, make };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the connections of a transport factory", () => {
  it("reuses the connection for a send that follows within lingerMs, and closes it once idle that long", async () => {
    vi.useFakeTimers();
    const { made, make } = factory();
    const transport = lingeringTransport(make, createMemoryTransport(), 20);
    await transport.send(message, options());
    await vi.advanceTimersByTimeAsync(10);
    await transport.send(message, options());
    expect(made).toHaveLength(1);
    expect(made[0]!.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(made[0]!.closed).toBe(true);
    await transport.send(message, options());
    expect(made).toHaveLength(2);
  });

  it("opens one connection per concurrent send", async () => {
    const { made, make } = factory();
    const transport = lingeringTransport(make, createMemoryTransport(), 20);
    await Promise.all([1, 2, 3].map(() => transport.send(message, options())));
    expect(made).toHaveLength(3);
    await transport.close?.();
    expect(made.every((entry) => entry.closed)).toBe(true);
  });

  it("closes the connection of a failed send at once, so the next send starts afresh", async () => {
    const { made, make } = factory();
    const transport = lingeringTransport(
      () => make().failNext("CONNECTION_FAILED"),
      createMemoryTransport(),
      20,
    );
    await expect(transport.send(message, options())).rejects.toMatchObject({
      code: "CONNECTION_FAILED",
    });
    expect(made[0]!.closed).toBe(true);
  });

  it("opens a connection per send with lingerMs 0", async () => {
    const { made, make } = factory();
    const transport = lingeringTransport(make, createMemoryTransport(), 0);
    await transport.send(message, options());
    await transport.send(message, options());
    expect(made).toHaveLength(2);
    expect(made.every((entry) => entry.closed)).toBe(true);
  });
});
