/**
 * The sending half of an association: TSN assignment, fragmentation into the packet being built,
 * the retransmission queue, SACK processing with HTNA fast retransmit and fast recovery, slow start and
 * congestion avoidance on cwnd, the peer's rwnd, RTO estimation (RFC 9260 §6.3, §7) and PR-SCTP
 * abandonment with the advanced peer ack point (RFC 3758 §3.5).
 */
import type { ForwardTsnStream, SackChunk } from './chunks.js';
import { DATA_BEGIN, DATA_END, DATA_HEADER_SIZE, DATA_UNORDERED, I_DATA_HEADER_SIZE } from './constants.js';
import type { OutboundMessage, OutboundStream, SentChunk } from './outbound.js';
import type { PacketBuilder } from './packet.js';
import { tsnGt, tsnLt, tsnLte } from './serial.js';

export interface SenderConfig {
  mtu: number;
  rtoInitial: number;
  rtoMin: number;
  rtoMax: number;
  interleaved: boolean;
}

/** Don't start a new fragment in a packet with less room than this; send a fuller packet instead. */
const MIN_FRAGMENT = 64;

/**
 * L of RFC 9260 §7.2.1: one SACK grows cwnd in slow start by at most L MTUs. The bound is against bursts
 * after a SACK that covers unusually much (lost SACKs, ACK division is harmless with byte counting). It is
 * 32 because our receiver, like any runtime that flushes once per read, acknowledges a whole read burst at
 * once, and libuv hands over at most 32 datagrams per read: with L = 1 (RFC 4960) or 2 (RFC 3465) such a
 * SACK would grow cwnd by 1–2 MTUs where slow start means ~32, and cwnd crawled (36 MiB still in slow start).
 */
const SLOW_START_MAX_MTUS = 32;

export class Sender {
  nextTsn: number;
  /** The peer's cumulative TSN ack. */
  cumulativeAck: number;
  /** Sent and not cumulatively acknowledged, in TSN order (index = tsn - first TSN). */
  private inflight: Array<SentChunk | undefined> = [];
  private inflightHead = 0;
  private retransmitQueue: SentChunk[] = [];
  flightSize = 0;
  cwnd: number;
  ssthresh: number;
  private partialBytesAcked = 0;
  /**
   * Whether the last chance to send ended with cwnd (nearly) used up, rather than with nothing to send or
   * a closed peer window: RFC 9260's "fully utilized". Kept across SACKs, because several SACKs read in
   * one burst are processed before the sender gets to send again.
   */
  private windowFull = false;
  peerRwnd: number;
  private fastRecoveryExit: number | undefined;
  private fastRetransmitPending = false;
  advancedPeerAckPoint: number;
  forwardTsnNeeded = false;
  rto: number;
  /** Consecutive T3 expiries without progress. */
  private t3Backoff = 0;
  private lastT3At: number | undefined;
  private srtt: number | undefined;
  private rttvar = 0;
  t3At: number | undefined;
  /** Streams with queued data, served round robin. */
  private readonly active: OutboundStream[] = [];
  private activeIndex = 0;
  /** With DATA (no interleaving) a message's fragments must be consecutive TSNs. */
  private current: OutboundStream | undefined;
  /** Streams whose buffered amount went down since the last check. */
  readonly drained = new Set<number>();
  readonly stats = { chunksSent: 0, retransmits: 0, fastRetransmits: 0, t3Expiries: 0, abandoned: 0 };

  constructor(
    initialTsn: number,
    peerRwnd: number,
    private readonly config: SenderConfig,
    private readonly streamOf: (id: number) => OutboundStream | undefined,
  ) {
    this.nextTsn = initialTsn >>> 0;
    this.cumulativeAck = (initialTsn - 1) >>> 0;
    this.advancedPeerAckPoint = this.cumulativeAck;
    this.peerRwnd = peerRwnd;
    // RFC 9260 §7.2.1: initial cwnd min(4 MTU, max(2 MTU, 4380)).
    this.cwnd = Math.min(4 * config.mtu, Math.max(2 * config.mtu, 4380));
    this.ssthresh = peerRwnd;
    this.rto = config.rtoInitial;
  }

