// Shared by the benchmarks: a round of sends with a fixed number outstanding, timed, with the
// client's CPU time per message. The emulator runs in a child process (../emulator-process.mjs),
// so this process's CPU time is the client's only.

/** Errors are counted by their code, else their message (the first 120 characters). */
const byCodeOrMessage = (error) => String(error?.code ?? error?.message ?? error).slice(0, 120);

/**
 * Sends `count` messages with at most `inFlight` outstanding, `sendOne(index)` each.
 * @param {(error: unknown) => string} [errorKey] what failures are counted by
 * @returns {Promise<{ perSecond: number, seconds: number, cpuMsPerMessage: number, failed: number, errors: Record<string, number> }>}
 *   messages delivered per second, client CPU per message (process.cpuUsage / messages)
 */
export async function drive(count, inFlight, sendOne, errorKey = byCodeOrMessage) {
  let next = 0;
  let failed = 0;
  const errors = new Map();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      try {
        await sendOne(index);
      } catch (error) {
        failed++;
        const key = errorKey(error);
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  const seconds = (performance.now() - started) / 1_000;
  const used = process.cpuUsage(cpu);
  return {
    perSecond: (count - failed) / seconds,
    seconds,
    cpuMsPerMessage: (used.user + used.system) / 1_000 / count,
    failed,
    errors: Object.fromEntries(errors),
  };
}
