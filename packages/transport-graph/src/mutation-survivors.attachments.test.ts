// Attachment resolution details the other tests left uncovered (issue 17, mutation testing).
import type { NormalizedAttachment } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import { resolveAttachments } from "./attachments.js";

describe("resolveAttachments", () => {
  // Mutants (attachments.ts:44): the fallback name's text and `index + 1`.
  it("names an attachment without a filename or content id by its 1-based position", async () => {
    const bare = (content: string): NormalizedAttachment => ({
      content,
      contentType: "application/octet-stream",
      inline: false,
    });
    const resolved = await resolveAttachments([
      { ...bare("a"), filename: "named.txt" },
      { ...bare("b"), contentId: "logo@contoso" },
      bare("c"),
    ]);
    expect(resolved.items.map((item) => item.name)).toEqual([
      "named.txt",
      "logo@contoso",
      "attachment-3",
    ]);
    await resolved.cleanup();
  });
});
