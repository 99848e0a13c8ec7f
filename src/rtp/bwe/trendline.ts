/**
 * The delay-based overuse detector of Google Congestion Control: a trendline filter over the accumulated
 * one-way delay variation between packet groups, and an overuse detector comparing the (gained) trend with
 * an adaptive threshold. A rising delay trend means a queue is building somewhere on the path: overuse; a
 * falling one means a queue is draining: underuse. Figures as in libwebrtc's TrendlineEstimator.
 */

export type BandwidthUsage = 'normal' | 'underusing' | 'overusing';

/** Points in the linear regression. */
const WINDOW = 20;
/** Exponential smoothing of the accumulated delay. */
const SMOOTHING = 0.9;
/** The trend is multiplied by this (and by the number of deltas, up to MIN_DELTAS) before the comparison. */
const THRESHOLD_GAIN = 4;
const MIN_DELTAS = 60;
/** Overuse must last this long (ms of send time) over at least two deltas to be signalled. */
const OVERUSE_TIME_MS = 10;
/** The adaptive threshold: start, bounds, and how fast it follows the trend up and down. */
const INITIAL_THRESHOLD = 12.5;
const MIN_THRESHOLD = 6;
const MAX_THRESHOLD = 600;
const K_UP = 0.0087;
const K_DOWN = 0.039;
/** Trends this far beyond the threshold (a sudden jump) do not move it. */
const MAX_ADAPT_OFFSET = 15;
const MAX_ADAPT_INTERVAL_MS = 100;

export class TrendlineDetector {
  state: BandwidthUsage = 'normal';
  /** The adaptive threshold (ms, in the gained trend's units). */
  threshold = INITIAL_THRESHOLD;
  /** The latest gained trend (for stats and tests). */
  modifiedTrend = 0;
  private deltas = 0;
  private firstArrival: number | undefined;
  private accumulatedDelay = 0;
  private smoothedDelay = 0;
  private readonly xs = new Float64Array(WINDOW);
  private readonly ys = new Float64Array(WINDOW);
  private points = 0;
  private head = 0;
  private previousTrend = 0;
  private overuseTime: number | undefined;
  private overuseCount = 0;
  private lastThresholdUpdate: number | undefined;

  /**
   * One pair of group deltas (ms); `arrival` is the later group's arrival on the receiver's clock (which
   * also times the threshold's adaptation, as feedback comes in batches). Returns the state after it.
   */
  update(arrivalDelta: number, sendDelta: number, arrival: number): BandwidthUsage {
    const delay = arrivalDelta - sendDelta;
    this.deltas = Math.min(this.deltas + 1, 1000);
    this.firstArrival ??= arrival;
    this.accumulatedDelay += delay;
    this.smoothedDelay = SMOOTHING * this.smoothedDelay + (1 - SMOOTHING) * this.accumulatedDelay;
    this.xs[this.head] = arrival - this.firstArrival;
    this.ys[this.head] = this.smoothedDelay;
    this.head = (this.head + 1) % WINDOW;
    if (this.points < WINDOW) this.points++;
    let trend = this.previousTrend;
    if (this.points === WINDOW) trend = this.slope() ?? trend;
    this.detect(trend, sendDelta, arrival);
    return this.state;
  }

  private slope(): number | undefined {
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < WINDOW; i++) {
      sx += this.xs[i]!;
      sy += this.ys[i]!;
    }
    const mx = sx / WINDOW;
    const my = sy / WINDOW;
    let num = 0;
    let den = 0;
    for (let i = 0; i < WINDOW; i++) {
      const dx = this.xs[i]! - mx;
      num += dx * (this.ys[i]! - my);
      den += dx * dx;
    }
    return den === 0 ? undefined : num / den;
  }

  private detect(trend: number, sendDelta: number, now: number): void {
    if (this.deltas < 2) {
      this.state = 'normal';
      return;
    }
    const modified = Math.min(this.deltas, MIN_DELTAS) * trend * THRESHOLD_GAIN;
    this.modifiedTrend = modified;
    if (modified > this.threshold) {
      this.overuseTime = this.overuseTime === undefined ? sendDelta / 2 : this.overuseTime + sendDelta;
      this.overuseCount++;
      if (this.overuseTime > OVERUSE_TIME_MS && this.overuseCount > 1 && trend >= this.previousTrend) {
        this.overuseTime = 0;
        this.overuseCount = 0;
        this.state = 'overusing';
      }
    } else if (modified < -this.threshold) {
      this.overuseTime = undefined;
      this.overuseCount = 0;
      this.state = 'underusing';
    } else {
      this.overuseTime = undefined;
      this.overuseCount = 0;
      this.state = 'normal';
    }
    this.previousTrend = trend;
    this.adaptThreshold(modified, now);
  }

  private adaptThreshold(modified: number, now: number): void {
    const last = this.lastThresholdUpdate ?? now;
    this.lastThresholdUpdate = now;
    const magnitude = Math.abs(modified);
    if (magnitude > this.threshold + MAX_ADAPT_OFFSET) return;
    const k = magnitude < this.threshold ? K_DOWN : K_UP;
    const dt = Math.min(now - last, MAX_ADAPT_INTERVAL_MS);
    this.threshold += k * (magnitude - this.threshold) * dt;
    this.threshold = Math.min(MAX_THRESHOLD, Math.max(MIN_THRESHOLD, this.threshold));
  }
}
