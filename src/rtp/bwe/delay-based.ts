/**
 * The delay-based half of the send-side estimator: each TWCC feedback's received packets, in arrival order,
 * go through the packet grouping (InterArrival) into the trendline overuse detector, and the detector's
 * state drives the AIMD rate controller with the acknowledged throughput; a probe's result sets the estimate
 * directly unless the detector sees overuse.
 */
import { AckedBitrate } from './acked-bitrate.js';
import { AimdRateControl } from './aimd-rate-control.js';
import { InterArrival } from './inter-arrival.js';
import { type BandwidthUsage, TrendlineDetector } from './trendline.js';

export interface ReceivedPacket {
  sentAt: number;
  receivedAt: number;
  size: number;
}

export class DelayBasedEstimator {
  readonly detector = new TrendlineDetector();
  readonly rateControl: AimdRateControl;
  readonly acked = new AckedBitrate();
  private readonly interArrival = new InterArrival();

  constructor(startBitrate: number, minBitrate: number, maxBitrate: number) {
    this.rateControl = new AimdRateControl(startBitrate, minBitrate, maxBitrate);
  }

  get estimate(): number {
    return this.rateControl.estimate;
  }

  get usage(): BandwidthUsage {
    return this.detector.state;
  }

  /** The received packets of one feedback, sorted by arrival. `inAlr`: the sender is application-limited. */
  onPackets(now: number, packets: readonly ReceivedPacket[], inAlr: boolean): void {
    for (const p of packets) {
      this.acked.add(p.receivedAt, p.size, inAlr, p.sentAt);
      const d = this.interArrival.add(p.sentAt, p.receivedAt, p.size, now);
      if (d) this.detector.update(d.arrivalDelta, d.sendDelta, p.receivedAt);
    }
  }

  /**
   * After a feedback's packets: update the estimate (with a probe's result, if one came). `rateJumped`: the
   * send rate just rose abruptly (an application-limited period ended, a probe set the estimate), so the
   * smoothed acknowledged rate is stale for a decrease.
   */
  update(now: number, probeResult: number | undefined, rateJumped = false): number {
    const acked = this.acked.bitrate;
    const rc = this.rateControl;
    if (this.detector.state === 'overusing') {
      if (acked !== undefined ? rc.timeToReduceFurther(now, acked) : rc.timeToReduceFurther(now, rc.estimate))
        rc.update('overusing', acked, now, this.acked.recentSample, rateJumped, this.acked.lastSampleQueued);
    } else if (probeResult !== undefined) {
      rc.setEstimate(probeResult, now);
    } else {
      rc.update(this.detector.state, acked, now);
    }
    return rc.estimate;
  }
}