  get outstanding(): number {
    return this.inflight.length - this.inflightHead;
  }

  /** Nothing queued on any stream and nothing unacknowledged. */
  get idle(): boolean {
    return this.outstanding === 0 && this.active.length === 0 && this.current === undefined;
  }

  /** Whether `fill` would add anything now (retransmissions or new data within cwnd and rwnd). */
  get wantsToSend(): boolean {
    const open = this.flightSize < this.cwnd;
    if (this.retransmitQueue.length > 0 && (open || this.fastRetransmitPending)) return true;
    return (
      open &&
      (this.active.length > 0 || this.current !== undefined) &&
      (this.peerRwnd > 0 || this.flightSize === 0)
    );
  }

  schedule(stream: OutboundStream): void {
    if (stream.scheduled) return;
    stream.scheduled = true;
    this.active.push(stream);
  }

  private chunkAt(tsn: number): SentChunk | undefined {
    const first = this.inflight[this.inflightHead];
    if (!first) return undefined;
    const i = (tsn - first.tsn) >>> 0;
    return i < this.outstanding ? this.inflight[this.inflightHead + i] : undefined;
  }

  /** Add retransmissions, then new data, to the packet while cwnd and rwnd allow. Returns chunks added. */
  fill(now: number, b: PacketBuilder): number {
    let added = 0;
    const header = this.config.interleaved ? I_DATA_HEADER_SIZE : DATA_HEADER_SIZE;
    while (this.retransmitQueue.length > 0) {
      const c = this.retransmitQueue[0]!;
      if (!c.retransmit || c.acked || c.abandoned || tsnLte(c.tsn, this.cumulativeAck)) {
        this.retransmitQueue.shift();
        continue;
      }
      if (this.abandonIfExpired(now, c)) continue;
      if (!this.fastRetransmitPending && this.flightSize >= this.cwnd) {
        this.windowFull = true;
        return added;
      }
      if (header + c.payload.byteLength > b.room) return added;
      this.retransmitQueue.shift();
      this.writeChunk(b, c);
      c.retransmit = false;
      c.transmissions++;
      c.sentAt = now;
      this.stats.retransmits++;
      added++;
    }
    this.fastRetransmitPending = false;
    for (;;) {
      if (this.flightSize >= this.cwnd) {
        this.windowFull = true;
        break;
      }
      // Zero-window probing: one chunk may go out when nothing is in flight.
      if (this.peerRwnd <= 0 && this.flightSize > 0) {
        this.windowFull = this.flightSize + this.config.mtu >= this.cwnd;
        break;
      }
      const room = b.room - header;
      if (room < MIN_FRAGMENT) break;
      const stream = this.pickStream(now);
      if (!stream) {
        this.windowFull = this.flightSize + this.config.mtu >= this.cwnd;
        break;
      }
      const m = stream.peek()!;
      const remaining = m.data.byteLength - m.offset;
      if (remaining > room && room < 4 * MIN_FRAGMENT && !b.empty) break;
      const size = Math.min(remaining, room);
      if (m.offset === 0) stream.assignSequence(m, this.config.interleaved);
      let flags = m.unordered ? DATA_UNORDERED : 0;
      if (m.offset === 0) flags |= DATA_BEGIN;
      const payload = m.data.subarray(m.offset, m.offset + size);
      m.offset += size;
      stream.buffered -= size;
      this.drained.add(stream.id);
      if (m.offset === m.data.byteLength) {
        flags |= DATA_END;
        stream.shift();
        if (this.current === stream) this.current = undefined;
      } else if (!this.config.interleaved) {
        this.current = stream;
      }
      const c: SentChunk = {
        tsn: this.nextTsn,
        message: m,
        flags,
        fsn: m.nextFsn++,
        payload,
        sentAt: now,
        transmissions: 1,
        acked: false,
        inFlight: false,
        retransmit: false,
        missIndications: 0,
        fastRetransmitted: false,
        abandoned: false,
      };
      this.nextTsn = (this.nextTsn + 1) >>> 0;
      if (m.sent) m.sent.push(c);
      this.inflight.push(c);
      this.writeChunk(b, c);
      added++;
    }
    if (added > 0 && this.t3At === undefined) this.t3At = now + this.backedOffRto;
    return added;
  }

