// One emulator per test file or describe block, started and stopped by the test runner's
// suite hooks, and the default app's credentials on it: what nearly every suite that runs
// against the emulator would otherwise write out again.
import { type Emulator, type StartEmulatorOptions, startEmulator } from "./emulator.js";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "./tenant.js";

/**
 * The suite hooks of a test runner: vitest's and jest's `beforeAll` / `afterAll` (for
 * node:test, pass `{ beforeAll: before, afterAll: after }`).
 * @since 0.1.0
 */
export interface SuiteHooks {
  beforeAll(hook: () => Promise<void>): unknown;
  afterAll(hook: () => Promise<void>): unknown;
}

/**
 * Starts an emulator before the enclosing suite's tests and stops it after them.
 * @param hooks the runner's `beforeAll` and `afterAll`
 * @param options passed to {@link startEmulator}
 * @returns the running emulator; reading it outside the suite's tests and hooks throws
 * @since 0.1.0
 */
export function useEmulator(hooks: SuiteHooks, options: StartEmulatorOptions = {}): Emulator {
  let running: Emulator | undefined;
  hooks.beforeAll(async () => {
    running = await startEmulator(options);
  });
  hooks.afterAll(async () => {
    const emulator = running;
    running = undefined;
    await emulator?.stop();
  });
  return new Proxy({} as Emulator, {
    get(_target, property) {
      if (!running) throw new Error("the emulator runs only inside its suite's tests and hooks");
      const value: unknown = Reflect.get(running, property);
      return typeof value === "function" ? value.bind(running) : value;
    },
  });
}

/**
 * What a token provider needs to get tokens from the emulator's Entra endpoint as its
 * default app, trusting the emulator's CA.
 * @since 0.1.0
 */
export interface EmulatorCredentials {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authorityHost: string;
  readonly tls: { readonly ca: string };
}

/**
 * The default app's client credentials on a running emulator.
 * @param emulator the running emulator
 * @returns tenant, client id and secret, authority host and the CA to trust
 * @since 0.1.0
 */
export function emulatorCredentials(emulator: Emulator): EmulatorCredentials {
  return {
    tenantId: emulator.entra.tenantId,
    clientId: DEFAULT_CLIENT_ID,
    clientSecret: DEFAULT_CLIENT_SECRET,
    authorityHost: emulator.entra.authorityHost,
    tls: { ca: emulator.ca },
  };
}
