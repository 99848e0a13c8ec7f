/**
 * Per-stream reassembly and ordered delivery. A message is complete when its first (B) and last (E)
 * fragments and everything between have arrived. Fragments are keyed by TSN (DATA) or FSN (I-DATA);
 * ordered messages are keyed by SSN (DATA) or MID (I-DATA) and delivered strictly in sequence.
 */
import { DATA_BEGIN, DATA_END } from './constants.js';
import { ssnLt, tsnLte } from './serial.js';

export interface Fragment {
  tsn: number;
  flags: number;
  /** SSN (DATA) or MID (I-DATA); unused for unordered DATA. */
  sequence: number;
  /** Fragment index: TSN for DATA, FSN for I-DATA. */
  index: number;
  ppid: number;
  payload: Uint8Array;
}

export interface InboundMessage {
  streamId: number;
  ppid: number;
  data: Uint8Array;
  unordered: boolean;
}

/**
 * A message being put together. Fragments that arrive in index order (the common case) are kept in an
 * array, without a Map; the first one out of order moves them into a Map keyed by index.
 */
class Partial {
  private list: Fragment[] = [];
  private byIndex: Map<number, Fragment> | undefined;
  first: number | undefined;
  last: number | undefined;
  bytes = 0;
  ppid = 0;

  add(f: Fragment): void {
    const list = this.list;
    let map = this.byIndex;
    if (!map) {
      const prev = list[list.length - 1];
      if (prev === undefined || f.index === (prev.index + 1) >>> 0) list.push(f);
      else {
        map = this.byIndex = new Map();
        for (const g of list) map.set(g.index, g);
        this.list = [];
      }
    }
    // A repeated index replaces the earlier fragment; its bytes stay counted until the message leaves.
    if (map) map.set(f.index, f);
    this.bytes += f.payload.byteLength;
    if (f.flags & DATA_BEGIN) {
      this.first = f.index;
      this.ppid = f.ppid;
    }
    if (f.flags & DATA_END) this.last = f.index;
  }

  private get size(): number {
    return this.byIndex ? this.byIndex.size : this.list.length;
  }

  get complete(): boolean {
    if (this.first === undefined || this.last === undefined) return false;
    if (this.size !== ((this.last - this.first) >>> 0) + 1) return false;
    // In the array, consecutive indices from the first one: the begin must be the first element.
    return this.byIndex !== undefined || this.list[0]!.index === this.first;
  }

  private at(i: number): Fragment {
    return this.byIndex ? this.byIndex.get(i)! : this.list[(i - this.first!) >>> 0]!;
  }

  /** Joins the payloads; a single fragment is returned as is (a view, no copy). */
  assemble(): Uint8Array {
    if (this.size === 1) return this.at(this.first!).payload;
    const out = new Uint8Array(this.bytes);
    let at = 0;
    for (let i = this.first!; ; i = (i + 1) >>> 0) {
      const p = this.at(i).payload;
      out.set(p, at);
      at += p.byteLength;
      if (i === this.last) break;
    }
    return out;
  }
}

const SKIPPED = null;

export class InboundStream {
  /** Next ordered SSN / MID to deliver. */
  nextSequence = 0;
  private readonly ordered = new Map<number, Partial>();
  /** Unordered I-DATA keyed by MID. */
  private readonly unorderedById = new Map<number, Partial>();
  /** Unordered DATA fragments keyed by TSN (no message id on the wire). */
  private readonly unorderedFragments = new Map<number, Fragment>();
  /**
   * The partial ordered message with sequence `nextSequence`, kept outside `ordered`: in-order traffic
   * then never touches the Maps (whose growing and shrinking allocate on every message).
   */
  private head: Partial | undefined;
  /** Complete ordered messages waiting for their turn; SKIPPED marks a discarded one. */
  private readonly ready = new Map<number, InboundMessage | typeof SKIPPED>();

  constructor(
    readonly streamId: number,
    private readonly interleaved: boolean,
    private readonly maxMessageSize: number,
    private readonly deliver: (m: InboundMessage) => void,
    private readonly refuse: (streamId: number) => void,
    private readonly release: (bytes: number) => void,
  ) {}

  get idle(): boolean {
    return (
      this.ordered.size === 0 &&
      this.head === undefined &&
      this.unorderedById.size === 0 &&
      this.unorderedFragments.size === 0 &&
      this.ready.size === 0
    );
  }

  private seqLt(a: number, b: number): boolean {
    return this.interleaved ? ((a - b) | 0) < 0 : ssnLt(a, b);
  }

  private nextOf(n: number): number {
    return this.interleaved ? (n + 1) >>> 0 : (n + 1) & 0xffff;
  }

  /** Returns false when the fragment was dropped (stale sequence); the caller has counted its bytes. */
  add(f: Fragment, unordered: boolean): boolean {
    if (unordered && !this.interleaved) return this.addUnorderedData(f);
    if (!unordered && (this.seqLt(f.sequence, this.nextSequence) || this.ready.get(f.sequence) === SKIPPED)) {
      return false;
    }
    if (!unordered && f.sequence === this.nextSequence && (this.head || !this.ordered.has(f.sequence)))
      return this.addHead(f);
    const map = unordered ? this.unorderedById : this.ordered;
    let p = map.get(f.sequence);
    if (!p) {
      p = new Partial();
      map.set(f.sequence, p);
    }
    p.add(f);
    if (p.bytes > this.maxMessageSize) {
      map.delete(f.sequence);
      this.release(p.bytes);
      if (!unordered) this.ready.set(f.sequence, SKIPPED);
      this.refuse(this.streamId);
      this.flushOrdered();
      return true;
    }
    if (!p.complete) return true;
    map.delete(f.sequence);
    const message: InboundMessage = { streamId: this.streamId, ppid: p.ppid, data: p.assemble(), unordered };
    if (unordered) {
      this.release(p.bytes);
      this.deliver(message);
    } else {
      // Counted against the window until delivered in turn.
      this.ready.set(f.sequence, message);
      this.flushOrdered();
    }
    return true;
  }

