/**
 * A sans-I/O jitter buffer for one RTP stream: reorders packets, assembles frames with the codec's depayloader,
 * and tells the receiver what to ask the sender for: NACKs for missing packets (video) and a PLI when the
 * decoder needs a keyframe (after a loss it gave up on, an overflow or a reset). Memory is bounded by
 * `capacity` packets; a sequence jump larger than `maxMisorder` resets the buffer.
 *
 *   jb.push(now, packet); while ((e = jb.pollEvent())) …; wake at jb.pollTimeout() → jb.handleTimeout(now)
 */
import { type CodecName, EncodedFrame } from '../media/encoded-frame.js';
import { Fraction } from '../media/time-base.js';
import type { Depayloader, PayloadInfo, RtpPacketLike } from './payload/types.js';

export interface JitterBufferOptions {
  kind: 'audio' | 'video';
  codec: CodecName;
  depayloader: Depayloader;
  clockRate: number;
  /** Most packets held (default: audio 64, video 512). */
  capacity?: number;
  /**
   * A forward sequence jump larger than this, or three packets in a row further behind, reset the buffer
   * (default: audio 100 as aiortc; video 500, since one keyframe can span more than 100 packets).
   */
  maxMisorder?: number;
  /** How long a gap may hold up playout before the buffer skips it (default: audio 60 ms, video 250 ms). */
  maxWaitMs?: number;
  /** Audio: skip a gap once this many later packets wait behind it (default 4, about 80 ms, as aiortc). */
  skipAfterPackets?: number;
  /** Send NACKs for missing packets (default: video only, as aiortc). */
  nack?: boolean;
  /** Re-send a NACK for a still-missing packet after this long (default 50 ms; set it near the RTT). */
  nackRetryMs?: number;
  /** Give up on a missing packet after this many NACKs (default 3). */
  maxNackRetries?: number;
  /** Repeat a PLI at most this often while a keyframe is awaited (default 300 ms). */
  pliIntervalMs?: number;
}

export type JitterBufferEvent =
  | {
      type: 'frame';
      frame: EncodedFrame;
      firstSequenceNumber: number;
      lastSequenceNumber: number;
      /** The frame's RTP timestamp (the pts counts from the first frame; this is the wire value). */
      timestamp: number;
    }
  | { type: 'nack'; sequenceNumbers: number[] }
  | { type: 'pli' };

export interface JitterBufferStats {
  packetsReceived: number;
  packetsDuplicated: number;
  packetsLate: number;
  packetsMalformed: number;
  /** Packets thrown away unplayed: overflow, skipped incomplete frames, frames awaiting a keyframe. */
  packetsDiscarded: number;
  /** Sequence numbers never received by the time playout moved past them. */
  packetsLost: number;
  framesEmitted: number;
  framesDropped: number;
  nackPacketsRequested: number;
  pliRequested: number;
  resets: number;
  overflows: number;
}

interface Slot {
  packet: RtpPacketLike;
  info: PayloadInfo;
}

interface Missing {
  sentAt: number | undefined;
  retries: number;
}

/** Packets in a row far behind playout that mean the sender restarted its sequence numbers. */
const RESTART_RUN = 3;
/** Events waiting to be polled; beyond this the oldest are dropped (a caller that never polls). */
const MAX_QUEUED_EVENTS = 1024;

export class JitterBuffer {
  readonly stats: JitterBufferStats = {
    packetsReceived: 0,
    packetsDuplicated: 0,
    packetsLate: 0,
    packetsMalformed: 0,
    packetsDiscarded: 0,
    packetsLost: 0,
    framesEmitted: 0,
    framesDropped: 0,
    nackPacketsRequested: 0,
    pliRequested: 0,
    resets: 0,
    overflows: 0,
  };
  private readonly kind: 'audio' | 'video';
  private readonly codec: CodecName;
  private readonly depayloader: Depayloader;
  private readonly timeBase: Fraction;
  private readonly capacity: number;
  private readonly maxMisorder: number;
  private readonly maxWaitMs: number;
  private readonly skipAfterPackets: number;
  private readonly nackEnabled: boolean;
  private readonly nackRetryMs: number;
  private readonly maxNackRetries: number;
  private readonly pliIntervalMs: number;

