// Shared by core's tests (not built: tsconfig.build.json leaves test-support out).
import { afterEach, beforeEach, vi } from "vitest";

/** Every test of the calling file runs on fake timers, and real ones are back after it. */
export function useFakeTimersInEachTest(): void {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
