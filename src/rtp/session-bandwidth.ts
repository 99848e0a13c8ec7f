/**
 * The bandwidth part of a MediaSession's sending half: it owns the estimator (bwe/), turns its target into
 * the pacing rate (× the pacing factor) and into one target bitrate per sending section (audio first, then
 * video, each within its limits), raises `target-bitrate` and `bandwidth-estimate` events when they move,
 * and tells the encoders to drop frames (`send-pressure`) when the pacer's queue takes too long to drain.
 * Active when transport-cc (full estimator) or goog-remb (follow the peer's REMB) was negotiated.
 */

import { BandwidthEstimator, type BandwidthEstimatorOptions } from './bwe/bandwidth-estimator.js';
import {
  AUDIO_DEFAULT_LIMITS,
  allocateBitrate,
  type SenderBitrateLimits,
  type SenderDemand,
  VIDEO_DEFAULT_LIMITS,
} from './bwe/bitrate-allocation.js';
import type { ProbeCluster } from './bwe/probe-estimator.js';
import type { PacketResult } from './feedback/transport-feedback-log.js';
import type { BandwidthStats, MediaSessionEvent } from './media-session-types.js';
import type { Pacer } from './pacer.js';
import type { SendStream } from './stream/send-stream.js';

export interface BandwidthOptions extends BandwidthEstimatorOptions {
  /** The pacer sends at the target times this (default 2.5, as libwebrtc). */
  pacingFactor?: number;
  /** Above this much queued time in the pacer, `send-pressure` tells encoders to skip frames (default 250 ms). */
  pressureQueueMs?: number;
  /** Above this, writeFrame refuses video frames (default 1,000 ms). */
  maxQueueMs?: number;
}

/**
 * What the encoders get is the estimate less the packets' overhead: per packet about 66 bytes (IPv4 + UDP 28,
 * RTP header and extensions ~28, SRTP tag 10), a share of 66 / 1,200 of video; audio sends ~50 packets a
 * second whatever its bitrate, so each audio sender costs 50 × 66 × 8 bits/s on top.
 */
const VIDEO_OVERHEAD_SHARE = 66 / 1200;
const AUDIO_OVERHEAD_BPS = 50 * 66 * 8;

/** Target events are raised when a value moved by at least this fraction. */
const EVENT_CHANGE = 0.05;

export class SendBandwidth {
  estimator: BandwidthEstimator | undefined;
  private twcc = false;
  private remb = false;
  private readonly limits = new Map<string, Partial<SenderBitrateLimits>>();
  private readonly emitted = new Map<string, number>();
  private emittedTotal: number | undefined;
  private pressure = false;
  readonly pacingFactor: number;
  readonly pressureQueueMs: number;
  readonly maxQueueMs: number;
  /** Video frames refused because the pacer's queue was too long. */
  framesRefused = 0;
  /** Retransmissions refused by the budget below. */
  retransmissionsLimited = 0;
  /** Retransmission budget (bytes): refilled at the estimate, at most one second of it (libwebrtc's limit). */
  private retransmitTokens = 0;
  private retransmitRefilledAt: number | undefined;

  constructor(
    private readonly options: BandwidthOptions | false | undefined,
    private readonly pacer: Pacer<{ readonly size: number }>,
    private readonly emit: (event: MediaSessionEvent) => void,
  ) {
    const o = options || {};
    this.pacingFactor = o.pacingFactor ?? 2.5;
    this.pressureQueueMs = o.pressureQueueMs ?? 250;
    this.maxQueueMs = o.maxQueueMs ?? 1000;
  }

  /**
   * May a retransmission of `bytes` go? Retransmissions together stay within the estimate over a second:
   * at a tight link, NACKs for what the overflow dropped would otherwise refill the queue they came from.
   * Without an estimator (no transport-cc or REMB) there is no limit.
   */
  admitRetransmission(now: number, bytes: number): boolean {
    const e = this.estimator;
    if (!e) return true;
    const perMs = e.targetBitrate / 8000;
    const last = this.retransmitRefilledAt;
    this.retransmitTokens =
      last === undefined
        ? perMs * 1000
        : Math.min(perMs * 1000, this.retransmitTokens + (now - last) * perMs);
    this.retransmitRefilledAt = now;
    if (bytes > this.retransmitTokens) {
      this.retransmissionsLimited++;
      return false;
    }
    this.retransmitTokens -= bytes;
    return true;
  }

  /** After a negotiation: which feedback the send streams have decides whether an estimator runs. */
  configure(streams: Iterable<SendStream>): void {
    this.twcc = false;
    this.remb = false;
    for (const s of streams) {
      if (s.hasFeedback('transportCc') && s.extensionIds.transportWideCc !== undefined) this.twcc = true;
      if (s.hasFeedback('remb')) this.remb = true;
    }
    if (this.options !== false && (this.twcc || this.remb) && !this.estimator) {
      // probes are measured from TWCC feedback only: none for a REMB-only peer
      const o = this.options ?? {};
      this.estimator = new BandwidthEstimator({ ...o, probing: (o.probing ?? true) && this.twcc });
      this.pacer.setRate(this.estimator.targetBitrate * this.pacingFactor);
    }
  }

