/**
 * The send-side bandwidth estimator (Google Congestion Control, sans-I/O): transport-wide feedback drives a
 * delay-based estimate (trendline overuse detector + AIMD) and a loss-based one; the target is the
 * loss-based estimate capped by the delay-based one and by the peer's REMB. Probe clusters find headroom
 * at start and after drops; an application-limited sender does not grow its estimate. Without TWCC the
 * peer's REMB (with the loss its receiver reports) sets the target.
 *
 *   onPacketSent(now, bytes, media)   every packet that left the pacer
 *   onTransportFeedback(now, results) TWCC feedback matched to our send records
 *   onRemb(now, bps), onReportedLoss(now, fraction), onRtt(ms)
 *   process(now) at nextProcessTime(); pollProbe() for clusters to send; targetBitrate
 *
 * No timers and no clock: time is passed in (ms).
 */
import type { PacketResult } from '../feedback/transport-feedback-log.js';
import { AlrDetector } from './alr-detector.js';
import { DelayBasedEstimator, type ReceivedPacket } from './delay-based.js';
import { LossBasedController } from './loss-based.js';
import { ProbeController } from './probe-controller.js';
import { type ProbeCluster, ProbeEstimator } from './probe-estimator.js';
import type { BandwidthUsage } from './trendline.js';

export interface BandwidthEstimatorOptions {
  /** The estimate before any feedback (default 300 kbit/s, as libwebrtc). */
  startBitrate?: number;
  /** The estimate never goes below this (default 30 kbit/s). */
  minBitrate?: number;
  /** Nor above this (default 20 Mbit/s); probes stop here. */
  maxBitrate?: number;
  /** Send probe clusters (default true; the session needs RTX to pad them). */
  probing?: boolean;
  /**
   * Bytes each packet costs on the wire beyond the datagram (default 28: IPv4 + UDP): counted in every
   * size, so the estimate is of the link's rate.
   */
  packetOverheadBytes?: number;
}

export interface BandwidthEstimatorStats {
  /** The target: what the encoders may send in total (bits/s). */
  targetBitrate: number;
  delayBasedBitrate: number;
  lossBasedBitrate: number;
  /** What the peer acknowledged receiving lately (bits/s), once measured. */
  ackedBitrate: number | undefined;
  /** The peer's last REMB (bits/s). */
  remoteEstimate: number | undefined;
  /** Loss over the latest ≥ 20 packets, 0..1. */
  lossFraction: number;
  usage: BandwidthUsage;
  /** The overuse detector's adaptive threshold and latest gained trend. */
  threshold: number;
  trend: number;
  inAlr: boolean;
  rttMs: number;
  probeClusters: number;
  probeResults: number;
  feedbackPackets: number;
}

const PROCESS_INTERVAL_MS = 25;
/** A drop this soon after an application-limited period may be probed back (libwebrtc: 3 s). */
const ALR_RECENT_MS = 3000;
/**
 * In ALR and this long after the send rate jumped (ALR ended, a probe applied), decreases use the latest
 * throughput window rather than the smoothed one (still the old, low rate).
 */
const RATE_JUMP_MS = 2000;
/** A probe result lowers the estimate to this share of the acknowledged rate at most. */
const PROBE_DROP_THROUGHPUT_FRACTION = 0.85;
/** process() is only wanted while packets were sent recently. */
const ACTIVE_AFTER_SEND_MS = 2000;
/** RTT samples from feedback (now − send time of the newest acknowledged packet) kept for the minimum. */
const RTT_SAMPLES = 32;

export class BandwidthEstimator {
  private readonly delayBased: DelayBasedEstimator;
  private readonly lossBased: LossBasedController;
  private readonly probes: ProbeController;
  private readonly probeEstimator = new ProbeEstimator();
  readonly alr = new AlrDetector();
  private remb: number | undefined;
  private rttFromReports: number | undefined;
  private readonly rttSamples: number[] = [];
  private lastSentAt: number | undefined;
  private nextProcessAt: number | undefined;
  private twccSeen = false;
  private probeResults = 0;
  private feedbackPackets = 0;
  private received: ReceivedPacket[] = [];
  private readonly overhead: number;
  private probeAppliedAt = Number.NEGATIVE_INFINITY;
  private lastOveruseAt: number | undefined;

