// emulatorHarness(): the emulator plumbing a conformance harness needs (a lazily started
// emulator, the default sender, accepted and refused recipients, the mailbox, reset), so a
// transport's harness only supplies its transport and the scenarios its path can produce.
// The return type is declared here, structurally: the emulator does not depend on
// @mailpath/conformance, and TypeScript checks the fit where the harness is handed to the suite.
import type { MailMessage, Transport } from "@mailpath/core";
import type { DeliveredMessage } from "@mailpath/core/testing";
import { type Emulator, type StartEmulatorOptions, startEmulator } from "./emulator.js";
import { DEFAULT_SENDER } from "./tenant.js";

/**
 * The situations a conformance harness can produce, by name (the same names as
 * `ScenarioId` of `@mailpath/conformance`).
 * @since 0.1.0
 */
export type EmulatorScenarioName =
  | "wrongCredentials"
  | "authDisabled"
  | "sendAsDenied"
  | "tooLarge"
  | "throttled"
  | "connectionRefused"
  | "verifyFails"
  | "transientFault"
  | "outage";

/**
 * What a scenario hands the suite: a transport set up to meet the situation, optional changes
 * to the base message and a cleanup (the shape of `ScenarioSetup` in `@mailpath/conformance`).
 * @since 0.1.0
 */
export interface EmulatorScenarioSetup {
  readonly transport: Transport;
  readonly message?: Partial<MailMessage>;
  cleanup?(): Promise<void> | void;
}

/**
 * Produces one situation on the running emulator (a tenant policy, an injected fault) and
 * returns the transport that meets it.
 * @since 0.1.0
 */
export type EmulatorScenario = (emulator: Emulator) => Promise<EmulatorScenarioSetup>;

/**
 * Options of {@link emulatorHarness}.
 * @since 0.1.0
 */
export interface EmulatorHarnessOptions {
  /** How to start the emulator (tenant policy, ports, clock). @default `startEmulator()` defaults */
  readonly startOptions?: StartEmulatorOptions;
  /** A fresh transport pointed at the running emulator with the default credentials. */
  createTransport(emulator: Emulator): Transport | Promise<Transport>;
  /** The scenarios the transport's path supports; a missing one must be opted out in the suite. */
  readonly scenarios?: Partial<Record<EmulatorScenarioName, EmulatorScenario>>;
  /**
   * At least 10 addresses the emulator accepts on the transport's path.
   * @default four mailboxes of contoso.com, then six fabrikam.com addresses
   */
  readonly recipients?: readonly string[];
}

/**
 * A conformance harness over the emulator (it satisfies `ConformanceHarness` of
 * `@mailpath/conformance`), plus `emulator()` for the running emulator.
 * @since 0.1.0
 */
export interface EmulatorHarness {
  /** Starts the emulator. */
  setup(): Promise<void>;
  /** Stops the emulator, if it was started. */
  teardown(): Promise<void>;
  createTransport(): Transport | Promise<Transport>;
  /** {@link DEFAULT_SENDER}. */
  readonly sender: string;
  readonly recipients: readonly string[];
  /** An unknown address in an accepted domain: 550 5.1.10 RESOLVER.ADR.RecipientNotFound. */
  readonly rejectedRecipient: string;
  messages(): readonly DeliveredMessage[];
  waitForMessages(
    count: number,
    options: { readonly timeoutMs: number },
  ): Promise<readonly DeliveredMessage[]>;
  /** Empties the mailbox, removes faults and restores the starting tenant policy. */
  reset(): void;
  readonly scenarios: Partial<Record<EmulatorScenarioName, () => Promise<EmulatorScenarioSetup>>>;
  /**
   * The running emulator.
   * @throws Error before `setup()`
   */
  emulator(): Emulator;
}

const DEFAULT_RECIPIENTS: readonly string[] = [
  "ada@contoso.com",
  "grace@contoso.com",
  "alan@contoso.com",
  "reports@contoso.com",
  "partner1@fabrikam.com",
  "partner2@fabrikam.com",
  "partner3@fabrikam.com",
  "partner4@fabrikam.com",
  "partner5@fabrikam.com",
  "partner6@fabrikam.com",
];

/**
 * Builds a conformance harness over the emulator: `setup()` starts it, `teardown()` stops it,
 * `reset()` restores the tenant, and the harness reports the emulator's deliveries. You supply
 * the transport and the scenarios your path supports; each scenario gets the running emulator.
 * @param options the transport, the scenarios, optional start options and recipients
 * @returns a harness to hand to `describeTransportConformance`
 * @since 0.1.0
 * @example
 * describeTransportConformance(
 *   "my transport",
 *   emulatorHarness({
 *     createTransport: (emulator) => createMyTransport(optionsFor(emulator)),
 *     scenarios: {
 *       throttled: async (emulator) => {
 *         emulator.failNext({ endpoint: "smtp", kind: "throttle", stage: "mail" });
 *         return { transport: createMyTransport(optionsFor(emulator)) };
 *       },
 *     },
 *   }),
 *   { skip: { "errors.auth-disabled": "my provider has no switch for it" } },
 * );
 */
export function emulatorHarness(options: EmulatorHarnessOptions): EmulatorHarness {
  let running: Emulator | undefined;
  const emulator = (): Emulator => {
    if (!running) throw new Error("the harness has not been set up: call setup() first");
    return running;
  };
  const scenarios: Partial<Record<EmulatorScenarioName, () => Promise<EmulatorScenarioSetup>>> = {};
  for (const [name, scenario] of Object.entries(options.scenarios ?? {})) {
    if (scenario) scenarios[name as EmulatorScenarioName] = () => scenario(emulator());
  }

  return {
    emulator,
    async setup() {
      running = await startEmulator(options.startOptions);
    },
    async teardown() {
      const stopping = running;
      running = undefined;
      await stopping?.stop();
    },
    createTransport: () => options.createTransport(emulator()),
    sender: DEFAULT_SENDER,
    recipients: options.recipients ?? DEFAULT_RECIPIENTS,
    rejectedRecipient: "nobody@contoso.com",
    messages: () => emulator().messages(),
    waitForMessages: (count, waitOptions) => emulator().waitForMessages(count, waitOptions),
    reset: () => emulator().reset({ tenant: true }),
    scenarios,
  };
}