  /** Limits for the sender of `mid` (e.g. the encoding's maxBitrate); undefined fields keep the defaults. */
  setLimits(mid: string, limits: Partial<SenderBitrateLimits> | undefined): void {
    if (limits) this.limits.set(mid, { ...limits });
    else this.limits.delete(mid);
    this.emitted.delete(mid);
  }

  onPacketSent(now: number, bytes: number, media: boolean): void {
    this.estimator?.onPacketSent(now, bytes, media);
  }

  onTransportFeedback(now: number, packets: readonly PacketResult[]): boolean {
    if (!this.estimator || !this.twcc) return false;
    this.estimator.onTransportFeedback(now, packets);
    return true;
  }

  onRemb(now: number, bps: number): void {
    this.estimator?.onRemb(now, bps);
  }

  onReportBlock(now: number, fractionLost: number, rtt: number | undefined): void {
    if (!this.estimator) return;
    if (rtt !== undefined) this.estimator.onRtt(rtt);
    this.estimator.onReportedLoss(now, fractionLost);
  }

  nextProcessTime(): number | undefined {
    return this.estimator?.nextProcessTime();
  }

  process(now: number): void {
    this.estimator?.process(now);
  }

  pollProbe(now: number): ProbeCluster | undefined {
    return this.estimator?.pollProbe(now);
  }

  /** Whether a video frame may be queued now (false: refused, the pacer is too far behind). */
  admitVideo(): boolean {
    const queued = this.pacer.queueTimeMs();
    if (queued > this.pressureQueueMs) this.setPressure(true, queued);
    if (queued <= this.maxQueueMs) return true;
    this.framesRefused++;
    return false;
  }

  /** After the pacer released packets: pressure ends once the queue is under half the pressure level. */
  afterFlush(): void {
    if (this.pressure) {
      const queued = this.pacer.queueTimeMs();
      if (queued < this.pressureQueueMs / 2) this.setPressure(false, queued);
    }
  }

  /** Pacing rate and per-section targets from the current estimate; events when they moved. */
  update(now: number, streams: Iterable<SendStream>): void {
    const e = this.estimator;
    if (!e) return;
    const sending = [...streams];
    const total = e.targetBitrate;
    this.pacer.setRate(Math.max(total, 50_000) * this.pacingFactor);
    const senders = this.demands(sending);
    const audio = senders.filter((d) => d.kind === 'audio').length;
    const allocation = allocateBitrate(
      total / (1 + VIDEO_OVERHEAD_SHARE) - audio * AUDIO_OVERHEAD_BPS,
      senders,
    );
    const source = this.twcc ? 'estimate' : 'remb';
    for (const [mid, bitrate] of allocation) {
      const last = this.emitted.get(mid);
      if (last !== undefined && Math.abs(bitrate - last) < EVENT_CHANGE * last) continue;
      this.emitted.set(mid, bitrate);
      const ssrcs = sending.filter((s) => s.mid === mid).map((s) => s.ssrc);
      this.emit({ type: 'target-bitrate', mid, bitrate: Math.round(bitrate), ssrcs, source });
    }
    const last = this.emittedTotal;
    if (last === undefined || Math.abs(total - last) >= EVENT_CHANGE * last) {
      this.emittedTotal = total;
      const s = e.stats();
      this.emit({
        type: 'bandwidth-estimate',
        at: now,
        availableOutgoingBitrate: Math.round(total),
        delayBasedBitrate: Math.round(s.delayBasedBitrate),
        lossBasedBitrate: Math.round(s.lossBasedBitrate),
        pacingBitrate: Math.round(this.pacer.rateBps),
        usage: s.usage,
        inAlr: s.inAlr,
      });
    }
  }

  stats(): BandwidthStats | undefined {
    const e = this.estimator;
    if (!e) return undefined;
    return {
      mode: this.twcc ? 'transport-cc' : 'remb',
      availableOutgoingBitrate: Math.round(e.targetBitrate),
      pacingBitrate: Math.round(this.pacer.rateBps),
      queueTimeMs: this.pacer.queueTimeMs(),
      sendPressure: this.pressure,
      framesRefused: this.framesRefused,
      retransmissionsLimited: this.retransmissionsLimited,
      ...e.stats(),
    };
  }

  private demands(streams: Iterable<SendStream>): SenderDemand[] {
    const byMid = new Map<string, SenderDemand>();
    for (const s of streams) {
      if (byMid.has(s.mid)) continue;
      const defaults = s.kind === 'audio' ? AUDIO_DEFAULT_LIMITS : VIDEO_DEFAULT_LIMITS;
      const l = this.limits.get(s.mid) ?? {};
      byMid.set(s.mid, {
        mid: s.mid,
        kind: s.kind,
        minBitrate: l.minBitrate ?? defaults.minBitrate,
        maxBitrate: l.maxBitrate ?? defaults.maxBitrate,
        priority: l.priority ?? defaults.priority,
      });
    }
    return [...byMid.values()];
  }

  private setPressure(active: boolean, queueTimeMs: number): void {
    if (this.pressure === active) return;
    this.pressure = active;
    this.emit({ type: 'send-pressure', active, queueTimeMs: Math.round(queueTimeMs) });
  }
}
