// The public API as reviewed: a changed export or signature fails here until api/*.api.md is
// updated (`npx vitest run -u src/api-report`) and the change comes with a changeset.
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { apiReport } from "../../../scripts/api-report.mjs";

it("exports the API recorded in api/*.api.md", { timeout: 120_000 }, async () => {
  const reports = apiReport(fileURLToPath(new URL("..", import.meta.url)));
  for (const [entry, report] of Object.entries(reports)) {
    await expect(report).toMatchFileSnapshot(`../api/${entry}.api.md`);
  }
});