  private readonly slots = new Map<number, Slot>();
  private readonly missing = new Map<number, Missing>();
  private readonly events: JitterBufferEvent[] = [];
  /** Extended (unwrapped) sequence number of the next packet to play out, and the highest seen. */
  private nextSeq: number | undefined;
  private highestSeq = 0;
  private blockedSince: number | undefined;
  /** Consecutive packets far behind playout (a restarted sender, once there are several). */
  private farBehindRun = 0;
  /** Playout has moved past the first packet (until then, reordered early packets move the start back). */
  private playing = false;
  /** Video: delta frames are dropped until a keyframe arrives (also true before the first keyframe). */
  private keyframeNeeded: boolean;
  /** Something actually went wrong (loss, overflow, reset, decoder error): PLIs repeat until a keyframe. */
  private pliWanted = false;
  private lastPliAt: number | undefined;
  /** RTP timestamp unwrapping: pts counts from the first packet's timestamp. */
  private lastTimestamp: number | undefined;
  private timestampBase = 0;
  private timestampCycles = 0;

  constructor(options: JitterBufferOptions) {
    const video = options.kind === 'video';
    this.kind = options.kind;
    this.codec = options.codec;
    this.depayloader = options.depayloader;
    this.timeBase = new Fraction(1, options.clockRate);
    this.capacity = options.capacity ?? (video ? 512 : 64);
    this.maxMisorder = options.maxMisorder ?? (video ? 500 : 100);
    this.maxWaitMs = options.maxWaitMs ?? (video ? 250 : 60);
    this.skipAfterPackets = options.skipAfterPackets ?? (video ? Number.POSITIVE_INFINITY : 4);
    this.nackEnabled = options.nack ?? video;
    this.nackRetryMs = options.nackRetryMs ?? 50;
    this.maxNackRetries = options.maxNackRetries ?? 3;
    this.pliIntervalMs = options.pliIntervalMs ?? 300;
    this.keyframeNeeded = video;
  }

  /** Packets currently held. */
  get size(): number {
    return this.slots.size;
  }

  push(now: number, packet: RtpPacketLike): void {
    this.stats.packetsReceived++;
    const info = this.depayloader.inspect(packet.payload);
    if (!info) {
      this.stats.packetsMalformed++;
      return;
    }
    if (this.nextSeq === undefined) {
      this.start(packet.sequenceNumber);
    }
    const seq = this.extend(packet.sequenceNumber);
    // Far behind: one such packet is a very late retransmission (dropped); a run of them is a restarted stream.
    const farBehind = this.nextSeq! - seq > this.maxMisorder;
    this.farBehindRun = farBehind ? this.farBehindRun + 1 : 0;
    if (farBehind && this.farBehindRun < RESTART_RUN) {
      this.stats.packetsLate++;
      return;
    }
    if (seq - this.highestSeq > this.maxMisorder || farBehind) {
      this.farBehindRun = 0;
      this.reset(now, packet.sequenceNumber);
      this.storeAndPlay(now, this.nextSeq!, packet, info);
      return;
    }
    if (seq < this.nextSeq! && !this.playing) {
      // Nothing played yet: an earlier packet that arrived after a later one moves the start back.
      if (this.nackEnabled)
        for (let s = seq + 1; s < this.nextSeq!; s++) this.missing.set(s, { sentAt: undefined, retries: 0 });
      this.nextSeq = seq;
    }
    if (seq < this.nextSeq!) {
      this.stats.packetsLate++;
      return;
    }
    if (this.slots.has(seq)) {
      this.stats.packetsDuplicated++;
      return;
    }
    this.storeAndPlay(now, seq, packet, info);
  }

  pollEvent(): JitterBufferEvent | undefined {
    return this.events.shift();
  }

  /** When `handleTimeout` should next run, or undefined when nothing is pending. */
  pollTimeout(): number | undefined {
    let t: number | undefined;
    const consider = (v: number): void => {
      t = t === undefined ? v : Math.min(t, v);
    };
    if (this.blockedSince !== undefined) consider(this.blockedSince + this.maxWaitMs);
    for (const m of this.missing.values()) {
      if (m.sentAt !== undefined && m.retries < this.maxNackRetries) consider(m.sentAt + this.nackRetryMs);
    }
    if (this.pliWanted && this.lastPliAt !== undefined) consider(this.lastPliAt + this.pliIntervalMs);
    return t;
  }

