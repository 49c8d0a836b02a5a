// The emulator's HTTPS endpoints: the Entra token endpoint and Microsoft Graph.
import type { EmulatorContext } from "../context.js";
import type { TokenAuthority } from "../tokens.js";

/** What startHttpEndpoints returns. */
export interface HttpEndpoints {
  /** Graph base URL without a version, e.g. `https://127.0.0.1:4433`. */
  readonly graphBaseUrl: string;
  /** Entra authority host, e.g. `https://127.0.0.1:4434`. */
  readonly authorityHost: string;
  close(): Promise<void>;
}

export async function startHttpEndpoints(
  _context: EmulatorContext & { readonly tokens: TokenAuthority },
  _options: { readonly graphPort?: number; readonly entraPort?: number } = {},
): Promise<HttpEndpoints> {
  throw new Error("not implemented yet");
}
