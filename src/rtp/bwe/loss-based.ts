/**
 * The loss-based controller of Google Congestion Control (libwebrtc's classic SendSideBandwidthEstimation):
 * the loss fraction over at least 20 packets (from TWCC, or the peer's receiver reports) moves the target:
 * above 10 % it drops by half the loss fraction, at most once per RTT + 300 ms; between 2 % and 10 % it
 * holds; up to 2 % it grows back 8 % a second (from the lowest target of the last second). The target never
 * exceeds the delay-based estimate nor the peer's REMB; a probe's result sets it directly. Unlike libwebrtc's
 * v1, a target that loss never pushed below the delay-based estimate follows that estimate at once (no 8 %
 * a second lag behind it): loss-based control only acts as a ceiling once loss was high.
 */

const LOW_LOSS = 0.02;
const HIGH_LOSS = 0.1;
const INCREASE_FACTOR = 1.08;
const INCREASE_WINDOW_MS = 1000;
const DECREASE_INTERVAL_MS = 300;
/** Loss is measured over at least this many packets. */
const MIN_PACKETS = 20;
/** In the first 2 s without loss, a higher delay-based estimate (the probes') is taken at once. */
const START_PHASE_MS = 2000;

export class LossBasedController {
  /** The target (bits/s). */
  target: number;
  /** The latest loss fraction measured, 0..1. */
  lossFraction = 0;
  rtt = 200;
  private upperLimit = Number.POSITIVE_INFINITY;
  private receiverLimit = Number.POSITIVE_INFINITY;
  private lost = 0;
  private expected = 0;
  private firstReportAt: number | undefined;
  private lastDecreaseAt: number | undefined;
  private decreasedSinceReport = false;
  private hasLossReport = false;
  /** Loss pushed the target under the delay-based estimate and it has not grown back to it yet. */
  private limitedByLoss = false;
  /** (time, target) with increasing targets: the front is the lowest of the last second. */
  private history: { at: number; bitrate: number }[] = [];

  constructor(
    start: number,
    private readonly minBitrate: number,
    private readonly maxBitrate: number,
  ) {
    this.target = start;
  }

  /** Results of TWCC feedback: packets lost and received. */
  onPacketResults(now: number, lost: number, received: number): void {
    this.firstReportAt ??= now;
    this.lost += lost;
    this.expected += lost + received;
    if (this.expected < MIN_PACKETS) return;
    this.setLoss(now, this.lost / this.expected);
    this.lost = 0;
    this.expected = 0;
  }

  /** A loss fraction reported by the peer's receiver reports (0..1), for peers without TWCC. */
  onReportedLoss(now: number, fraction: number): void {
    this.firstReportAt ??= now;
    this.setLoss(now, fraction);
  }

  /** The delay-based estimate caps the target. */
  setDelayBasedLimit(now: number, bps: number): void {
    this.upperLimit = bps;
    this.update(now);
  }

  /** The peer's REMB caps the target. */
  setReceiverLimit(now: number, bps: number): void {
    this.receiverLimit = bps;
    this.update(now);
  }

  /** A probe measured the path: take its result. */
  setTarget(now: number, bps: number): void {
    this.apply(now, bps);
    if (this.target >= Math.min(this.upperLimit, this.receiverLimit)) this.limitedByLoss = false;
  }

  update(now: number): void {
    if (!this.hasLossReport || this.lossFraction === 0) {
      const inStart = this.firstReportAt === undefined || now - this.firstReportAt < START_PHASE_MS;
      const limit = Math.min(this.upperLimit, this.receiverLimit);
      if (inStart && !this.limitedByLoss && Number.isFinite(limit) && limit > this.target) {
        this.apply(now, limit);
        return;
      }
    }
    if (!this.hasLossReport) {
      this.apply(now, this.target);
      return;
    }
    const loss = this.lossFraction;
    if (loss <= LOW_LOSS) {
      const limit = Math.min(this.upperLimit, this.receiverLimit);
      if (!this.limitedByLoss && Number.isFinite(limit)) {
        this.apply(now, limit);
        return;
      }
      this.trimHistory(now);
      const base = this.history[0]?.bitrate ?? this.target;
      this.apply(now, base * INCREASE_FACTOR + 1000);
      if (this.target >= limit) this.limitedByLoss = false;
    } else if (loss > HIGH_LOSS) {
      const interval = DECREASE_INTERVAL_MS + this.rtt;
      if (
        !this.decreasedSinceReport &&
        (this.lastDecreaseAt === undefined || now - this.lastDecreaseAt >= interval)
      ) {
        this.lastDecreaseAt = now;
        this.decreasedSinceReport = true;
        this.limitedByLoss = true;
        this.apply(now, this.target * (1 - loss / 2));
      } else {
        this.apply(now, this.target);
      }
    } else {
      this.apply(now, this.target);
    }
  }

  private setLoss(now: number, fraction: number): void {
    this.lossFraction = Math.min(1, Math.max(0, fraction));
    this.hasLossReport = true;
    this.decreasedSinceReport = false;
    this.update(now);
  }

  private apply(now: number, bps: number): void {
    let next = Math.min(bps, this.upperLimit, this.receiverLimit, this.maxBitrate);
    next = Math.max(next, this.minBitrate);
    this.target = next;
    this.trimHistory(now);
    while (this.history.length > 0 && this.history[this.history.length - 1]!.bitrate >= next)
      this.history.pop();
    this.history.push({ at: now, bitrate: next });
  }

  private trimHistory(now: number): void {
    let drop = 0;
    while (drop < this.history.length - 1 && now - this.history[drop]!.at > INCREASE_WINDOW_MS) drop++;
    if (drop > 0) this.history.splice(0, drop);
  }
}
