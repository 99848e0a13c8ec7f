/**
 * Two MediaSessions over the simulated network, in virtual time and deterministic from a seed: matching
 * configurations and SRTP keys, synthetic frames with known content, scheduled application actions, and a
 * wiretap that decrypts what one side sends (with a copy of the keys) to look at the wire.
 */
import type { TransportAddress } from '../../../src/common/engine.js';
import { type RandomSource, SeededRandom } from '../../../src/common/random.js';
import {
  SRTP_PROFILES,
  type SrtpKeyingMaterial,
  splitSrtpKeyingMaterial,
  srtpKeyingMaterialLength,
} from '../../../src/dtls/srtp-profiles.js';
import { type CodecName, EncodedFrame } from '../../../src/media/encoded-frame.js';
import { Fraction } from '../../../src/media/time-base.js';
import { MediaSession } from '../../../src/rtp/media-session.js';
import type { MediaSessionEvent, MediaSessionOptions } from '../../../src/rtp/media-session-types.js';
import { isRtcp, RtpPacket } from '../../../src/rtp/packet.js';
import { parseRtcp, type RtcpPacket, serializeRtcp } from '../../../src/rtp/rtcp/index.js';
import {
  type MediaCodecConfig,
  type MediaSectionConfig,
  type MediaSessionConfig,
  NO_FEEDBACK,
  type RtcpFeedbackConfig,
} from '../../../src/rtp/session-config.js';
import { SrtpSession } from '../../../src/srtp/session.js';
import { type Datagram, type LinkConditions, SimNetwork, type SimParticipant } from '../../sim/network.js';

/** Unix time of now = 0 for side A and B (different on purpose: each side has its own wall clock). */
export const WALL_A = 1_700_000_000_000;
export const WALL_B = 1_700_000_123_456;

export const EXT = { audioLevel: 1, absSendTime: 2, transportWideCc: 3, mid: 4, rid: 10, repairedRid: 11 };

export const ALL_FEEDBACK: RtcpFeedbackConfig = {
  nack: true,
  pli: true,
  fir: true,
  remb: true,
  transportCc: true,
};

export function codec(
  name: CodecName,
  payloadType: number,
  feedback: Partial<RtcpFeedbackConfig> = {},
  rtxPayloadType?: number,
): MediaCodecConfig {
  const clockRate =
    name === 'opus' ? 48000 : name === 'pcmu' || name === 'pcma' || name === 'g722' ? 8000 : 90000;
  const c: MediaCodecConfig = {
    payloadType,
    codec: name,
    name: name.toUpperCase(),
    clockRate,
    parameters: {},
    feedback: { ...NO_FEEDBACK, ...feedback },
  };
  if (name === 'opus') c.channels = 2;
  if (rtxPayloadType !== undefined) c.rtxPayloadType = rtxPayloadType;
  return c;
}

export interface StreamSpec {
  ssrc: number;
  rtxSsrc?: number;
  rid?: string;
}

/** One section as both sides see it: A sends `a` streams to B, B sends `b` streams to A. */
export interface SectionSpec {
  mid: string;
  kind: 'audio' | 'video';
  codecs: MediaCodecConfig[];
  a?: StreamSpec[];
  b?: StreamSpec[];
  /** Announce the SSRCs in the configuration (a=ssrc); otherwise the receiver learns them (MID/RID). */
  signalled?: boolean;
  reducedSize?: boolean;
  extensions?: Partial<typeof EXT>;
}

function sideConfig(spec: SectionSpec, side: 'a' | 'b'): MediaSectionConfig {
  const mine = (side === 'a' ? spec.a : spec.b) ?? [];
  const theirs = (side === 'a' ? spec.b : spec.a) ?? [];
  const send = mine.length > 0;
  const recv = theirs.length > 0;
  return {
    mid: spec.mid,
    kind: spec.kind,
    direction: send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive',
    sendCodecs: spec.codecs,
    receiveCodecs: spec.codecs,
    extensions:
      spec.extensions ?? (spec.kind === 'audio' ? { ...EXT, rid: undefined, repairedRid: undefined } : EXT),
    rtcpReducedSize: spec.reducedSize ?? true,
    sendEncodings: mine.map((s) => ({ ...s })),
    receiveSsrcs:
      spec.signalled === false
        ? []
        : theirs.filter((s) => !s.rid).map((s) => ({ ssrc: s.ssrc, rtxSsrc: s.rtxSsrc })),
    receiveRids: theirs.flatMap((s) => (s.rid ? [s.rid] : [])),
  };
}

