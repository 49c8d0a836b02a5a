import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { createTokenAuthority } from "./tokens.js";

const TID = "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b";
const APPID = "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f";
const GRAPH = "https://graph.microsoft.com";

describe("createTokenAuthority", () => {
  it("issues an RS256 token shaped like an Entra v1 app-only token", async () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    const tokens = await createTokenAuthority({ now: () => now });
    const jwt = await tokens.issue({ tid: TID, appid: APPID, aud: GRAPH, roles: ["Mail.Send"] });
    const header = decodeProtectedHeader(jwt);
    const claims = decodeJwt(jwt);
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(tokens.jwks.keys[0]?.kid).toBe(header.kid);
    expect(claims).toMatchObject({
      aud: GRAPH,
      iss: `https://sts.windows.net/${TID}/`,
      tid: TID,
      appid: APPID,
      roles: ["Mail.Send"],
      idtyp: "app",
      ver: "1.0",
    });
    const seconds = now / 1000;
    expect(claims.exp).toBe(seconds + 3599);
    expect(claims.nbf).toBe(seconds - 300);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeGreaterThanOrEqual(3600);
  });

  it("verifies its own token for the right audience and returns the claims", async () => {
    const tokens = await createTokenAuthority();
    const jwt = await tokens.issue({
      tid: TID,
      appid: APPID,
      aud: GRAPH,
      roles: ["Mail.Send", "Mail.ReadWrite"],
    });
    await expect(tokens.verify(jwt, GRAPH)).resolves.toMatchObject({
      aud: GRAPH,
      tid: TID,
      appid: APPID,
      roles: ["Mail.Send", "Mail.ReadWrite"],
    });
  });

  it("refuses a token issued for another audience", async () => {
    const tokens = await createTokenAuthority();
    const jwt = await tokens.issue({ tid: TID, appid: APPID, aud: GRAPH, roles: ["Mail.Send"] });
    await expect(tokens.verify(jwt, "https://outlook.office365.com")).rejects.toThrow(/aud/);
  });

  it("refuses a token once the injected clock passes its exp", async () => {
    let now = Date.UTC(2026, 10, 23, 12, 0, 0);
    const tokens = await createTokenAuthority({ now: () => now });
    const jwt = await tokens.issue({
      tid: TID,
      appid: APPID,
      aud: GRAPH,
      roles: [],
      lifetimeSeconds: 3600,
    });
    now += 3599_000;
    await expect(tokens.verify(jwt, GRAPH)).resolves.toMatchObject({ appid: APPID });
    now += 2_000;
    await expect(tokens.verify(jwt, GRAPH)).rejects.toThrow(/exp/);
  });

  it("refuses a token signed by another emulator run", async () => {
    const first = await createTokenAuthority();
    const second = await createTokenAuthority();
    const jwt = await first.issue({ tid: TID, appid: APPID, aud: GRAPH, roles: [] });
    await expect(second.verify(jwt, GRAPH)).rejects.toThrow(/signature/);
  });

  it("refuses a token whose signature was tampered with", async () => {
    const tokens = await createTokenAuthority();
    const jwt = await tokens.issue({ tid: TID, appid: APPID, aud: GRAPH, roles: [] });
    const [head, , signature] = jwt.split(".");
    const forged = Buffer.from(
      JSON.stringify({ ...decodeJwt(jwt), roles: ["Mail.Send"] }),
    ).toString("base64url");
    await expect(tokens.verify(`${head}.${forged}.${signature}`, GRAPH)).rejects.toThrow(
      /signature/,
    );
  });
});
