// `dataDir`: what a restarted emulator keeps so that a saved `.emulator.env` still works —
// the CA and server certificate (same CA file, same trust), the token signing key, the ports
// it bound, and every delivered message.
import { X509Certificate } from "node:crypto";
import { appendFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DeliveredMessage } from "@mailpath/core/testing";
import type { JWK } from "jose";
import type { EmulatorTlsInput } from "./certs.js";

/** Ports the endpoints bound. */
export interface SavedPorts {
  readonly smtp: number;
  readonly relay: number;
  readonly graph: number;
  readonly entra: number;
}

/** Files of a data directory. */
export interface DataDir {
  readonly caFile: string;
  readonly tls?: EmulatorTlsInput;
  readonly signingKey?: JWK;
  readonly ports?: SavedPorts;
  readonly messages: readonly DeliveredMessage[];
  saveTls(tls: EmulatorTlsInput): Promise<void>;
  saveSigningKey(key: JWK): Promise<void>;
  savePorts(ports: SavedPorts): Promise<void>;
  /** Appends one delivered message to the mailbox store. */
  append(message: DeliveredMessage): Promise<void>;
  /** Empties the mailbox store (`emulator.reset()`). */
  clearMessages(): Promise<void>;
  /** Rewrites the mailbox store with these messages (after a delete in the sandbox). */
  replaceMessages(messages: readonly DeliveredMessage[]): Promise<void>;
}

const MESSAGES = "mailbox.jsonl";
/** A saved server certificate this close to expiry is replaced (with its CA kept). */
const RENEW_BEFORE_MS = 24 * 3_600_000;

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`${file} is not readable JSON: ${(error as Error).message}`);
  }
}

/** Writes whole, then renames: a reader never sees half a file. Private keys stay 0600. */
async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const partial = `${file}.partial`;
  await writeFile(partial, text, { mode });
  await rename(partial, file);
}

function stillValid(tls: EmulatorTlsInput | undefined, now: number): boolean {
  if (!tls) return false;
  try {
    return Date.parse(new X509Certificate(tls.cert).validTo) - now > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

/**
 * Opens (creating it when needed) a data directory.
 * @param directory the directory
 * @param now the wall clock, to renew an expiring server certificate
 */
export async function openDataDir(directory: string, now = Date.now()): Promise<DataDir> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const tlsFile = join(directory, "tls.json");
  const keyFile = join(directory, "signing-key.json");
  const portsFile = join(directory, "ports.json");
  const messagesFile = join(directory, MESSAGES);
  const caFile = join(directory, "ca.pem");
  const savedTls = await readJson<EmulatorTlsInput>(tlsFile);
  const tls = stillValid(savedTls, now) ? savedTls : undefined;
  const signingKey = await readJson<JWK>(keyFile);
  const ports = await readJson<SavedPorts>(portsFile);
  let text = "";
  try {
    text = await readFile(messagesFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  // mailbox.jsonl is the index (one message a line, without its source); each source is
  // messages/<id>.eml. Lines written before the split still carry `raw` and are read as is.
  const emlDir = join(directory, "messages");
  const emlFile = (id: string) => join(emlDir, `${id.replace(/[^\w.-]/g, "_")}.eml`);
  const messages = await Promise.all(
    text
      .split("\n")
      .filter(Boolean)
      .map(async (line) => {
        const parsed = JSON.parse(line) as DeliveredMessage & { receivedAt: string };
        const raw = parsed.raw ?? (await readFile(emlFile(parsed.id), "utf8").catch(() => ""));
        return { ...parsed, raw, receivedAt: new Date(parsed.receivedAt) };
      }),
  );
  const indexLine = (message: DeliveredMessage) => {
    const { raw: _raw, ...entry } = message;
    return `${JSON.stringify(entry)}\n`;
  };
  let known = new Set(messages.map((message) => message.id));
  const writeEml = async (message: DeliveredMessage) => {
    await mkdir(emlDir, { recursive: true, mode: 0o700 });
    await writeAtomic(emlFile(message.id), message.raw ?? "", 0o600);
  };
  return {
    caFile,
    ...(tls ? { tls } : {}),
    ...(signingKey ? { signingKey } : {}),
    ...(ports ? { ports } : {}),
    messages,
    async saveTls(value) {
      await writeAtomic(tlsFile, JSON.stringify(value), 0o600);
      await writeAtomic(caFile, value.ca, 0o644);
    },
    saveSigningKey: (key) => writeAtomic(keyFile, JSON.stringify(key), 0o600),
    savePorts: (value) => writeAtomic(portsFile, JSON.stringify(value), 0o644),
    async append(message) {
      await writeEml(message);
      known.add(message.id);
      await appendFile(messagesFile, indexLine(message), { mode: 0o600 });
    },
    async clearMessages() {
      await writeAtomic(messagesFile, "", 0o600);
      await rm(emlDir, { recursive: true, force: true });
      known = new Set();
    },
    async replaceMessages(kept) {
      const keptIds = new Set(kept.map((message) => message.id));
      const gone = [...known].filter((id) => !keptIds.has(id));
      await Promise.all(kept.map(writeEml));
      await writeAtomic(messagesFile, kept.map(indexLine).join(""), 0o600);
      await Promise.all(gone.map((id) => rm(emlFile(id), { force: true })));
      known = keptIds;
    },
  };
}