  private writeChunk(b: PacketBuilder, c: SentChunk): void {
    const m = c.message;
    b.addData(
      this.config.interleaved,
      c.flags,
      c.tsn,
      m.streamId,
      m.sequence,
      c.fsn === 0 ? m.ppid : c.fsn,
      m.ppid,
      c.payload,
    );
    c.inFlight = true;
    this.flightSize += c.payload.byteLength;
    this.peerRwnd -= c.payload.byteLength;
    this.stats.chunksSent++;
  }

  /** The next stream to take a fragment from, or undefined. Drops expired unsent messages. */
  private pickStream(now: number): OutboundStream | undefined {
    if (this.current) return this.current;
    while (this.active.length > 0) {
      if (this.activeIndex >= this.active.length) this.activeIndex = 0;
      const s = this.active[this.activeIndex]!;
      const m = s.peek();
      if (!m || s.resetInFlight) {
        // Leave the list; `schedule` puts it back when it has data again.
        s.scheduled = false;
        this.active.splice(this.activeIndex, 1);
        continue;
      }
      if (m.offset === 0 && m.expiresAt !== undefined && now >= m.expiresAt) {
        // Never sent and already expired: drop without using a TSN.
        s.buffered -= m.data.byteLength;
        s.shift();
        this.drained.add(s.id);
        this.stats.abandoned++;
        continue;
      }
      // Round robin per message with DATA, per fragment with I-DATA.
      this.activeIndex++;
      return s;
    }
    return undefined;
  }

  private abandonIfExpired(now: number, c: SentChunk): boolean {
    const m = c.message;
    const expired =
      (m.maxRetransmits !== undefined && c.transmissions > m.maxRetransmits) ||
      (m.expiresAt !== undefined && now >= m.expiresAt);
    if (!expired) return false;
    this.abandon(m);
    return true;
  }

  /** Give up on a whole message: its sent fragments and any unsent rest. */
  abandon(m: OutboundMessage): void {
    if (m.abandoned) return;
    m.abandoned = true;
    this.stats.abandoned++;
    for (const c of m.sent ?? []) {
      c.abandoned = true;
      c.retransmit = false;
      if (c.inFlight) {
        c.inFlight = false;
        this.flightSize -= c.payload.byteLength;
      }
    }
    if (m.offset < m.data.byteLength) {
      const rest = m.data.byteLength - m.offset;
      m.offset = m.data.byteLength;
      const stream = this.streamOf(m.streamId);
      if (stream && stream.peek() === m) {
        stream.buffered -= rest;
        stream.shift();
        this.drained.add(stream.id);
      }
      if (this.current === stream) this.current = undefined;
    }
    this.forwardTsnNeeded = true;
  }

