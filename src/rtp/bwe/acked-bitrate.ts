/**
 * The acknowledged bitrate: what the receiver reports having received, per arrival-time window (500 ms for
 * the first, then 150 ms), smoothed by a Bayesian update whose sample uncertainty grows with the sample's
 * distance from the estimate (as libwebrtc's BitrateEstimator). Arrival times are on the receiver's clock.
 */

const INITIAL_WINDOW_MS = 500;
const WINDOW_MS = 150;
const UNCERTAINTY_SCALE = 10;
/** Samples below the estimate from a sender sending little are trusted less. */
const UNCERTAINTY_SCALE_SMALL = 20;
const VARIANCE_GROWTH = 5;
const FLOOR_KBPS = 40;
/** A window whose packets arrived over a span this much longer than they were sent over saw a queue grow. */
const QUEUED_SPAN_RATIO = 1.1;

export class AckedBitrate {
  private windowStart: number | undefined;
  private windowBytes = 0;
  private prevArrival: number | undefined;
  private estimateKbps: number | undefined;
  private variance = 50;
  private firstWindow = true;
  /** The latest window's raw rate (bits/s): follows a jump at once, where the estimate lags. */
  lastSample: number | undefined;
  /** The latest window had a silence of half a window or more in it: the sender paused. */
  private lastSamplePaused = false;
  /** The longest silence between two packets of the current window (ms). */
  private windowLongestGap = 0;
  /** Send times (sender's clock) of the current window's packets, when known: the earliest and latest. */
  private windowFirstSent = Number.POSITIVE_INFINITY;
  private windowLastSent = Number.NEGATIVE_INFINITY;
  private windowFirstArrival = 0;
  private windowLastArrival = 0;
  /**
   * The latest window's packets took longer to arrive than to leave (a queue grew: the link, not the
   * sender, set that window's rate), or their send times are unknown. A window the sender filled sparsely
   * (an encoder just reopened, a keyframe not yet out) arrives as it left and says nothing of the link.
   */
  lastSampleQueued = true;

  /**
   * The latest window's raw rate for a decrease that should not wait for the smoothed estimate, unless the
   * sender paused in that window (an encoder reopening, skipped frames): one such window read 47 kbit/s and
   * took a 1.7 Mbit/s estimate to 40 kbit/s in one step. A capacity drop keeps packets arriving, spread at
   * the link's rate, without such a hole.
   */
  get recentSample(): number | undefined {
    return this.lastSamplePaused ? undefined : this.lastSample;
  }

  /** The current estimate (bits/s), undefined until the first window completed. */
  get bitrate(): number | undefined {
    return this.estimateKbps === undefined ? undefined : this.estimateKbps * 1000;
  }

  /**
   * One acknowledged packet, in arrival order. `small`: the sender is application-limited. `sentAt`: its
   * send time, where known (for `lastSampleQueued`).
   */
  add(arrival: number, size: number, small = false, sentAt?: number): void {
    if (this.prevArrival !== undefined && arrival < this.prevArrival) arrival = this.prevArrival;
    const window = this.firstWindow ? INITIAL_WINDOW_MS : WINDOW_MS;
    if (this.windowStart === undefined) this.windowStart = arrival;
    // a long gap: the window restarts at this packet (no sample for an idle period)
    let gap = this.prevArrival === undefined ? 0 : arrival - this.prevArrival;
    if (gap > window) {
      this.windowStart = arrival;
      this.windowBytes = 0;
      this.windowLongestGap = 0;
      this.resetWindowSpans();
      gap = 0;
    }
    this.prevArrival = arrival;
    if (arrival - this.windowStart >= window) {
      // the silence up to the window's end counts too
      const tail = this.windowStart + window - (arrival - gap);
      this.lastSamplePaused = Math.max(this.windowLongestGap, Math.min(gap, tail)) >= window / 2;
      this.lastSampleQueued = this.windowQueued();
      this.windowLongestGap = 0;
      this.resetWindowSpans();
      this.sample((this.windowBytes * 8) / window, small);
      this.firstWindow = false;
      this.windowStart += window * Math.floor((arrival - this.windowStart) / window);
      this.windowBytes = 0;
    } else this.windowLongestGap = Math.max(this.windowLongestGap, gap);
    this.windowBytes += size;
    if (sentAt !== undefined) {
      if (this.windowFirstSent === Number.POSITIVE_INFINITY) this.windowFirstArrival = arrival;
      this.windowLastArrival = arrival;
      if (sentAt < this.windowFirstSent) this.windowFirstSent = sentAt;
      if (sentAt > this.windowLastSent) this.windowLastSent = sentAt;
    }
  }

  /** Whether the closing window's packets arrived over a span 10 % longer than they were sent over. */
  private windowQueued(): boolean {
    if (this.windowFirstSent === Number.POSITIVE_INFINITY) return true;
    const sent = this.windowLastSent - this.windowFirstSent;
    const arrived = this.windowLastArrival - this.windowFirstArrival;
    return arrived > QUEUED_SPAN_RATIO * sent;
  }

  private resetWindowSpans(): void {
    this.windowFirstSent = Number.POSITIVE_INFINITY;
    this.windowLastSent = Number.NEGATIVE_INFINITY;
  }

  /** Forget the estimate (the next windows start over); the route or the send rate changed abruptly. */
  reset(): void {
    this.estimateKbps = undefined;
    this.lastSample = undefined;
    this.lastSamplePaused = false;
    this.lastSampleQueued = true;
    this.resetWindowSpans();
    this.windowLongestGap = 0;
    this.variance = 50;
    this.windowStart = undefined;
    this.windowBytes = 0;
  }

  private sample(kbps: number, small: boolean): void {
    this.lastSample = kbps * 1000;
    const estimate = this.estimateKbps;
    if (estimate === undefined) {
      this.estimateKbps = kbps;
      return;
    }
    const scale = small && kbps < estimate ? UNCERTAINTY_SCALE_SMALL : UNCERTAINTY_SCALE;
    const uncertainty = (scale * Math.abs(estimate - kbps)) / Math.max(estimate, 1);
    const sampleVariance = uncertainty * uncertainty;
    const predicted = this.variance + VARIANCE_GROWTH;
    const next = (sampleVariance * estimate + predicted * kbps) / (sampleVariance + predicted);
    this.estimateKbps = Math.max(next, FLOOR_KBPS);
    this.variance = (sampleVariance * predicted) / (sampleVariance + predicted);
  }
}