export function configs(sections: SectionSpec[]): { a: MediaSessionConfig; b: MediaSessionConfig } {
  return {
    a: { media: sections.map((s) => sideConfig(s, 'a')) },
    b: { media: sections.map((s) => sideConfig(s, 'b')) },
  };
}

/** Keying material as the two ends of one DTLS handshake export it (A is the client). */
export function keyPair(profileId = 1, seed = 7): { a: SrtpKeyingMaterial; b: SrtpKeyingMaterial } {
  const profile = SRTP_PROFILES.find((p) => p.id === profileId)!;
  const material = new SeededRandom(seed).fill(new Uint8Array(srtpKeyingMaterialLength(profile)));
  return {
    a: splitSrtpKeyingMaterial(profile, material, true),
    b: splitSrtpKeyingMaterial(profile, material, false),
  };
}

/**
 * A synthetic VP8 frame: the frame tag's P bit (byte 0, bit 0) is 0 for keyframes; bytes 1–2 hold the
 * index (frameIndex reads it back); the rest is a pattern from the index.
 */
export function vp8Frame(index: number, size = 3000, keyframe = index === 0): EncodedFrame {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + index * 13) & 0xff;
  data[0] = keyframe ? 0x10 : 0x11;
  data[1] = (index >> 8) & 0xff;
  data[2] = index & 0xff;
  return new EncodedFrame('vp8', data, index * 3000, new Fraction(1, 90000), keyframe);
}

/** The index a vp8Frame was made from. */
export function frameIndex(data: Uint8Array): number {
  return (data[1]! << 8) | data[2]!;
}

/** Byte equality without printing megabytes of hex on failure. */
export function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.byteLength !== expected.byteLength)
    throw new Error(`${what}: ${actual.byteLength} bytes, expected ${expected.byteLength}`);
  for (let i = 0; i < actual.byteLength; i++)
    if (actual[i] !== expected[i]) throw new Error(`${what}: differs at byte ${i}`);
}

/** A synthetic 20 ms Opus frame. */
export function opusFrame(index: number, size = 120): EncodedFrame {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i + index * 31) & 0xff;
  return new EncodedFrame('opus', data, index * 960, new Fraction(1, 48000), true);
}

interface Action {
  at: number;
  every: number | undefined;
  run: (now: number) => void;
}

/** A MediaSession on the simulated network, with scheduled application actions and collected events. */
export class SessionPeer implements SimParticipant {
  readonly events: MediaSessionEvent[] = [];
  readonly sent: Uint8Array[] = [];
  private actions: Action[] = [];

  constructor(
    readonly session: MediaSession,
    readonly address: TransportAddress,
    public remote: TransportAddress,
  ) {}

  get addresses(): readonly TransportAddress[] {
    return [this.address];
  }

  /** Run `run(now)` at `at`, then every `every` ms if given. */
  schedule(at: number, run: (now: number) => void, every?: number): void {
    this.actions.push({ at, every, run });
  }

  deliver(now: number, d: Datagram): void {
    this.session.handleDatagram(now, d.data);
    this.collect();
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
    for (const a of [...this.actions]) {
      if (a.at > now) continue;
      a.run(now);
      if (a.every === undefined) this.actions.splice(this.actions.indexOf(a), 1);
      else a.at += a.every;
    }
    this.session.handleTimeout(now);
    this.collect();
  }

  collect(): void {
    for (let e = this.session.pollEvent(); e; e = this.session.pollEvent()) this.events.push(e);
  }

  stopActions(): void {
    this.actions = [];
  }

  of<T extends MediaSessionEvent['type']>(type: T): Extract<MediaSessionEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<MediaSessionEvent, { type: T }> => e.type === type);
  }
}

export interface Pair {
  net: SimNetwork;
  a: SessionPeer;
  b: SessionPeer;
  keys: { a: SrtpKeyingMaterial; b: SrtpKeyingMaterial };
}

const ADDRESS_A = { address: '10.0.0.1', port: 5000 };
const ADDRESS_B = { address: '10.0.0.2', port: 5000 };