  /** Process a SACK. Returns true when it acknowledged new data (the peer is alive and making progress). */
  onSack(now: number, sack: SackChunk): boolean {
    const cum = sack.cumulativeTsnAck;
    if (tsnLt(cum, this.cumulativeAck)) return false;
    if (tsnGt(cum, (this.nextTsn - 1) >>> 0)) return false;
    const flightBefore = this.flightSize;
    let bytesAcked = 0;
    let rttSample: number | undefined;
    const advanced = tsnGt(cum, this.cumulativeAck);
    while (this.outstanding > 0) {
      const c = this.inflight[this.inflightHead]!;
      if (tsnGt(c.tsn, cum)) break;
      this.inflight[this.inflightHead++] = undefined;
      if (c.inFlight) {
        this.flightSize -= c.payload.byteLength;
        c.inFlight = false;
      }
      if (!c.acked && !c.abandoned) {
        bytesAcked += c.payload.byteLength;
        if (this.sampleable(c)) rttSample = now - c.sentAt;
      }
    }
    if (this.inflightHead > 4096 && this.inflightHead * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.inflightHead);
      this.inflightHead = 0;
    }
    this.cumulativeAck = cum;
    let highestNewlyAcked: number | undefined = advanced ? cum : undefined;
    const gaps = sack.gaps;
    for (let g = 0; g < gaps.length; g += 2) {
      const start = gaps[g]!;
      const end = gaps[g + 1]!;
      if (start === 0 || end < start) continue;
      for (let off = start; off <= end; off++) {
        const c = this.chunkAt((cum + off) >>> 0);
        if (!c) break;
        if (c.acked) continue;
        c.acked = true;
        c.retransmit = false;
        if (c.inFlight) {
          c.inFlight = false;
          this.flightSize -= c.payload.byteLength;
        }
        if (!c.abandoned) {
          bytesAcked += c.payload.byteLength;
          if (this.sampleable(c) && (rttSample === undefined || now - c.sentAt < rttSample))
            rttSample = now - c.sentAt;
        }
        if (highestNewlyAcked === undefined || tsnGt(c.tsn, highestNewlyAcked)) highestNewlyAcked = c.tsn;
      }
    }
    if (rttSample !== undefined) this.updateRto(rttSample);
    // Outstanding bytes the peer has not yet acknowledged count against its window.
    this.peerRwnd = sack.advertisedReceiverWindow - this.flightSize;
    if (highestNewlyAcked !== undefined) this.countMisses(highestNewlyAcked);
    if (this.fastRecoveryExit !== undefined && tsnLte(this.fastRecoveryExit, cum))
      this.fastRecoveryExit = undefined;
    if (this.fastRecoveryExit === undefined) this.growCwnd(bytesAcked, flightBefore);
    // RFC 9260 §7.2.2: partial_bytes_acked restarts when everything sent has been acknowledged.
    if (this.flightSize === 0 && this.outstanding === 0) this.partialBytesAcked = 0;
    // Progress clears the timer backoff (as dcsctp and Linux do): otherwise, at heavy loss, RTO stays at
    // its maximum because Karn's rule allows no new RTT sample from retransmitted chunks.
    if (advanced) this.t3Backoff = 0;
    if (this.outstanding === 0) this.t3At = undefined;
    else if (advanced) this.t3At = now + this.backedOffRto;
    if (tsnLt(this.advancedPeerAckPoint, cum)) this.advancedPeerAckPoint = cum;
    this.advanceAckPoint();
    return advanced || bytesAcked > 0;
  }

  /**
   * Karn's rule (only chunks sent once), and nothing sent before the last T3 expiry: such a chunk's
   * ack may have waited out lost SACKs and a timeout, which would inflate the RTO.
   */
  private sampleable(c: SentChunk): boolean {
    return c.transmissions === 1 && (this.lastT3At === undefined || c.sentAt > this.lastT3At);
  }

  private countMisses(highest: number): void {
    for (let i = this.inflightHead; i < this.inflight.length; i++) {
      const c = this.inflight[i]!;
      if (!tsnLt(c.tsn, highest)) break;
      if (c.acked || c.abandoned || !c.inFlight || c.fastRetransmitted) continue;
      if (++c.missIndications < 3) continue;
      c.missIndications = 0;
      c.fastRetransmitted = true;
      c.retransmit = true;
      c.inFlight = false;
      this.flightSize -= c.payload.byteLength;
      this.retransmitQueue.push(c);
      this.stats.fastRetransmits++;
      if (this.fastRecoveryExit === undefined) {
        this.ssthresh = Math.max(this.cwnd / 2, 4 * this.config.mtu);
        this.cwnd = this.ssthresh;
        this.partialBytesAcked = 0;
        this.fastRecoveryExit = (this.nextTsn - 1) >>> 0;
        this.fastRetransmitPending = true;
      }
    }
    if (this.retransmitQueue.length > 1) this.retransmitQueue.sort((a, b) => (tsnLt(a.tsn, b.tsn) ? -1 : 1));
  }

  /**
   * RFC 9260 §7.2.1–7.2.2, counting bytes. Growth needs a window that was (nearly: one MTU of slack for
   * packetization) in use before this SACK, and no fast recovery (checked by the caller).
   */
  private growCwnd(bytesAcked: number, flightBefore: number): void {
    if (bytesAcked === 0) return;
    const mtu = this.config.mtu;
    const windowUsed = this.windowFull || flightBefore + mtu >= this.cwnd;
    if (this.cwnd <= this.ssthresh) {
      // Slow start: the bytes newly acknowledged (cumulatively or by gap blocks), at most L MTUs.
      if (windowUsed) this.cwnd += Math.min(bytesAcked, SLOW_START_MAX_MTUS * mtu);
      return;
    }
    // Congestion avoidance: one MTU per cwnd of acknowledged bytes, however many SACKs carry them.
    this.partialBytesAcked += bytesAcked;
    if (this.partialBytesAcked < this.cwnd) return;
    if (windowUsed) {
      this.partialBytesAcked -= this.cwnd;
      this.cwnd += mtu;
    } else {
      this.partialBytesAcked = this.cwnd;
    }
  }

  private updateRto(r: number): void {
    const { rtoMin, rtoMax } = this.config;
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = Math.min(rtoMax, Math.max(rtoMin, this.srtt + 4 * this.rttvar));
  }

  get smoothedRtt(): number | undefined {
    return this.srtt;
  }

  /** T3-rtx expiry (RFC 9260 §6.3.3): back off, collapse cwnd, retransmit everything outstanding. */
  onT3Expired(now: number): void {
    this.stats.t3Expiries++;
    this.lastT3At = now;
    this.t3At = undefined;
    if (this.outstanding === 0) return;
    this.ssthresh = Math.max(this.cwnd / 2, 4 * this.config.mtu);
    this.cwnd = this.config.mtu;
    this.partialBytesAcked = 0;
    this.fastRecoveryExit = undefined;
    this.t3Backoff = Math.min(this.t3Backoff + 1, 16);
    const queue: SentChunk[] = [];
    for (let i = this.inflightHead; i < this.inflight.length; i++) {
      const c = this.inflight[i]!;
      if (c.acked || c.abandoned) continue;
      if (this.abandonIfExpired(now, c)) continue;
      if (c.inFlight) {
        c.inFlight = false;
        this.flightSize -= c.payload.byteLength;
      }
      c.retransmit = true;
      c.missIndications = 0;
      queue.push(c);
    }
    this.retransmitQueue = queue;
    this.advanceAckPoint();
    // A lost FORWARD-TSN is sent again on every expiry until the peer's ack passes the ack point.
    if (tsnGt(this.advancedPeerAckPoint, this.cumulativeAck)) this.forwardTsnNeeded = true;
    // Keep the timer running while anything is unacknowledged (also abandoned chunks awaiting FORWARD-TSN).
    this.t3At = now + this.backedOffRto;
  }

  /** The T3 duration: RTO doubled per unanswered expiry, capped at rtoMax. */
  get backedOffRto(): number {
    return Math.min(this.rto * 2 ** this.t3Backoff, this.config.rtoMax);
  }

  /** RFC 3758 §3.5 C: move the advanced peer ack point over abandoned chunks. */
  private advanceAckPoint(): void {
    let point = this.advancedPeerAckPoint;
    for (;;) {
      const c = this.chunkAt((point + 1) >>> 0);
      if (!c?.abandoned) break;
      point = c.tsn;
    }
    if (point !== this.advancedPeerAckPoint) {
      this.advancedPeerAckPoint = point;
      this.forwardTsnNeeded = true;
    }
    if (!tsnGt(this.advancedPeerAckPoint, this.cumulativeAck)) this.forwardTsnNeeded = false;
  }

  /** The streams and sequence numbers a FORWARD-TSN must carry for the current ack point. */
  forwardTsnStreams(): ForwardTsnStream[] {
    const latest = new Map<number, ForwardTsnStream>();
    for (let i = this.inflightHead; i < this.inflight.length; i++) {
      const c = this.inflight[i]!;
      if (tsnGt(c.tsn, this.advancedPeerAckPoint)) break;
      const m = c.message;
      if (m.unordered && !this.config.interleaved) continue;
      const key = m.streamId * 2 + (m.unordered ? 1 : 0);
      latest.set(key, { streamId: m.streamId, unordered: m.unordered, sequence: m.sequence });
    }
    return [...latest.values()];
  }

  /** Is any chunk of this stream still unacknowledged (for stream reset)? */
  hasOutstanding(streamId: number): boolean {
    for (let i = this.inflightHead; i < this.inflight.length; i++) {
      if (this.inflight[i]!.message.streamId === streamId) return true;
    }
    return false;
  }
}
