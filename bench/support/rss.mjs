// Shared by the memory benchmarks: this process's peak RSS while a piece of work runs.

/**
 * Starts sampling this process's RSS every `everyMs`, after a garbage collection when node runs
 * with --expose-gc. `before` is the RSS at the start; the figure is the peak's growth over it.
 * @returns {{ before: number, stop(): number }} `stop()` ends sampling and returns the peak RSS
 *   (one last sample included)
 */
export function sampleRss(everyMs) {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const sampler = setInterval(sample, everyMs);
  return {
    before,
    stop() {
      clearInterval(sampler);
      sample();
      return peak;
    },
  };
}
