/**
 * The receive-side estimate for peers that want REMB (goog-remb negotiated, transport-cc not): the same
 * delay-based detector as the send side (packet groups → trendline overuse detector → AIMD), fed with each
 * packet's abs-send-time (the sender's clock, 6.18 fixed-point seconds wrapping every 64 s) and our arrival
 * time, against the incoming bitrate. It asks for a REMB every second, and at once (at most every 200 ms)
 * when the estimate fell by 3 % or more since the last one (as libwebrtc's receive side).
 */
import { AckedBitrate } from './acked-bitrate.js';
import { AimdRateControl } from './aimd-rate-control.js';
import { InterArrival } from './inter-arrival.js';
import { TrendlineDetector } from './trendline.js';

const REMB_INTERVAL_MS = 1000;
const REMB_MIN_INTERVAL_MS = 200;
const DECREASE_TO_SEND = 0.97;
/** The AIMD is updated at most this often (and at once on overuse). */
const UPDATE_INTERVAL_MS = 100;
/** SSRCs listed in one REMB at most. */
const MAX_SSRCS = 8;
/** 24-bit abs-send-time units per ms (2^18 per second). */
const UNITS_PER_MS = 262.144;

export interface ReceiveSideEstimatorOptions {
  minBitrate?: number;
  maxBitrate?: number;
}

export class ReceiveSideEstimator {
  private readonly interArrival = new InterArrival();
  private readonly detector = new TrendlineDetector();
  private readonly rate: AimdRateControl;
  private readonly incoming = new AckedBitrate();
  private lastAbs: number | undefined;
  private sendTimeMs = 0;
  private lastUpdateAt: number | undefined;
  private lastRemb: { at: number; bitrate: number } | undefined;
  private readonly ssrcs: number[] = [];
  /** REMBs handed out (for stats). */
  rembsSent = 0;

  constructor(options: ReceiveSideEstimatorOptions = {}) {
    this.rate = new AimdRateControl(300_000, options.minBitrate ?? 30_000, options.maxBitrate ?? 20_000_000);
  }

  /** The estimate (bits/s) once measured, else undefined. */
  get estimate(): number | undefined {
    return this.rate.valid ? this.rate.estimate : undefined;
  }

  /** One received media packet: its abs-send-time (24 bits), wire size and SSRC. */
  onPacket(now: number, absSendTime: number, size: number, ssrc: number): void {
    if (!this.ssrcs.includes(ssrc)) {
      if (this.ssrcs.length >= MAX_SSRCS) this.ssrcs.shift();
      this.ssrcs.push(ssrc);
    }
    const value = absSendTime & 0xffffff;
    if (this.lastAbs !== undefined) {
      const delta = ((value - this.lastAbs) << 8) >> 8; // signed 24-bit difference
      this.sendTimeMs += delta / UNITS_PER_MS;
    }
    this.lastAbs = value;
    this.incoming.add(now, size);
    const d = this.interArrival.add(this.sendTimeMs, now, size, now);
    const before = this.detector.state;
    if (d) this.detector.update(d.arrivalDelta, d.sendDelta, now);
    const overuse = this.detector.state === 'overusing' && before !== 'overusing';
    if (overuse || this.lastUpdateAt === undefined || now - this.lastUpdateAt >= UPDATE_INTERVAL_MS) {
      this.lastUpdateAt = now;
      this.rate.update(this.detector.state, this.incoming.bitrate, now, this.incoming.recentSample);
    }
  }

  /** When a REMB is due, or undefined when there is nothing to say yet. */
  pollTimeout(): number | undefined {
    const estimate = this.estimate;
    if (estimate === undefined) return undefined;
    const last = this.lastRemb;
    if (!last) return this.lastUpdateAt ?? 0;
    if (estimate < DECREASE_TO_SEND * last.bitrate) return last.at + REMB_MIN_INTERVAL_MS;
    return last.at + REMB_INTERVAL_MS;
  }

  /** The REMB to send now (bitrate and the SSRCs it concerns), if one is due. */
  takeRemb(now: number): { bitrate: number; ssrcs: number[] } | undefined {
    const due = this.pollTimeout();
    const estimate = this.estimate;
    if (due === undefined || due > now || estimate === undefined) return undefined;
    this.lastRemb = { at: now, bitrate: estimate };
    this.rembsSent++;
    return { bitrate: Math.round(estimate), ssrcs: [...this.ssrcs] };
  }
}
