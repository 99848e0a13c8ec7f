/**
 * The clock that paces the built-in tracks. Tracks are runtime objects (not sans-I/O engines), but the clock
 * is still injected so pacing can be tested with virtual time.
 */
export interface MediaClock {
  /** Wall-clock time in milliseconds (any origin; only differences are used). */
  now(): number;
  /** Resolve after `ms` milliseconds; a negative or zero delay resolves on the next turn. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: MediaClock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms) =>
    new Promise<void>((resolve) => {
      setTimeout(resolve, Math.max(0, ms));
    }),
};
