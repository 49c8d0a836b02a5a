// The doctor's report: one step per thing checked, in the order a client meets them.

/**
 * A step's outcome: `pass`, `warn` (works, but look), `fail`, `skip` (not run: an earlier step failed or it was not asked for).
 * @since 0.1.0
 */
export type StepStatus = "pass" | "warn" | "fail" | "skip";

/**
 * One check of a path.
 * @since 0.1.0
 */
export interface DoctorStep {
  /** Stable id: `smtp.dns`, `smtp.tcp`, `smtp.banner`, `smtp.tls`, `graph.token`, … */
  readonly id: string;
  /** What was checked, in a few words. */
  readonly title: string;
  readonly status: StepStatus;
  /** Time the step took. */
  readonly durationMs: number;
  /** What was seen. Never a secret. */
  readonly detail: string;
  /** The server's own words (an SMTP reply, an AADSTS or Graph error), when it said something. */
  readonly reply?: string;
  /** What to change, when not `pass`. */
  readonly fix?: string;
}

/**
 * The steps of one path.
 * @since 0.1.0
 */
export interface PathReport {
  readonly path: "smtp" | "relay" | "graph";
  /** What was checked (`smtp.office365.com:587 as notifications@contoso.com`). */
  readonly target: string;
  /** The worst step status (`skip` does not count). */
  readonly status: "pass" | "warn" | "fail";
  readonly steps: readonly DoctorStep[];
}

/**
 * Progress callbacks, for a spinner or a live list.
 * @since 0.1.0
 */
export interface DoctorProgress {
  /** A step started. */
  readonly onStepStart?: (id: string, title: string) => void;
  /** A step ended. */
  readonly onStep?: (step: DoctorStep) => void;
}

/** What a step's body returns. */
export interface StepOutcome {
  readonly status: Exclude<StepStatus, "skip">;
  readonly detail: string;
  readonly reply?: string;
  readonly fix?: string;
  /** Keep going after a `fail` (the next step shows the server's own verdict). @default false */
  readonly continue?: boolean;
}

/** Thrown inside a step body to fail it with a message and a fix. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly fix?: string,
    readonly reply?: string,
  ) {
    super(message);
    this.name = "StepFailure";
  }
}

/** Runs steps in order; after a failing step, the rest are recorded as skipped. */
export class StepRunner {
  readonly steps: DoctorStep[] = [];
  private stopped = false;

  constructor(
    private readonly progress: DoctorProgress,
    private readonly now: () => number,
    private readonly explain: (error: unknown) => { detail: string; reply?: string; fix?: string },
  ) {}

  get failed(): boolean {
    return this.stopped;
  }

  async run(id: string, title: string, body: () => Promise<StepOutcome>): Promise<boolean> {
    if (this.stopped) {
      this.skip(id, title, "not run: an earlier step failed");
      return false;
    }
    this.progress.onStepStart?.(id, title);
    const started = this.now();
    let outcome: StepOutcome;
    try {
      outcome = await body();
    } catch (error) {
      const explained =
        error instanceof StepFailure
          ? {
              detail: error.message,
              ...(error.fix && { fix: error.fix }),
              ...(error.reply && { reply: error.reply }),
            }
          : this.explain(error);
      outcome = { status: "fail", ...explained };
    }
    const step: DoctorStep = {
      id,
      title,
      status: outcome.status,
      durationMs: Math.max(0, Math.round(this.now() - started)),
      detail: outcome.detail,
      ...(outcome.reply !== undefined && { reply: outcome.reply }),
      ...(outcome.fix !== undefined && { fix: outcome.fix }),
    };
    this.steps.push(step);
    this.progress.onStep?.(step);
    if (outcome.status === "fail" && !outcome.continue) this.stopped = true;
    return outcome.status !== "fail";
  }

  skip(id: string, title: string, detail: string): void {
    const step: DoctorStep = { id, title, status: "skip", durationMs: 0, detail };
    this.steps.push(step);
    this.progress.onStep?.(step);
  }

  status(): PathReport["status"] {
    if (this.steps.some((step) => step.status === "fail")) return "fail";
    if (this.steps.some((step) => step.status === "warn")) return "warn";
    return "pass";
  }
}
