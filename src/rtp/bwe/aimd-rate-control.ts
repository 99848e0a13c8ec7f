/**
 * The rate controller of Google Congestion Control: additive-increase / multiplicative-decrease driven by the
 * overuse detector. Overuse → decrease to BETA × the acknowledged throughput (the smoothed one, or the
 * latest window's when far lower: after a capacity drop the smoothed one lags by a second; or when just
 * after an application-limited period or a probe's jump, when the smoothed one is still the low
 * rate from before), then hold; normal → increase:
 * multiplicatively (8 % a second) while the link's capacity is unknown or the estimate is well under it,
 * additively (about one packet per response time) near the capacity an overuse has shown; underuse → hold (a queue is draining). Increases are
 * capped by 1.5 × the acknowledged throughput, and none happen while the sender is application-limited.
 * Figures as in libwebrtc's AimdRateControl.
 */
import type { BandwidthUsage } from './trendline.js';

const BETA = 0.85;
/** The latest throughput window counts for a decrease when under this share of the smoothed one. */
const RECENT_DROP = 0.7;
/** Multiplicative increase per second while the capacity is unknown. */
const INCREASE_FACTOR = 1.08;
const MIN_INCREASE_BPS = 1000;
/** Additive increase is at least this much per second. */
const MIN_ADDITIVE_BPS_PER_S = 4000;
const FRAME_RATE = 30;
const PACKET_BYTES = 1200;
/** The detector's own delay in reacting, added to the RTT for the additive increase. */
const DETECTOR_DELAY_MS = 100;

/** Without probes or overuse, the measured throughput becomes the estimate after this long. */
const INITIALIZATION_MS = 5000;

type RateControlState = 'hold' | 'increase' | 'decrease';

/**
 * Where the link's capacity was seen at the last overuses: a moving average of the throughput then and its
 * normalised variance. Throughput outside ±3 deviations means the link changed: the estimate is forgotten.
 */
export class LinkCapacityEstimator {
  private estimateKbps: number | undefined;
  private deviation = 0.4;

  get estimate(): number | undefined {
    return this.estimateKbps === undefined ? undefined : this.estimateKbps * 1000;
  }

  upperBound(): number {
    return this.estimateKbps === undefined
      ? Number.POSITIVE_INFINITY
      : (this.estimateKbps + 3 * this.deviationKbps()) * 1000;
  }

  lowerBound(): number {
    return this.estimateKbps === undefined
      ? 0
      : Math.max(0, this.estimateKbps - 3 * this.deviationKbps()) * 1000;
  }

  onOveruse(throughputBps: number): void {
    const sample = throughputBps / 1000;
    const alpha = 0.05;
    const estimate =
      this.estimateKbps === undefined ? sample : (1 - alpha) * this.estimateKbps + alpha * sample;
    // the variance normalised by the estimate, bounded as libwebrtc does
    const norm = Math.max(estimate, 1);
    const error = estimate - sample;
    this.deviation = (1 - alpha) * this.deviation + (alpha * error * error) / norm;
    this.deviation = Math.min(2.5, Math.max(0.4, this.deviation));
    this.estimateKbps = estimate;
  }

  reset(): void {
    this.estimateKbps = undefined;
  }

  private deviationKbps(): number {
    return Math.sqrt(this.deviation * (this.estimateKbps ?? 0));
  }
}

export class AimdRateControl {
  readonly linkCapacity = new LinkCapacityEstimator();
  private bitrate: number;
  private initialized = false;
  private state: RateControlState = 'hold';
  private lastChangeAt: number | undefined;
  private lastThroughput: number | undefined;
  private firstThroughputAt: number | undefined;
  /** Round-trip time (ms) for the additive increase and the decrease interval. */
  rtt = 200;
  /** When the throughput last went above where the link's capacity was seen (the link grew). */
  capacityGrewAt: number | undefined;
  /** No increase while the sender is application-limited. */
  inAlr = false;

  constructor(
    startBitrate: number,
    private readonly minBitrate: number,
    private readonly maxBitrate: number,
  ) {
    this.bitrate = startBitrate;
  }

  get estimate(): number {
    return this.bitrate;
  }

  /** Whether an estimate was set by a measurement (a decrease or a probe), not only the start value. */
  get valid(): boolean {
    return this.initialized;
  }

  /** Set the estimate directly (a probe's result, or a start value). */
  setEstimate(bps: number, now: number): void {
    this.initialized = true;
    this.bitrate = this.clamp(bps);
    this.lastChangeAt = now;
  }

  /** Whether another decrease may follow: an RTT (10–200 ms) since the last change, or a collapse. */
  timeToReduceFurther(now: number, throughput: number): boolean {
    const interval = Math.min(200, Math.max(10, this.rtt));
    if (this.lastChangeAt === undefined || now - this.lastChangeAt >= interval) return true;
    return this.initialized && throughput < 0.5 * this.bitrate;
  }

