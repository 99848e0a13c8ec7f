/**
 * The receiving half of an association: TSN bookkeeping (cumulative TSN, gaps, duplicates), the
 * advertised window, SACK contents, and hand-off to per-stream reassembly. Memory is bounded: DATA
 * that would overflow the receive window is dropped unacknowledged (the peer retransmits it).
 */

import { encodeSack, type ForwardTsnChunk } from './chunks.js';
import { DATA_UNORDERED } from './constants.js';
import type { PacketBuilder } from './packet.js';
import { type Fragment, type InboundMessage, InboundStream } from './reassembly.js';
import { tsnGt, tsnLte } from './serial.js';

/** Per-chunk bookkeeping cost counted against the window, so tiny chunks cannot exhaust memory. */
const CHUNK_OVERHEAD = 64;
const MAX_DUPLICATES_REPORTED = 32;
const MAX_GAP_BLOCKS = 128;
const MAX_TSN_AHEAD = 0xffff;

export type DataVerdict = 'new' | 'duplicate' | 'dropped';

export class Receiver {
  cumulativeTsn: number;
  /** Received TSNs above the cumulative TSN. */
  private readonly above = new Set<number>();
  private duplicates: number[] = [];
  private readonly streams = new Map<number, InboundStream>();
  /** Bytes held in reassembly plus per-chunk overhead. */
  buffered = 0;
  readonly stats = { chunks: 0, duplicates: 0, droppedWindow: 0, droppedStream: 0, refusedMessages: 0 };

  constructor(
    peerInitialTsn: number,
    private readonly window: number,
    private readonly inboundStreams: number,
    private readonly interleaved: boolean,
    private readonly maxMessageSize: number,
    private readonly deliver: (m: InboundMessage) => void,
    private readonly refuse: (streamId: number) => void,
  ) {
    this.cumulativeTsn = (peerInitialTsn - 1) >>> 0;
  }

  get advertisedWindow(): number {
    return Math.max(0, this.window - this.buffered);
  }

  get hasGaps(): boolean {
    return this.above.size > 0;
  }

  get hasDuplicates(): boolean {
    return this.duplicates.length > 0;
  }

  private readonly releaseBytes = (bytes: number): void => {
    this.buffered -= bytes;
  };

  private stream(id: number): InboundStream {
    let s = this.streams.get(id);
    if (!s) {
      s = new InboundStream(
        id,
        this.interleaved,
        this.maxMessageSize,
        this.deliver,
        this.refuse,
        this.releaseBytes,
      );
      this.streams.set(id, s);
    }
    return s;
  }

  /** Accept one DATA/I-DATA chunk. `payload` is a view into the packet. */
  onData(
    tsn: number,
    flags: number,
    streamId: number,
    sequence: number,
    index: number,
    ppid: number,
    payload: Uint8Array,
  ): DataVerdict {
    this.stats.chunks++;
    if (tsnLte(tsn, this.cumulativeTsn) || this.above.has(tsn)) {
      this.stats.duplicates++;
      if (this.duplicates.length < MAX_DUPLICATES_REPORTED) this.duplicates.push(tsn);
      return 'duplicate';
    }
    // Gap offsets are 16 bits, and the set of TSNs above the cumulative one must stay bounded.
    if ((tsn - this.cumulativeTsn) >>> 0 > MAX_TSN_AHEAD) {
      this.stats.droppedWindow++;
      return 'dropped';
    }
    const cost = payload.byteLength + CHUNK_OVERHEAD;
    // The next expected TSN is always taken (up to twice the window) so a full buffer cannot deadlock.
    const next = tsn === (this.cumulativeTsn + 1) >>> 0;
    if (this.buffered + cost > (next ? this.window * 2 : this.window)) {
      this.stats.droppedWindow++;
      return 'dropped';
    }
    if (streamId >= this.inboundStreams) {
      // A stream the peer did not negotiate: acknowledge (so it is not resent) but discard.
      this.stats.droppedStream++;
      this.markReceived(tsn);
      return 'new';
    }
    this.markReceived(tsn);
    const fragment: Fragment = { tsn, flags, sequence, index: this.interleaved ? index : tsn, ppid, payload };
    this.buffered += cost;
    // Per-chunk overhead is released at once; payload bytes when the message leaves reassembly.
    const s = this.stream(streamId);
    if (s.add(fragment, (flags & DATA_UNORDERED) !== 0)) this.buffered -= CHUNK_OVERHEAD;
    else this.buffered -= cost;
    return 'new';
  }

  private markReceived(tsn: number): void {
    if (tsn === (this.cumulativeTsn + 1) >>> 0) {
      this.cumulativeTsn = tsn;
      this.advance();
    } else {
      this.above.add(tsn);
    }
  }

  private advance(): void {
    const above = this.above;
    if (above.size === 0) return;
    let next = (this.cumulativeTsn + 1) >>> 0;
    while (above.delete(next)) {
      this.cumulativeTsn = next;
      next = (next + 1) >>> 0;
    }
  }

  /** FORWARD-TSN / I-FORWARD-TSN (RFC 3758 §3.6, RFC 8260 §2.3.1). */
  onForwardTsn(c: ForwardTsnChunk): void {
    if (tsnGt(c.newCumulativeTsn, this.cumulativeTsn)) {
      this.cumulativeTsn = c.newCumulativeTsn;
      for (const t of this.above) if (tsnLte(t, this.cumulativeTsn)) this.above.delete(t);
      this.advance();
      if (!this.interleaved) for (const s of this.streams.values()) s.dropUnorderedUpTo(this.cumulativeTsn);
    } else if (c.streams.length === 0) {
      return;
    }
    for (const entry of c.streams) {
      if (entry.streamId >= this.inboundStreams) continue;
      const s = this.streams.get(entry.streamId);
      if (entry.unordered) s?.skipUnordered(entry.sequence);
      else this.stream(entry.streamId).skipOrdered(entry.sequence);
    }
  }

  /** RFC 6525: reset the incoming sequence numbers of these streams (all when the list is empty). */
  resetStreams(ids: readonly number[]): void {
    if (ids.length === 0) for (const s of this.streams.values()) s.reset();
    for (const id of ids) this.streams.get(id)?.reset();
  }

  /** Build a SACK and clear the duplicate list. */
  /** Add the SACK to the packet being built (in place when it has no gaps or duplicates). */
  writeSack(b: PacketBuilder): void {
    if (this.above.size === 0 && this.duplicates.length === 0)
      b.addPlainSack(this.cumulativeTsn, this.advertisedWindow);
    else b.addChunk(this.buildSack());
  }

  buildSack(): Uint8Array {
    let gaps: number[] = EMPTY;
    if (this.above.size > 0) {
      const sorted = [...this.above].map((t) => (t - this.cumulativeTsn) >>> 0).sort((a, b) => a - b);
      gaps = [];
      let start = sorted[0]!;
      let end = start;
      for (let i = 1; i <= sorted.length; i++) {
        const off = sorted[i];
        if (off === end + 1) {
          end = off;
          continue;
        }
        if (end > 0xffff) break;
        gaps.push(start, end);
        if (gaps.length >= MAX_GAP_BLOCKS * 2 || off === undefined) break;
        start = off;
        end = off;
      }
    }
    const sack = encodeSack(this.cumulativeTsn, this.advertisedWindow, gaps, this.duplicates);
    if (this.duplicates.length) this.duplicates = [];
    return sack;
  }
}

const EMPTY: number[] = [];
