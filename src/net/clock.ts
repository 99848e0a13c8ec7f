/** The runtime's clock and a wake-up timer for sans-I/O engines: the only place time is read. */
import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds. */
export function now(): number {
  return performance.now();
}

/**
 * Keeps one setTimeout armed at the earliest deadline an engine reports. Call `schedule()` after every
 * interaction with the engine; `onWake(now)` runs when the deadline passes.
 */
export class WakeTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedAt: number | undefined;
  private closed = false;

  constructor(
    private readonly nextDeadline: () => number | undefined,
    private readonly onWake: (now: number) => void,
  ) {}

  schedule(): void {
    if (this.closed) return;
    const deadline = this.nextDeadline();
    if (deadline === undefined) {
      this.cancel();
      return;
    }
    if (this.timer && this.armedAt !== undefined && this.armedAt <= deadline) return;
    this.cancel();
    this.armedAt = deadline;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.armedAt = undefined;
        if (this.closed) return;
        this.onWake(now());
        this.schedule();
      },
      Math.max(0, Math.ceil(deadline - now())),
    );
    // Engines' timers (consent, retransmissions) must not keep the process alive on their own.
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = undefined;
  }

  close(): void {
    this.closed = true;
    this.cancel();
  }
}
