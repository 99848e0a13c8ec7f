/**
 * Application-limited region detection (after libwebrtc's AlrDetector): a budget that fills at 65 % of the
 * estimate and empties with every media byte sent, holding at most 500 ms of it. When the budget is over
 * 80 % full the sender is sending well under its estimate (quiet, application-limited): the estimate
 * cannot be tested by the traffic, so it must not grow. Below 50 % full again, the region ends.
 */

const USAGE_RATIO = 0.65;
const WINDOW_MS = 500;
const START_LEVEL = 0.8;
const STOP_LEVEL = 0.5;

export class AlrDetector {
  private rateBytesPerMs = 0;
  private budget = 0;
  private lastSentAt: number | undefined;
  /** When the current application-limited region started, undefined outside one. */
  startedAt: number | undefined;
  /** When the last one ended. */
  endedAt: number | undefined;

  get inAlr(): boolean {
    return this.startedAt !== undefined;
  }

  /** The estimate changed. */
  setEstimate(bps: number): void {
    this.rateBytesPerMs = (bps * USAGE_RATIO) / 8000;
    const max = this.maxBudget();
    this.budget = Math.min(max, Math.max(-max, this.budget));
  }

  /** Media bytes sent (not padding or probes). */
  onSent(now: number, bytes: number): void {
    const max = this.maxBudget();
    if (this.lastSentAt !== undefined && now > this.lastSentAt)
      this.budget = Math.min(max, this.budget + (now - this.lastSentAt) * this.rateBytesPerMs);
    this.lastSentAt = now;
    this.budget = Math.max(-max, this.budget - bytes);
    const level = max > 0 ? this.budget / max : 0;
    if (level > START_LEVEL && this.startedAt === undefined) this.startedAt = now;
    else if (level < STOP_LEVEL && this.startedAt !== undefined) {
      this.startedAt = undefined;
      this.endedAt = now;
    }
  }

  private maxBudget(): number {
    return this.rateBytesPerMs * WINDOW_MS;
  }
}
