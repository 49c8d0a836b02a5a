// MAILPATH_* variables → MailpathConfig. Values are only converted here (numbers, booleans,
// lists); validation is the config's, so a problem is reported once, named by its variable.
import type { MailIssue } from "@mailpath/core";
import type { MailpathConfig } from "./config.js";
import { suggest } from "./config.js";
import { ENV_VARIABLES, VARIABLE_BY_NAME, type VariableSpec } from "./variables.js";

const VARIABLE_NAMES = ENV_VARIABLES.map((variable) => variable.name);

/**
 * An environment: `process.env` or any record of strings.
 * @since 0.1.0
 */
export type Env = Readonly<Record<string, string | undefined>>;

function convert(variable: VariableSpec, raw: string): unknown {
  const value = variable.kind === "secret" ? raw : raw.trim();
  switch (variable.kind) {
    case "integer":
      // Anything else is kept as text so that validation names the variable.
      return /^\d+$/.test(value) ? Number(value) : value;
    case "boolean": {
      const lower = value.toLowerCase();
      if (["true", "1", "yes", "on"].includes(lower)) return true;
      if (["false", "0", "no", "off"].includes(lower)) return false;
      return value;
    }
    case "list":
      return value
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry !== "");
    default:
      return value;
  }
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

/**
 * What `configFromEnv` read.
 * @since 0.1.0
 */
export interface EnvConfig {
  /** The config the variables describe (not yet validated). */
  readonly config: Partial<MailpathConfig>;
  /** Variables that look like misspelt mailpath variables. */
  readonly issues: readonly MailIssue[];
}

/**
 * Reads the `MAILPATH_*` variables into a config object (not yet validated). An empty
 * variable counts as unset. A variable that is one or two letters away from a known one is
 * reported, so a typo does not silently fall back to a default.
 * @param env @default process.env
 * @returns the config read and the problems found (unknown or non-string variables)
 * @since 0.1.0
 */
export function configFromEnv(env: Env = process.env): EnvConfig {
  const config: Record<string, unknown> = {};
  const issues: MailIssue[] = [];
  if (typeof env !== "object" || env === null) {
    issues.push({ path: "env", message: "must be a record of strings, such as process.env" });
    return { config: config as Partial<MailpathConfig>, issues };
  }
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("MAILPATH_") || raw === undefined) continue;
    const variable = VARIABLE_BY_NAME.get(name);
    if (!variable) {
      const guess = suggest(name, VARIABLE_NAMES);
      if (guess)
        issues.push({ path: name, message: `is not a mailpath variable: did you mean ${guess}?` });
      continue;
    }
    if (typeof raw !== "string") {
      // The value is not echoed: it may be a secret.
      issues.push({ path: name, message: `must be a string (got ${typeof raw})` });
      continue;
    }
    if (raw.trim() === "") continue;
    setKey(config, variable.key, convert(variable, raw));
  }
  return { config: config as Partial<MailpathConfig>, issues };
}

/** Every leaf key of a plain object (`smtp.port`), arrays and non-plain values as leaves. */
export function leafKeys(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return prefix ? [prefix] : [];
  if (Object.getPrototypeOf(value) !== Object.prototype) return prefix ? [prefix] : [];
  return Object.entries(value).flatMap(([key, entry]) =>
    leafKeys(entry, prefix ? `${prefix}.${key}` : key),
  );
}

/** `overrides` over `base`, merging plain objects; arrays and other values replace. */
export function mergeConfig<T extends object>(base: T, overrides: object | undefined): T {
  if (!overrides) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = out[key];
    const plain = (item: unknown) =>
      typeof item === "object" && item !== null && Object.getPrototypeOf(item) === Object.prototype;
    out[key] =
      plain(value) && plain(current) ? mergeConfig(current as object, value as object) : value;
  }
  return out as T;
}
