/**
 * Consent freshness (RFC 7675) for the selected pair: a check every interval ±20%, `late` once no
 * authenticated response came for `disconnectedTimeout` while a check is outstanding, `expired` after
 * `timeout` without any. While a check is unanswered a fresh one follows every 500 ms (as libwebrtc pings a
 * weak pair), so a lossy path is not declared disconnected on a few unlucky losses. The agent's defaults
 * follow libwebrtc (checks every 2.5 s, disconnected after 5 s, failed after 15 s) rather than RFC 7675's
 * 30 s, so a vanished peer is noticed as quickly as browsers notice it. Pure bookkeeping: the agent sends
 * the checks and feeds the responses in.
 */

export type ConsentStatus = 'fresh' | 'late' | 'expired';

export interface ConsentTiming {
  interval: number;
  timeout: number;
  disconnectedTimeout: number;
}

/** While a consent check is unanswered, send another this often. */
const RETRY_INTERVAL = 500;

export class ConsentTracker {
  private lastConsent = 0;
  /** Last authenticated sign of life: a consent response, or a check from the peer on the selected pair. */
  private lastHeard = 0;
  private pendingSince: number | undefined;
  private nextCheckAt = 0;
  private status: ConsentStatus = 'fresh';
  private running = false;

  constructor(
    private readonly timing: ConsentTiming,
    private readonly random: () => number,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  get current(): ConsentStatus {
    return this.status;
  }

  /** Consent starts fresh when a pair is selected (its check just succeeded). */
  start(now: number): void {
    this.running = true;
    this.lastConsent = now;
    this.lastHeard = now;
    this.pendingSince = undefined;
    this.status = 'fresh';
    this.schedule(now);
  }

  stop(): void {
    this.running = false;
  }

  private schedule(now: number): void {
    this.nextCheckAt =
      this.pendingSince !== undefined
        ? now + Math.min(RETRY_INTERVAL, this.timing.interval)
        : now + this.timing.interval * (0.8 + 0.4 * this.random());
  }

  checkDue(now: number): boolean {
    return this.running && this.status !== 'expired' && now >= this.nextCheckAt;
  }

  onCheckSent(now: number): void {
    this.pendingSince ??= now;
    this.schedule(now);
  }

  /** An authenticated success response to a consent (or connectivity) check on the selected pair. */
  onResponse(now: number): void {
    this.lastConsent = now;
    this.lastHeard = now;
    const wasPending = this.pendingSince !== undefined;
    this.pendingSince = undefined;
    if (this.status === 'late') this.status = 'fresh';
    if (wasPending) this.schedule(now);
  }

  /**
   * An authenticated check from the peer on the selected pair: the path works towards us. It keeps the pair
   * from turning `disconnected` (libwebrtc's "receiving"), but only responses renew consent (RFC 7675).
   */
  onPeerCheck(now: number): void {
    this.lastHeard = now;
    if (this.status === 'late' && this.pendingSince === undefined) this.status = 'fresh';
  }

  /** Re-evaluate; returns the status (the agent maps it to disconnected / failed / back to connected). */
  evaluate(now: number): ConsentStatus {
    if (!this.running || this.status === 'expired') return this.status;
    // Same sums as nextDeadline(), so a wake-up at the deadline always sees it reached (no float drift).
    if (now >= this.lastConsent + this.timing.timeout) this.status = 'expired';
    else if (this.pendingSince !== undefined && now >= this.lateAt()) this.status = 'late';
    return this.status;
  }

  nextDeadline(): number | undefined {
    if (!this.running || this.status === 'expired') return undefined;
    let t = Math.min(this.nextCheckAt, this.lastConsent + this.timing.timeout);
    if (this.status === 'fresh' && this.pendingSince !== undefined) t = Math.min(t, this.lateAt());
    return t;
  }

  /** Late: silence for disconnectedTimeout, and at least one retry interval since the check went out. */
  private lateAt(): number {
    return Math.max(this.lastHeard + this.timing.disconnectedTimeout, this.pendingSince! + RETRY_INTERVAL);
  }
}