/** Two keyed, configured sessions on one simulated link. */
export function pair(
  sections: SectionSpec[],
  options: {
    seed?: number;
    conditions?: Partial<LinkConditions>;
    profileId?: number;
    a?: Partial<MediaSessionOptions>;
    b?: Partial<MediaSessionOptions>;
    randomA?: RandomSource;
    randomB?: RandomSource;
  } = {},
): Pair {
  const seed = options.seed ?? 1;
  const net = new SimNetwork({ seed, conditions: { delay: 10, ...options.conditions } });
  const keys = keyPair(options.profileId ?? 1, seed);
  const c = configs(sections);
  const a = new MediaSession({
    wallClockAtZero: WALL_A,
    random: options.randomA ?? new SeededRandom(seed * 2 + 1),
    config: c.a,
    keys: keys.a,
    cname: 'peer-a',
    ...options.a,
  });
  const b = new MediaSession({
    wallClockAtZero: WALL_B,
    random: options.randomB ?? new SeededRandom(seed * 2 + 2),
    config: c.b,
    keys: keys.b,
    cname: 'peer-b',
    ...options.b,
  });
  return {
    net,
    a: net.add(new SessionPeer(a, ADDRESS_A, ADDRESS_B)),
    b: net.add(new SessionPeer(b, ADDRESS_B, ADDRESS_A)),
    keys,
  };
}

/** Decrypts copies of what one side sends, with a copy of the receiver's keys. */
export class Wiretap {
  readonly rtp: RtpPacket[] = [];
  readonly rtcp: { at: number; packets: RtcpPacket[]; bytes: Uint8Array }[] = [];
  private readonly srtp: SrtpSession;

  constructor(receiverKeys: SrtpKeyingMaterial) {
    this.srtp = SrtpSession.fromDtls(receiverKeys);
  }

  see(data: Uint8Array, now: number): void {
    const copy = data.slice();
    if (isRtcp(copy)) {
      const plain = this.srtp.unprotectRtcp(copy);
      if (plain) this.rtcp.push({ at: now, packets: parseRtcp(plain), bytes: plain.slice() });
    } else {
      const plain = this.srtp.unprotectRtp(copy);
      if (plain) this.rtp.push(RtpPacket.parse(plain.slice()));
    }
  }

  rtcpOf<T extends RtcpPacket['type']>(type: T): Extract<RtcpPacket, { type: T }>[] {
    return this.rtcp.flatMap((d) =>
      d.packets.filter((p): p is Extract<RtcpPacket, { type: T }> => p.type === type),
    );
  }
}

/** Tap what `from` sends into a Wiretap (decrypting with `to`'s keys); `drop` may drop datagrams. */
export function tap(p: Pair, from: 'a' | 'b', drop?: (data: Uint8Array, now: number) => boolean): Wiretap {
  const w = new Wiretap(from === 'a' ? p.keys.b : p.keys.a);
  const source = (from === 'a' ? p.a : p.b).address;
  const previous = p.net.tap;
  p.net.tap = (d, now) => {
    if (previous && !previous(d, now)) return false;
    if (d.source.address !== source.address) return true;
    w.see(d.data, now);
    return !drop?.(d.data, now);
  };
  return w;
}

/** Protect RTCP as `from` would (with its keys) and hand it to `to`'s session: a peer's crafted packets. */
export function injector(keys: SrtpKeyingMaterial): {
  rtcp(packets: RtcpPacket[]): Uint8Array;
  rtcpBytes(plain: Uint8Array): Uint8Array;
  rtp(packet: RtpPacket | Uint8Array): Uint8Array;
} {
  const srtp = SrtpSession.fromDtls(keys);
  return {
    rtcp: (packets) => srtp.protectRtcp(serializeRtcp(packets)),
    rtcpBytes: (plain) => srtp.protectRtcp(plain),
    rtp: (packet) => srtp.protectRtp(packet instanceof RtpPacket ? packet.serialize() : packet),
  };
}

/**
 * Synthetic video at one frame per `every` ms from `peer` on `mid`, a keyframe first and after every
 * keyframe request (as an encoder answers them). Returns the indices sent as keyframes.
 */
export function videoSource(
  peer: SessionPeer,
  mid: string,
  options: { size?: number; every?: number; frames?: number; start?: number; rid?: string } = {},
): Set<number> {
  const keyframes = new Set<number>([0]);
  let i = 0;
  let answered = 0;
  peer.schedule(
    options.start ?? 0,
    (now) => {
      const requests = peer.of('keyframe-request').filter((r) => r.mid === mid).length;
      if (requests > answered) keyframes.add(i);
      answered = requests;
      if (i < (options.frames ?? Number.POSITIVE_INFINITY))
        peer.session.writeFrame(now, mid, options.rid, vp8Frame(i, options.size ?? 1000, keyframes.has(i)));
      i++;
    },
    options.every ?? 33,
  );
  return keyframes;
}