  constructor(options: BandwidthEstimatorOptions = {}) {
    const start = options.startBitrate ?? 300_000;
    const min = options.minBitrate ?? 30_000;
    const max = options.maxBitrate ?? 20_000_000;
    if (!(min > 0 && min <= start && start <= max))
      throw new RangeError('need 0 < minBitrate ≤ startBitrate ≤ maxBitrate');
    this.delayBased = new DelayBasedEstimator(start, min, max);
    this.lossBased = new LossBasedController(start, min, max);
    this.probes = new ProbeController({
      startBitrate: start,
      maxBitrate: max,
      enabled: options.probing ?? true,
    });
    this.alr.setEstimate(start);
    this.overhead = options.packetOverheadBytes ?? 28;
  }

  /** What the encoders may send in total (bits/s). */
  get targetBitrate(): number {
    return this.lossBased.target;
  }

  get inAlr(): boolean {
    return this.alr.inAlr;
  }

  get rtt(): number {
    if (this.rttFromReports !== undefined) return this.rttFromReports;
    return this.rttSamples.length > 0 ? Math.min(...this.rttSamples) : 200;
  }

  /** A packet left the pacer: `media` false for padding and probe-only packets. */
  onPacketSent(now: number, bytes: number, media: boolean): void {
    this.lastSentAt = now;
    this.nextProcessAt ??= now + PROCESS_INTERVAL_MS;
    if (media) {
      this.alr.onSent(now, bytes + this.overhead);
      this.probes.start(now);
    }
  }

  /** TWCC results (matched send records) of one feedback message. */
  onTransportFeedback(now: number, results: readonly PacketResult[]): void {
    if (results.length === 0) return;
    this.twccSeen = true;
    // reused records (no allocation per packet once warm), in arrival order
    const pool = this.received;
    let count = 0;
    let lost = 0;
    let sorted = true;
    let newestSent = Number.NEGATIVE_INFINITY;
    for (const r of results) {
      if (r.receivedAt === undefined) {
        lost++;
        continue;
      }
      let p = pool[count];
      if (!p) {
        p = { sentAt: 0, receivedAt: 0, size: 0 };
        pool.push(p);
      }
      p.sentAt = r.sentAt;
      p.receivedAt = r.receivedAt;
      p.size = r.size + this.overhead;
      if (count > 0 && r.receivedAt < pool[count - 1]!.receivedAt) sorted = false;
      count++;
      if (r.sentAt > newestSent) newestSent = r.sentAt;
    }
    const received = count === pool.length ? pool : pool.slice(0, count);
    this.feedbackPackets += results.length;
    if (newestSent > Number.NEGATIVE_INFINITY) this.addRttSample(now - newestSent);
    if (!sorted) received.sort((a, b) => a.receivedAt - b.receivedAt || a.sentAt - b.sentAt);
    let probe: number | undefined;
    for (const r of results)
      if (r.probeClusterId !== undefined && r.receivedAt !== undefined) {
        const rate = this.probeEstimator.onPacket(
          r.probeClusterId,
          r.sentAt,
          r.receivedAt,
          r.size + this.overhead,
        );
        if (rate !== undefined) probe = rate;
      }
    if (probe !== undefined) {
      this.probeResults++;
      // A cluster measures the path only if it left at its rate: one the sender sent late (a busy event loop,
      // an encoder reopening) reads low, and set alone it took 1.2 Mbit/s to 168 kbit/s against Chromium. So a
      // result may lower the estimate to just under the acknowledged rate (to drain a queue), no further
      // (libwebrtc's floor: 85 % of the acknowledged bitrate, never above the current estimate).
      const acked = this.delayBased.acked.bitrate;
      if (acked !== undefined)
        probe = Math.max(probe, Math.min(this.delayBased.estimate, PROBE_DROP_THROUGHPUT_FRACTION * acked));
    }
    const rtt = this.rtt;
    this.delayBased.rateControl.rtt = rtt;
    this.delayBased.rateControl.inAlr = this.alr.inAlr;
    this.lossBased.rtt = rtt;
    this.delayBased.onPackets(now, received, this.alr.inAlr);
    if (this.delayBased.usage === 'overusing') this.lastOveruseAt = now;
    const jumpedAt = Math.max(this.alr.endedAt ?? Number.NEGATIVE_INFINITY, this.probeAppliedAt);
    const delayBased = this.delayBased.update(now, probe, this.alr.inAlr || now - jumpedAt < RATE_JUMP_MS);
    if (probe !== undefined && this.delayBased.usage !== 'overusing') this.probeAppliedAt = now;
    this.lossBased.setDelayBasedLimit(now, delayBased);
    // a probe measured the path: the target takes its result at once (not 8 % a second)
    if (probe !== undefined && this.delayBased.usage !== 'overusing')
      this.lossBased.setTarget(now, delayBased);
    this.lossBased.onPacketResults(now, lost, received.length);
    this.estimateChanged(now);
  }