  /**
   * One detector state and the acknowledged throughput (undefined until measured; `recent`: the latest
   * window's, for a decrease); returns the estimate.
   */
  update(
    usage: BandwidthUsage,
    throughput: number | undefined,
    now: number,
    recent?: number,
    preferRecent = false,
    recentQueued = true,
  ): number {
    if (throughput !== undefined) this.lastThroughput = throughput;
    const acked = this.lastThroughput;
    if (!this.initialized && usage !== 'overusing') {
      // before any measurement the start bitrate stands (probes and overuse set it); after 5 s of
      // throughput measurements without either, the measured throughput becomes the estimate
      if (acked !== undefined) {
        this.firstThroughputAt ??= now;
        if (now - this.firstThroughputAt >= INITIALIZATION_MS) this.setEstimate(acked, now);
      }
      return this.bitrate;
    }
    this.changeState(usage, now);
    switch (this.state) {
      case 'hold':
        break;
      case 'increase': {
        if (acked !== undefined && acked > this.linkCapacity.upperBound()) {
          this.linkCapacity.reset();
          this.capacityGrewAt = now;
        }
        const limit = acked !== undefined ? 1.5 * acked + 10_000 : Number.POSITIVE_INFINITY;
        if (this.bitrate < limit && !this.inAlr) {
          const since = this.lastChangeAt === undefined ? 0 : now - this.lastChangeAt;
          const multiplicative = Math.max(
            this.bitrate * (INCREASE_FACTOR ** Math.min(since / 1000, 1) - 1),
            MIN_INCREASE_BPS,
          );
          const capacity = this.linkCapacity;
          let next: number;
          if (capacity.estimate === undefined) next = this.bitrate + multiplicative;
          else if (this.bitrate < capacity.lowerBound())
            // well under where the link was seen full (after a decrease): back there at the multiplicative
            // pace, never above it, then additively (libwebrtc stays additive: ~10 s from 85 % back to 100 %
            // at 5 Mbit/s, a dip that encoders feel)
            next = Math.min(this.bitrate + multiplicative, capacity.lowerBound());
          else next = this.bitrate + (this.additiveIncreasePerSecond() * since) / 1000;
          this.bitrate = this.clamp(Math.min(next, limit));
        }
        this.lastChangeAt = now;
        break;
      }
      case 'decrease': {
        if (acked !== undefined) {
          // the smoothed throughput lags a change by a second: after a capacity drop the latest window is
          // far lower and its packets queued on the way (take it; a window a little lower is noise, a frame
          // gap; one the sender filled sparsely says nothing of the link: one such window took a 1.1 Mbit/s
          // estimate to 400 kbit/s against Chromium); right after the sender left an application-limited
          // region or jumped to a probe's result, the smoothed one is still the old low rate (take the
          // latest window when it is higher)
          let measured = acked;
          if (recent !== undefined) {
            if (preferRecent && recent > acked) measured = recent;
            else if (recent < RECENT_DROP * acked && recentQueued) measured = recent;
          }
          let target = BETA * measured;
          if (target > this.bitrate && this.linkCapacity.estimate !== undefined)
            target = BETA * this.linkCapacity.estimate;
          if (target < this.bitrate) this.bitrate = this.clamp(target);
          if (acked < this.linkCapacity.lowerBound()) this.linkCapacity.reset();
          this.linkCapacity.onOveruse(acked);
        } else {
          this.bitrate = this.clamp(this.bitrate / 2);
        }
        this.initialized = true;
        this.state = 'hold';
        this.lastChangeAt = now;
        break;
      }
    }
    return this.bitrate;
  }

  private changeState(usage: BandwidthUsage, now: number): void {
    if (usage === 'normal') {
      if (this.state === 'hold') {
        this.lastChangeAt = now;
        this.state = 'increase';
      }
    } else if (usage === 'overusing') {
      this.state = 'decrease';
    } else {
      this.state = 'hold';
    }
  }

  /** About one average packet per response time (RTT + the detector's delay), at least 4 kbit/s a second. */
  private additiveIncreasePerSecond(): number {
    const frameBytes = this.bitrate / 8 / FRAME_RATE;
    const packets = Math.max(1, Math.ceil(frameBytes / PACKET_BYTES));
    const packetBits = (frameBytes / packets) * 8;
    const response = this.rtt + DETECTOR_DELAY_MS;
    return Math.max(MIN_ADDITIVE_BPS_PER_S, (packetBits * 1000) / response);
  }

  private clamp(bps: number): number {
    return Math.min(this.maxBitrate, Math.max(this.minBitrate, bps));
  }
}