  handleTimeout(now: number): void {
    // deadlines compare as pollTimeout computes them (a + b <= now): with fractional times, now - a >= b
    // can be false at the very time pollTimeout gave, and the caller would wake again at once, forever
    if (this.blockedSince !== undefined && this.blockedSince + this.maxWaitMs <= now) this.skipGap();
    this.play(now);
    this.service(now);
  }

  /** Ask for a keyframe (the decoder failed): PLIs follow until a keyframe has been emitted. */
  requestKeyframe(now: number): void {
    if (this.kind !== 'video') return;
    this.wantKeyframe();
    this.service(now);
  }

  private start(sequenceNumber: number): void {
    this.nextSeq = sequenceNumber;
    this.highestSeq = sequenceNumber;
  }

  /** Unwrap a 16-bit sequence number to the one nearest the highest seen. */
  private extend(sequenceNumber: number): number {
    const delta = ((sequenceNumber - this.highestSeq) << 16) >> 16; // signed 16-bit difference
    return this.highestSeq + delta;
  }

  private reset(now: number, sequenceNumber: number): void {
    this.stats.resets++;
    this.stats.packetsDiscarded += this.slots.size;
    this.slots.clear();
    this.missing.clear();
    this.blockedSince = undefined;
    this.playing = false;
    // Keep sequence numbers increasing across resets so stored state never aliases.
    const base = this.highestSeq + 0x10000 - (this.highestSeq & 0xffff);
    this.start(base + sequenceNumber);
    this.wantKeyframe();
    this.service(now);
  }

  private storeAndPlay(now: number, seq: number, packet: RtpPacketLike, info: PayloadInfo): void {
    this.slots.set(seq, { packet, info });
    this.missing.delete(seq);
    if (seq > this.highestSeq) {
      if (this.nackEnabled)
        for (let s = this.highestSeq + 1; s < seq; s++)
          this.missing.set(s, { sentAt: undefined, retries: 0 });
      this.highestSeq = seq;
    }
    while (this.slots.size > this.capacity) this.overflow();
    this.play(now);
    if (
      this.kind === 'audio' &&
      this.blockedSince !== undefined &&
      this.slots.size >= this.skipAfterPackets
    ) {
      this.skipGap();
      this.play(now);
    }
    this.service(now);
  }

  /** Emit every complete frame at the head of the buffer. */
  private play(now: number): void {
    for (;;) {
      const frame = this.headFrame();
      if (!frame) {
        if (this.slots.size > 0) this.blockedSince ??= now;
        else this.blockedSince = undefined;
        return;
      }
      this.blockedSince = undefined;
      this.emitFrame(frame);
    }
  }

  /** The packets of the head frame if it is complete, else undefined. */
  private headFrame(): Slot[] | undefined {
    const first = this.slots.get(this.nextSeq!);
    if (!first) return undefined;
    if (this.kind === 'audio') return [first];
    // Before playout starts, earlier packets may still arrive (reordering): a headless frame or a delta frame
    // (undecodable before the first keyframe) waits for them, up to maxWaitMs.
    if (!this.playing && (!first.info.frameStart || (this.keyframeNeeded && !first.info.keyframe)))
      return undefined;
    const frame: Slot[] = [first];
    for (let s = this.nextSeq! + 1; ; s++) {
      const last = frame[frame.length - 1]!;
      if (last.packet.marker) return frame;
      const next = this.slots.get(s);
      if (!next) return undefined;
      if (next.packet.timestamp !== first.packet.timestamp) return frame; // marker lost, timestamp moved on
      frame.push(next);
    }
  }