  /** The peer's REMB (bits/s): a cap with TWCC; without it, the target follows it. */
  onRemb(now: number, bps: number): void {
    if (!(bps > 0) || !Number.isFinite(bps)) return;
    this.remb = bps;
    this.lossBased.setReceiverLimit(now, bps);
    if (!this.twccSeen) {
      this.lossBased.setDelayBasedLimit(now, bps);
      if (this.lossBased.lossFraction <= 0.1) this.lossBased.setTarget(now, bps);
    }
    this.estimateChanged(now);
  }

  /** Loss the peer's receiver reports state (0..1): the loss input when there is no TWCC. */
  onReportedLoss(now: number, fraction: number): void {
    if (this.twccSeen) return;
    this.lossBased.onReportedLoss(now, fraction);
    this.estimateChanged(now);
  }

  /** A round-trip time from RTCP reports (ms). */
  onRtt(ms: number): void {
    if (ms >= 0 && Number.isFinite(ms)) this.rttFromReports = ms;
  }

  /** When process() wants to run next, undefined while idle. */
  nextProcessTime(): number | undefined {
    return this.nextProcessAt;
  }

  process(now: number): void {
    if (this.nextProcessAt === undefined || now < this.nextProcessAt) return;
    const idle = this.lastSentAt === undefined || now - this.lastSentAt > ACTIVE_AFTER_SEND_MS;
    this.nextProcessAt = idle ? undefined : now + PROCESS_INTERVAL_MS;
    this.alr.onSent(now, 0);
    const rc = this.delayBased.rateControl;
    rc.inAlr = this.alr.inAlr;
    if (this.twccSeen || this.remb === undefined) {
      const alr = this.alr;
      const alrNear = alr.inAlr || (alr.endedAt !== undefined && now - alr.endedAt < ALR_RECENT_MS);
      const calm = this.delayBased.usage !== 'overusing';
      this.probes.process(now, calm, this.lastOveruseAt, rc.capacityGrewAt, alr.inAlr, alrNear);
    }
  }

  /** The next probe cluster to send (the pacer sends it at its rate, padding if media is short). */
  pollProbe(now: number): ProbeCluster | undefined {
    const cluster = this.probes.poll();
    if (cluster) this.probeEstimator.onClusterStarted(now, cluster);
    return cluster;
  }

  stats(): BandwidthEstimatorStats {
    return {
      targetBitrate: this.targetBitrate,
      delayBasedBitrate: this.delayBased.estimate,
      lossBasedBitrate: this.lossBased.target,
      ackedBitrate: this.delayBased.acked.bitrate,
      remoteEstimate: this.remb,
      lossFraction: this.lossBased.lossFraction,
      usage: this.delayBased.usage,
      threshold: this.delayBased.detector.threshold,
      trend: this.delayBased.detector.modifiedTrend,
      inAlr: this.alr.inAlr,
      rttMs: this.rtt,
      probeClusters: this.probes.clustersRequested,
      probeResults: this.probeResults,
      feedbackPackets: this.feedbackPackets,
    };
  }

  private estimateChanged(now: number): void {
    const target = this.lossBased.target;
    this.alr.setEstimate(target);
    this.probes.onEstimate(now, target);
  }

  private addRttSample(ms: number): void {
    if (!(ms >= 0)) return;
    if (this.rttSamples.length >= RTT_SAMPLES) this.rttSamples.shift();
    this.rttSamples.push(ms);
  }
}
