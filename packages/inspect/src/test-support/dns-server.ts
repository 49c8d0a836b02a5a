// A DNS server on 127.0.0.1 (random UDP port) that serves a fixed zone, for tests: nothing
// ever asks public DNS. Answers follow CNAMEs like a recursive resolver would.
import dns2 from "dns2";

const { Packet } = dns2;

/** Records by name (lower case, no trailing dot). */
export interface Zone {
  readonly [name: string]: {
    readonly A?: readonly string[];
    readonly TXT?: readonly string[];
    readonly MX?: readonly { readonly exchange: string; readonly priority: number }[];
    readonly CNAME?: string;
  };
}

export interface TestDnsServer {
  /** `127.0.0.1:port`, for `dnsServer` / `--dns-server`. */
  readonly address: string;
  /** Names asked, in order (`TXT contoso.com`). */
  readonly queries: string[];
  close(): Promise<void>;
}

const chunks = (text: string) => {
  const out: string[] = [];
  for (let index = 0; index < text.length; index += 255) out.push(text.slice(index, index + 255));
  return out.length ? out : [""];
};

export async function startDnsServer(zone: Zone): Promise<TestDnsServer> {
  const queries: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      // @types/dns2 lags the library: questions carry their type, answers take TXT chunks.
      const question = request.questions[0] as { name: string; type: number } | undefined;
      const answers = response.answers as unknown as Record<string, unknown>[];
      if (!question) return void send(response);
      let name = question.name.toLowerCase().replace(/\.$/, "");
      const typeName =
        Object.entries(Packet.TYPE).find(([, value]) => value === question.type)?.[0] ?? "?";
      queries.push(`${typeName} ${name}`);
      const base = { class: Packet.CLASS.IN, ttl: 60 };
      let entry = zone[name];
      if (!entry) {
        (response as unknown as { header: { rcode: number } }).header.rcode = 3; // NXDOMAIN
        return void send(response);
      }
      for (
        let depth = 0;
        entry?.CNAME && question.type !== Packet.TYPE.CNAME && depth < 5;
        depth++
      ) {
        answers.push({ ...base, name, type: Packet.TYPE.CNAME, domain: entry.CNAME });
        name = entry.CNAME.toLowerCase();
        entry = zone[name];
      }
      if (!entry) return void send(response);
      if (question.type === Packet.TYPE.CNAME && entry.CNAME)
        answers.push({ ...base, name, type: Packet.TYPE.CNAME, domain: entry.CNAME });
      if (question.type === Packet.TYPE.A)
        for (const address of entry.A ?? [])
          answers.push({ ...base, name, type: Packet.TYPE.A, address });
      if (question.type === Packet.TYPE.TXT)
        for (const text of entry.TXT ?? [])
          answers.push({ ...base, name, type: Packet.TYPE.TXT, data: chunks(text) });
      if (question.type === Packet.TYPE.MX)
        for (const mx of entry.MX ?? [])
          answers.push({ ...base, name, type: Packet.TYPE.MX, ...mx });
      send(response);
    },
  });
  await server.listen({ udp: { port: 0, address: "127.0.0.1" } });
  const port = (server.addresses().udp as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    queries,
    close: () => server.close(),
  };
}