  private emitFrame(slots: Slot[]): void {
    const firstSeq = this.nextSeq!;
    const lastSeq = firstSeq + slots.length - 1;
    this.playing = true;
    for (let s = firstSeq; s <= lastSeq; s++) this.slots.delete(s);
    this.nextSeq = lastSeq + 1;
    for (const seq of this.missing.keys()) if (seq < this.nextSeq) this.missing.delete(seq);
    const keyframe = slots.some((s) => s.info.keyframe);
    const starts = slots[0]!.info.frameStart;
    const data =
      starts && (keyframe || !this.keyframeNeeded)
        ? this.depayloader.depacketize(slots.map((s) => s.packet))
        : null;
    if (!data) {
      // Headless (its first packet was lost or skipped), undecodable without a keyframe, or malformed.
      this.stats.framesDropped++;
      this.stats.packetsDiscarded += slots.length;
      if (starts && (keyframe || !this.keyframeNeeded)) this.stats.packetsMalformed += slots.length;
      this.wantKeyframe();
      return;
    }
    if (keyframe) {
      this.keyframeNeeded = false;
      this.pliWanted = false;
    }
    this.stats.framesEmitted++;
    const pts = this.ptsOf(slots[0]!.packet.timestamp);
    this.queue({
      type: 'frame',
      frame: new EncodedFrame(this.codec, data, pts, this.timeBase, keyframe),
      firstSequenceNumber: firstSeq & 0xffff,
      lastSequenceNumber: lastSeq & 0xffff,
      timestamp: slots[0]!.packet.timestamp,
    });
  }

  private ptsOf(timestamp: number): number {
    if (this.lastTimestamp === undefined) {
      this.timestampBase = timestamp;
    } else if (timestamp < this.lastTimestamp && this.lastTimestamp - timestamp > 0x80000000) {
      this.timestampCycles++;
    } else if (timestamp > this.lastTimestamp && timestamp - this.lastTimestamp > 0x80000000) {
      return timestamp + (this.timestampCycles - 1) * 0x100000000 - this.timestampBase; // late, before a wrap
    }
    this.lastTimestamp = timestamp;
    return timestamp + this.timestampCycles * 0x100000000 - this.timestampBase;
  }

  /** Give up on the gap at the head: move to the next playable packet (video: the next frame start). */
  private skipGap(): void {
    const blocked = this.slots.get(this.nextSeq!);
    let seq = this.nextSeq! + 1;
    for (; seq <= this.highestSeq; seq++) {
      const slot = this.slots.get(seq);
      if (!slot) continue;
      if (this.kind === 'audio') break;
      if (slot.info.frameStart && (!blocked || slot.packet.timestamp !== blocked.packet.timestamp)) break;
    }
    this.dropUntil(seq);
    this.wantKeyframe();
  }

  /** Too many packets: drop the oldest frame (as aiortc's smart_remove) and ask for a keyframe. */
  private overflow(): void {
    this.stats.overflows++;
    const head = this.slots.get(this.nextSeq!);
    let seq = this.nextSeq! + 1;
    while (seq <= this.highestSeq) {
      const slot = this.slots.get(seq);
      if (slot && (!head || slot.packet.timestamp !== head.packet.timestamp)) break;
      seq++;
    }
    this.dropUntil(seq);
    this.wantKeyframe();
  }

  private dropUntil(seq: number): void {
    this.playing = true;
    for (let s = this.nextSeq!; s < seq; s++) {
      if (this.slots.delete(s)) this.stats.packetsDiscarded++;
      else this.stats.packetsLost++;
      this.missing.delete(s);
    }
    this.nextSeq = seq;
    this.blockedSince = undefined;
  }

  /** Queue NACKs that are due and a PLI when a keyframe is awaited. */
  private service(now: number): void {
    const due: number[] = [];
    for (const [seq, m] of this.missing) {
      if (m.retries >= this.maxNackRetries) {
        if ((m.sentAt ?? now) + this.nackRetryMs <= now) this.missing.delete(seq);
        continue;
      }
      if (m.sentAt === undefined || m.sentAt + this.nackRetryMs <= now) {
        m.sentAt = now;
        m.retries++;
        due.push(seq & 0xffff);
      }
    }
    if (due.length) {
      this.stats.nackPacketsRequested += due.length;
      this.queue({ type: 'nack', sequenceNumbers: due });
    }
    if (this.pliWanted && (this.lastPliAt === undefined || this.lastPliAt + this.pliIntervalMs <= now)) {
      this.lastPliAt = now;
      this.stats.pliRequested++;
      this.queue({ type: 'pli' });
    }
  }

  private wantKeyframe(): void {
    if (this.kind !== 'video') return;
    this.keyframeNeeded = true;
    this.pliWanted = true;
  }

  private queue(event: JitterBufferEvent): void {
    if (this.events.length >= MAX_QUEUED_EVENTS) this.events.shift();
    this.events.push(event);
  }
}
