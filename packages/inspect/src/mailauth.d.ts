// mailauth ships no types for its internal parsers; these are the shapes they return.
declare module "mailauth/lib/parse-dkim-headers.js" {
  interface ParsedAuthHeader {
    parsed: Record<string, unknown>;
    original: string;
  }
  const parse: (line: string) => ParsedAuthHeader;
  export default parse;
}

declare module "mailauth/lib/parse-received.js" {
  interface ReceivedPart {
    value: string;
    comment?: string;
  }
  export function parseReceived(line: string | Buffer):
    | (Partial<Record<"from" | "by" | "with" | "id" | "for" | "tls", ReceivedPart>> & {
        timestamp?: string;
        full: string;
      })
    | false;
}

declare module "mailauth/lib/tools.js" {
  export function parseHeaders(buffer: Buffer): {
    parsed: { key: string; casedKey: string; line: Buffer }[];
    original: Buffer;
  };
}
