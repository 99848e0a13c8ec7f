/**
 * Bandwidth-estimation scenarios in virtual time: media flows (two MediaSessions each, a synthetic encoder
 * that produces frames at whatever target it is given) over a shared bottleneck link (test/sim/
 * bottleneck.ts), deterministic from a seed, with the figures the tests assert: the estimate over time, the
 * throughput and queueing delay on the link, frames delivered and their end-to-end delay.
 */
import type { TransportAddress } from '../../../src/common/engine.js';
import { SeededRandom } from '../../../src/common/random.js';
import { MediaSession } from '../../../src/rtp/media-session.js';
import type { MediaSessionEvent, MediaSessionOptions } from '../../../src/rtp/media-session-types.js';
import type { BandwidthOptions } from '../../../src/rtp/session-bandwidth.js';
import { BottleneckLink, type BottleneckOptions } from '../../sim/bottleneck.js';
import { type Datagram, SimNetwork, type SimParticipant } from '../../sim/network.js';
import { codec, configs, EXT, keyPair, opusFrame, vp8Frame } from '../session/harness.js';

/** A MediaSession on the network that hands its events to a callback (nothing is stored). */
export class FlowPeer implements SimParticipant {
  onEvent: (now: number, e: MediaSessionEvent) => void = () => {};
  private readonly actions: { at: number; every: number; run: (now: number) => void }[] = [];

  constructor(
    readonly session: MediaSession,
    readonly address: TransportAddress,
    readonly remote: TransportAddress,
  ) {}

  get addresses(): readonly TransportAddress[] {
    return [this.address];
  }

  every(start: number, every: number, run: (now: number) => void): void {
    this.actions.push({ at: start, every, run });
  }

  deliver(now: number, d: Datagram): void {
    this.session.handleDatagram(now, d.data);
    this.collect(now);
  }

  drain(): Datagram[] {
    const out: Datagram[] = [];
    for (let d = this.session.pollTransmit(); d; d = this.session.pollTransmit())
      out.push({ source: this.address, destination: this.remote, data: d });
    return out;
  }

  pollTimeout(): number | undefined {
    let t = this.session.pollTimeout();
    for (const a of this.actions) if (t === undefined || a.at < t) t = a.at;
    return t;
  }

  handleTimeout(now: number): void {
    for (const a of this.actions) {
      if (a.at > now) continue;
      a.run(now);
      a.at += a.every;
    }
    this.session.handleTimeout(now);
    this.collect(now);
  }

  private collect(now: number): void {
    for (let e = this.session.pollEvent(); e; e = this.session.pollEvent()) this.onEvent(now, e);
  }
}

export interface FlowOptions {
  /** 'twcc': transport-cc negotiated (our estimator); 'remb': goog-remb only (the receiver estimates). */
  feedback?: 'twcc' | 'remb';
  /** The application never sends more than this (bits/s). */
  appLimitBps?: number;
  /** When the encoder starts (ms). */
  start?: number;
  fps?: number;
  keyframeIntervalMs?: number;
  bandwidth?: BandwidthOptions;
  sender?: Partial<MediaSessionOptions>;
  receiver?: Partial<MediaSessionOptions>;
  /** Add an Opus audio section (20 ms frames of 80 bytes). */
  audio?: boolean;
}

/** One media flow: a sender with a synthetic encoder, a receiver, and what was measured. */
export class Flow {
  readonly sender: FlowPeer;
  readonly receiver: FlowPeer;
  /** The sender's estimate (availableOutgoingBitrate), sampled every 100 ms. */
  readonly estimates: { at: number; bps: number }[] = [];
  /** What the encoder was told to produce. */
  target = 300_000;
  appLimitBps: number;
  framesEncoded = 0;
  framesSkipped = 0;
  framesRefused = 0;
  framesReceived = 0;
  /** End-to-end delay of each received video frame: arrival − capture. */
  readonly frameDelays: { at: number; ms: number }[] = [];
  private pressure = false;
  private readonly captureAt = new Map<number, number>();

