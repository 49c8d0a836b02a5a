// One emulator per test file (or describe block) with the clients the HTTPS endpoint tests
// share: an undici dispatcher trusting its CA and a Graph fetcher carrying a Graph token.
import { afterAll, afterEach, beforeAll } from "vitest";
import { type Emulator, type StartEmulatorOptions, startEmulator } from "../../emulator.js";
import { GRAPH_AUDIENCE } from "../index.js";
import { caDispatcher } from "./clients.js";
import { type GraphFetch, graphFetcher } from "./graph-fetch.js";

/** What {@link useEmulatorSuite} starts before the block's tests. */
export interface EmulatorSuite {
  /** The running emulator (read inside tests and hooks only). */
  readonly emulator: Emulator;
  /** An undici dispatcher trusting the emulator's CA (read inside tests and hooks only). */
  readonly dispatcher: ReturnType<typeof caDispatcher>;
  /** Calls the Graph endpoint with a fresh Graph token unless the call names one. */
  readonly graph: GraphFetch;
}

/** How {@link useEmulatorSuite} starts and resets the emulator. */
export interface EmulatorSuiteOptions {
  /** Passed to `startEmulator`. @default {} */
  readonly start?: StartEmulatorOptions;
  /** Reset the tenant (and stores) after each test. @default true */
  readonly resetTenantAfterEach?: boolean;
}

/**
 * Registers hooks that start an emulator before the enclosing block's tests, close the
 * dispatcher and stop the emulator after them, and reset the tenant after each test.
 * @param options how to start and reset
 * @returns accessors for the running emulator and its clients
 */
export function useEmulatorSuite(options: EmulatorSuiteOptions = {}): EmulatorSuite {
  let running: { emulator: Emulator; dispatcher: ReturnType<typeof caDispatcher> } | undefined;
  const current = () => {
    if (!running) throw new Error("the emulator suite is only running inside its tests");
    return running;
  };
  let fetcher: GraphFetch | undefined;

  beforeAll(async () => {
    const emulator = await startEmulator(options.start);
    const dispatcher = caDispatcher(emulator.ca);
    running = { emulator, dispatcher };
    fetcher = graphFetcher(emulator.graph.baseUrl, dispatcher, () =>
      emulator.issueAccessToken({ audience: GRAPH_AUDIENCE }),
    );
  });
  afterAll(async () => {
    const { emulator, dispatcher } = current();
    running = undefined;
    fetcher = undefined;
    await dispatcher.close();
    await emulator.stop();
  });
  if (options.resetTenantAfterEach ?? true) {
    afterEach(() => current().emulator.reset({ tenant: true }));
  }

  return {
    get emulator() {
      return current().emulator;
    },
    get dispatcher() {
      return current().dispatcher;
    },
    graph: (...args) => {
      if (!fetcher) throw new Error("the emulator suite is only running inside its tests");
      return fetcher(...args);
    },
  };
}