  /** A fragment of the next ordered message: assembled in `head`, delivered at once when complete. */
  private addHead(f: Fragment): boolean {
    let p = this.head;
    if (!p) p = this.head = new Partial();
    p.add(f);
    if (p.bytes > this.maxMessageSize) {
      this.head = undefined;
      this.release(p.bytes);
      this.ready.set(f.sequence, SKIPPED);
      this.refuse(this.streamId);
      this.flushOrdered();
      return true;
    }
    if (!p.complete) return true;
    this.head = undefined;
    this.nextSequence = this.nextOf(this.nextSequence);
    this.release(p.bytes);
    this.deliver({ streamId: this.streamId, ppid: p.ppid, data: p.assemble(), unordered: false });
    if (this.ready.size > 0) this.flushOrdered();
    return true;
  }

  private addUnorderedData(f: Fragment): boolean {
    const frags = this.unorderedFragments;
    frags.set(f.tsn, f);
    // Walk to both ends of the run this fragment belongs to.
    let first = f.tsn;
    let bytes = f.payload.byteLength;
    for (let cur = f; !(cur.flags & DATA_BEGIN); ) {
      const prev = frags.get((first - 1) >>> 0);
      if (!prev || prev.flags & DATA_END) return true;
      first = prev.tsn;
      bytes += prev.payload.byteLength;
      cur = prev;
    }
    let last = f.tsn;
    for (let cur = f; !(cur.flags & DATA_END); ) {
      const next = frags.get((last + 1) >>> 0);
      if (!next || next.flags & DATA_BEGIN) return true;
      last = next.tsn;
      bytes += next.payload.byteLength;
      cur = next;
    }
    const p = new Partial();
    for (let t = first; ; t = (t + 1) >>> 0) {
      p.add(frags.get(t)!);
      frags.delete(t);
      if (t === last) break;
    }
    this.release(bytes);
    if (bytes > this.maxMessageSize) this.refuse(this.streamId);
    else this.deliver({ streamId: this.streamId, ppid: p.ppid, data: p.assemble(), unordered: true });
    return true;
  }

  private flushOrdered(): void {
    for (;;) {
      const next = this.ready.get(this.nextSequence);
      if (next === undefined) return;
      this.ready.delete(this.nextSequence);
      this.nextSequence = this.nextOf(this.nextSequence);
      if (next !== SKIPPED) {
        this.release(next.data.byteLength);
        this.deliver(next);
      }
    }
  }

  /** FORWARD-TSN / I-FORWARD-TSN: give up on ordered messages up to and including `sequence`. */
  skipOrdered(sequence: number): void {
    if (this.head && !this.seqLt(sequence, this.nextSequence)) {
      this.release(this.head.bytes);
      this.head = undefined;
    }
    for (const [seq, p] of this.ordered) {
      if (!this.seqLt(sequence, seq)) {
        this.ordered.delete(seq);
        this.release(p.bytes);
      }
    }
    if (!this.seqLt(sequence, this.nextSequence)) {
      // Deliver whatever was complete below the new point (in order), then move past it.
      const due = [...this.ready.keys()]
        .filter((q) => !this.seqLt(sequence, q))
        .sort((x, y) => (this.seqLt(x, y) ? -1 : 1));
      for (const q of due) {
        const m = this.ready.get(q);
        this.ready.delete(q);
        if (m) {
          this.release(m.data.byteLength);
          this.deliver(m);
        }
      }
      this.nextSequence = this.nextOf(sequence);
    }
    this.flushOrdered();
  }

  /** I-FORWARD-TSN for unordered messages: drop partials with MID up to `mid`. */
  skipUnordered(mid: number): void {
    for (const [id, p] of this.unorderedById) {
      if (!this.seqLt(mid, id)) {
        this.unorderedById.delete(id);
        this.release(p.bytes);
      }
    }
  }

  /** FORWARD-TSN: unordered DATA fragments at or below the new cumulative TSN will never complete. */
  dropUnorderedUpTo(cumulativeTsn: number): void {
    for (const [tsn, f] of this.unorderedFragments) {
      if (tsnLte(tsn, cumulativeTsn)) {
        this.unorderedFragments.delete(tsn);
        this.release(f.payload.byteLength);
      }
    }
  }

  /** RFC 6525 incoming reset: sequence numbers restart at 0; partial data is dropped. */
  reset(): void {
    for (const p of this.ordered.values()) this.release(p.bytes);
    if (this.head) this.release(this.head.bytes);
    this.head = undefined;
    for (const p of this.unorderedById.values()) this.release(p.bytes);
    for (const f of this.unorderedFragments.values()) this.release(f.payload.byteLength);
    for (const m of this.ready.values()) if (m) this.release(m.data.byteLength);
    this.ordered.clear();
    this.unorderedById.clear();
    this.unorderedFragments.clear();
    this.ready.clear();
    this.nextSequence = 0;
  }
}
