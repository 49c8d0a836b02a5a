// `mailpath sandbox` as a person runs it: one command prints the inbox URL and the variables;
// mail sent with those variables shows in the inbox; SIGTERM stops it with exit code 0.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { createMailerFromEnv } from "mailpath";
import { MailpitClient } from "mailpit-api";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const CLI = require.resolve("mailpath/package.json").replace(/package\.json$/, "dist/cli.js");

/** Reads stdout until one whole JSON document arrived (bounded by `timeoutMs`). */
async function firstJson(child, timeoutMs) {
  let text = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    for await (const chunk of child.stdout) {
      text += chunk;
      try {
        return JSON.parse(text);
      } catch {
        // not whole yet
      }
    }
  } finally {
    clearTimeout(deadline);
  }
  throw new Error(`mailpath sandbox printed no JSON: ${text}`);
}

describe("npx mailpath sandbox", () => {
  it("prints its URL and variables, receives mail sent with them, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [CLI, "sandbox", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "1" },
    });
    child.stdout.setEncoding("utf8");
    const exited = once(child, "exit");
    try {
      const { url, api, env } = await firstJson(child, 30_000);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(api).toBe(`${url}api/v1/`);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("mailpath sandbox");

      const mailer = await createMailerFromEnv(env);
      try {
        await mailer.send({
          to: "ada@contoso.com",
          subject: "From the CLI's variables",
          text: "hi",
        });
      } finally {
        await mailer.close();
      }
      const list = await new MailpitClient(url).listMessages();
      expect(list.messages.map((message) => message.Subject)).toEqual(["From the CLI's variables"]);
      const analysed = await (await fetch(`${url}message/${list.messages[0].ID}`)).text();
      expect(analysed).toContain('data-method="spf"');
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await exited;
    expect(code).toBe(0);
  });
});
