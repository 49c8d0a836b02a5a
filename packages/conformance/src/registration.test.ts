import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startVitest } from "vitest/node";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("describeTransportConformance registration", () => {
  it("shows opt-outs with their reason, fails a case whose scenario is missing, and refuses unknown opt-outs", async () => {
    // The nested run fails on purpose; it must not fail this process.
    const exitCode = process.exitCode;
    const vitest = await startVitest("test", [], {
      root,
      // The package's own config: @mailpath/* resolve to the workspace sources.
      config: fileURLToPath(new URL("../vitest.config.ts", import.meta.url)),
      watch: false,
      include: ["src/test-support/registration.fixture.ts"],
      reporters: [{}],
    });
    try {
      const results = new Map<string, { state: string; errors: string[] }>();
      for (const module of vitest.state.getTestModules()) {
        for (const test of module.children.allTests()) {
          const result = test.result();
          results.set(test.name, {
            state: result.state,
            errors: (result.errors ?? []).map((error) => error.message),
          });
        }
      }
      const find = (fragment: string) =>
        [...results.entries()].find(([name]) => name.includes(fragment));

      const skipped = find("[errors.auth-disabled]");
      expect(skipped?.[0]).toContain("skipped: the fixture backend has no authentication");
      expect(skipped?.[1].state).toBe("skipped");

      const missing = find("[errors.throttled]");
      expect(missing?.[1].state).toBe("failed");
      expect(missing?.[1].errors.join("\n")).toContain('The harness has no "throttled" scenario');
      expect(missing?.[1].errors.join("\n")).toContain('skip: { "errors.throttled"');

      const unknown = find("opts out only of known cases");
      expect(unknown?.[1].state).toBe("failed");
      expect(unknown?.[1].errors.join("\n")).toContain("errors.no-such-case");

      expect(find("[delivery.text]")?.[1].state).toBe("passed");
      expect(results.size).toBe(29);
    } finally {
      await vitest.close();
      process.exitCode = exitCode;
    }
  }, 60_000);
});