  constructor(
    readonly net: SimNetwork,
    readonly index: number,
    seed: number,
    options: FlowOptions = {},
  ) {
    const feedback = options.feedback ?? 'twcc';
    const video = codec(
      'vp8',
      96,
      { nack: true, pli: true, transportCc: feedback === 'twcc', remb: feedback === 'remb' },
      97,
    );
    const extensions = feedback === 'twcc' ? EXT : { ...EXT, transportWideCc: undefined };
    const sections = [
      {
        mid: 'v',
        kind: 'video' as const,
        codecs: [video],
        a: [{ ssrc: 1000 + index, rtxSsrc: 2000 + index }],
        extensions,
      },
    ];
    if (options.audio)
      sections.unshift({
        mid: 'a',
        kind: 'audio' as const,
        codecs: [codec('opus', 111, { transportCc: feedback === 'twcc' })],
        a: [{ ssrc: 3000 + index }],
        extensions: { ...extensions, rid: undefined, repairedRid: undefined },
      } as never);
    const c = configs(sections);
    const keys = keyPair(1, seed + index);
    const addressA = { address: `10.0.${index}.1`, port: 5000 };
    const addressB = { address: `10.0.${index}.2`, port: 5000 };
    const a = new MediaSession({
      wallClockAtZero: 1_700_000_000_000,
      random: new SeededRandom(seed * 31 + index * 2 + 1),
      config: c.a,
      keys: keys.a,
      bandwidth: options.bandwidth,
      ...options.sender,
    });
    const b = new MediaSession({
      wallClockAtZero: 1_700_000_000_000,
      random: new SeededRandom(seed * 31 + index * 2 + 2),
      config: c.b,
      keys: keys.b,
      ...options.receiver,
    });
    this.sender = net.add(new FlowPeer(a, addressA, addressB));
    this.receiver = net.add(new FlowPeer(b, addressB, addressA));
    this.appLimitBps = options.appLimitBps ?? Number.POSITIVE_INFINITY;
    const start = options.start ?? 0;
    const fps = options.fps ?? 30;
    const keyEvery = Math.round(((options.keyframeIntervalMs ?? 10_000) * fps) / 1000);
    this.sender.onEvent = (_now, e) => {
      if (e.type === 'target-bitrate' && e.mid === 'v') this.target = e.bitrate;
      if (e.type === 'send-pressure') this.pressure = e.active;
      if (e.type === 'keyframe-request') keyframeWanted = true; // as an encoder answers PLI
    };
    this.receiver.onEvent = (now, e) => {
      if (e.type !== 'frame' || e.mid !== 'v') return;
      this.framesReceived++;
      const index = (e.frame.data[1]! << 8) | e.frame.data[2]!;
      const captured = this.captureAt.get(index);
      if (captured !== undefined) {
        this.frameDelays.push({ at: now, ms: now - captured });
        this.captureAt.delete(index);
      }
    };
    let slot = 0;
    let debt = 0;
    let keyframeWanted = false;
    this.sender.every(start, 1000 / fps, (now) => {
      const i = slot++ & 0xffff;
      // as an encoder's frame dropper: no frame while the pacer says its queue is too long
      if (this.pressure) {
        this.framesSkipped++;
        return;
      }
      const bps = Math.min(this.target, this.appLimitBps);
      const keyframe = i % keyEvery === 0 || keyframeWanted;
      keyframeWanted = false;
      // as an encoder's rate control: a keyframe of 3 frames' worth, the excess paid back by the frames
      // after it (at most a third of each), so the average stays at the target
      const frameBytes = bps / fps / 8;
      let size = keyframe ? 3 * frameBytes : frameBytes;
      if (keyframe) debt += 2 * frameBytes;
      else {
        const pay = Math.min(debt, frameBytes / 3);
        debt -= pay;
        size -= pay;
      }
      size = Math.max(100, Math.round(size));
      if (a.writeFrame(now, 'v', undefined, vp8Frame(i, size, keyframe))) {
        this.framesEncoded++;
        this.captureAt.set(i, now);
        if (this.captureAt.size > 4096) this.captureAt.delete(this.captureAt.keys().next().value!);
      } else this.framesRefused++;
    });
    if (options.audio) {
      let n = 0;
      this.sender.every(start, 20, (now) => a.writeFrame(now, 'a', undefined, opusFrame(n++, 80)));
    }
    this.sender.every(start, 100, (now) => {
      const bw = a.getStats(now).bandwidth;
      if (bw) this.estimates.push({ at: now, bps: bw.availableOutgoingBitrate });
    });
  }

  get sourceAddress(): string {
    return this.sender.address.address;
  }

  /** Estimates sampled in [from, to). */
  estimatesIn(from: number, to: number): number[] {
    return this.estimates.filter((e) => e.at >= from && e.at < to).map((e) => e.bps);
  }

  /** The first time from which every later sample (until `until`) is within ±`tolerance` of `value`. */
  convergedAt(value: number, tolerance: number, until: number): number | undefined {
    let since: number | undefined;
    for (const e of this.estimates) {
      if (e.at >= until) break;
      if (Math.abs(e.bps - value) <= tolerance * value) since ??= e.at;
      else since = undefined;
    }
    return since;
  }
}

/** A network with one bottleneck that every flow's sender → receiver direction crosses. */
export function bottleneckNetwork(
  link: Omit<BottleneckOptions, 'claims'>,
  options: { seed?: number; rttMs?: number } = {},
): { net: SimNetwork; link: BottleneckLink } {
  const net = new SimNetwork({ seed: options.seed ?? 1, conditions: { delay: (options.rttMs ?? 40) / 2 } });
  const bottleneck = net.addPathElement(
    new BottleneckLink({
      ...link,
      seed: options.seed,
      // senders are 10.0.i.1
      claims: (d) => d.source.address.endsWith('.1'),
    }),
  );
  return { net, link: bottleneck };
}

export function mean(values: readonly number[]): number {
  return values.reduce((n, v) => n + v, 0) / Math.max(1, values.length);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * Added to every scenario's seed: `BWE_SEED=n npm test -- test/rtp/bwe` replays the scenarios on other
 * random draws (the figures in docs/bwe.md are from seeds 0–5).
 */
export const SEED = Number(process.env.BWE_SEED ?? 0);

/** Print a scenario's figures when BWE_TRACE is set (for docs/bwe.md and tuning). */
export function trace(label: string, figures: Record<string, unknown>): void {
  if (process.env.BWE_TRACE) console.log(JSON.stringify({ scenario: label, ...figures }));
}
