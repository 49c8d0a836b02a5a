import { MailError } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import { scopeFor } from "./scope.js";

describe("scopeFor", () => {
  it("gives the Graph and Exchange Online SMTP app-only scopes of every cloud", () => {
    expect(scopeFor("graph")).toBe("https://graph.microsoft.com/.default");
    expect(scopeFor("smtp")).toBe("https://outlook.office365.com/.default");
    expect(scopeFor("graph", "usgov")).toBe("https://graph.microsoft.us/.default");
    expect(scopeFor("graph", "usgovdod")).toBe("https://dod-graph.microsoft.us/.default");
    expect(scopeFor("smtp", "usgovdod")).toBe("https://outlook-dod.office365.us/.default");
    expect(scopeFor("graph", "china")).toBe("https://microsoftgraph.chinacloudapi.cn/.default");
    expect(scopeFor("smtp", "china")).toBe("https://partner.outlook.cn/.default");
  });

  it("passes a custom /.default scope through and refuses a delegated-style scope", () => {
    expect(scopeFor({ scope: " https://contoso.example/api/.default " })).toBe(
      "https://contoso.example/api/.default",
    );
    const error = (() => {
      try {
        scopeFor({ scope: "https://outlook.office.com/SMTP.Send" });
      } catch (caught) {
        return caught;
      }
    })();
    expect(MailError.isInstance(error) && error.code).toBe("INVALID_CONFIG");
    expect(() => scopeFor("imap" as never)).toThrow(/Unknown target/);
    expect(() => scopeFor("graph", "mars" as never)).toThrow(/Unknown cloud/);
  });
});
