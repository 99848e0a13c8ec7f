/**
 * Time: the only place the process clock is read. Everything else takes a `Clock` (from the `Runtime`,
 * see runtime.ts), so a whole connection can run in virtual time.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Monotonic milliseconds (any origin): what engines are given as `now`. */
  now(): number;
  /** Milliseconds since the Unix epoch: stats timestamps, NTP times, certificate validity. */
  wallTime(): number;
}

/** The process clock. */
export const nodeClock: Clock = {
  now: () => performance.now(),
  wallTime: () => performance.timeOrigin + performance.now(),
};
