/**
 * Handshake message framing (RFC 6347 §4.2.2-4.2.3): the 12-byte fragment header, reassembly of
 * fragments that arrive out of order, twice or overlapping, and in-order delivery by message_seq.
 * Memory is bounded: a window of message sequence numbers, a size cap per message and in total.
 */
import { HANDSHAKE_HEADER_LENGTH } from './constants.js';

export interface FragmentHeader {
  type: number;
  length: number;
  seq: number;
  fragmentOffset: number;
  fragmentLength: number;
}

export interface HandshakeMessage {
  readonly type: number;
  readonly seq: number;
  /** Record epoch the message arrived in (all of its fragments must share it). */
  readonly epoch: number;
  readonly body: Uint8Array;
}

/** Reads the fragment header at `offset`; false when it does not fit or lies about its lengths. */
export function readFragmentHeader(data: Uint8Array, offset: number, out: FragmentHeader): boolean {
  if (data.byteLength - offset < HANDSHAKE_HEADER_LENGTH) return false;
  out.type = data[offset]!;
  out.length = (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!;
  out.seq = (data[offset + 4]! << 8) | data[offset + 5]!;
  out.fragmentOffset = (data[offset + 6]! << 16) | (data[offset + 7]! << 8) | data[offset + 8]!;
  out.fragmentLength = (data[offset + 9]! << 16) | (data[offset + 10]! << 8) | data[offset + 11]!;
  if (out.fragmentOffset + out.fragmentLength > out.length) return false;
  return data.byteLength - offset - HANDSHAKE_HEADER_LENGTH >= out.fragmentLength;
}

export function writeFragmentHeader(
  out: Uint8Array,
  at: number,
  type: number,
  length: number,
  seq: number,
  fragmentOffset: number,
  fragmentLength: number,
): void {
  out[at] = type;
  out[at + 1] = length >>> 16;
  out[at + 2] = (length >>> 8) & 0xff;
  out[at + 3] = length & 0xff;
  out[at + 4] = seq >>> 8;
  out[at + 5] = seq & 0xff;
  out[at + 6] = fragmentOffset >>> 16;
  out[at + 7] = (fragmentOffset >>> 8) & 0xff;
  out[at + 8] = fragmentOffset & 0xff;
  out[at + 9] = fragmentLength >>> 16;
  out[at + 10] = (fragmentLength >>> 8) & 0xff;
  out[at + 11] = fragmentLength & 0xff;
}

/** The bytes a message contributes to the handshake hash: as if sent in one fragment (§4.2.6). */
export function transcriptEntry(type: number, seq: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + body.byteLength);
  writeFragmentHeader(out, 0, type, body.byteLength, seq, 0, body.byteLength);
  out.set(body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

interface Partial {
  type: number;
  epoch: number;
  body: Uint8Array;
  /** One byte per body byte: 1 once received. */
  filled: Uint8Array | undefined;
  missing: number;
}

export type FragmentOutcome = 'accepted' | 'old' | 'dropped';

export class HandshakeReassembler {
  /** message_seq of the next message to deliver. */
  nextSeq = 0;
  private readonly pending = new Map<number, Partial>();
  private bufferedBytes = 0;

  constructor(
    private readonly maxMessageLength = 32_768,
    private readonly window = 16,
    private readonly maxBufferedBytes = 131_072,
  ) {}

  addFragment(epoch: number, h: FragmentHeader, fragment: Uint8Array): FragmentOutcome {
    if (h.seq < this.nextSeq) return 'old';
    if (h.seq >= this.nextSeq + this.window || h.length > this.maxMessageLength) return 'dropped';
    let p = this.pending.get(h.seq);
    if (!p) {
      const cost = h.length * 2;
      if (this.bufferedBytes + cost > this.maxBufferedBytes) return 'dropped';
      if (h.fragmentOffset === 0 && h.fragmentLength === h.length) {
        this.pending.set(h.seq, {
          type: h.type,
          epoch,
          body: fragment.slice(),
          filled: undefined,
          missing: 0,
        });
        this.bufferedBytes += h.length;
        return 'accepted';
      }
      p = {
        type: h.type,
        epoch,
        body: new Uint8Array(h.length),
        filled: new Uint8Array(h.length),
        missing: h.length,
      };
      this.pending.set(h.seq, p);
      this.bufferedBytes += cost;
    }
    // A fragment that disagrees with what we hold for this message_seq is a lie or an attack: drop it.
    if (p.type !== h.type || p.body.byteLength !== h.length || p.epoch !== epoch) return 'dropped';
    const filled = p.filled;
    if (!filled) return 'accepted';
    const { body } = p;
    const start = h.fragmentOffset;
    for (let i = 0; i < h.fragmentLength; i++) {
      if (filled[start + i] === 0) {
        filled[start + i] = 1;
        body[start + i] = fragment[i]!;
        p.missing--;
      }
    }
    return 'accepted';
  }

  /** The next complete message in message_seq order, without taking it; undefined when none is. */
  peek(): HandshakeMessage | undefined {
    const p = this.pending.get(this.nextSeq);
    if (!p || p.missing > 0) return undefined;
    return { type: p.type, seq: this.nextSeq, epoch: p.epoch, body: p.body };
  }

  /** Take the next complete message in message_seq order, or undefined. */
  next(): HandshakeMessage | undefined {
    const message = this.peek();
    if (message) {
      this.forget(this.nextSeq);
      this.nextSeq++;
    }
    return message;
  }

  /** Drop what is held for the next message_seq and keep waiting for it (the peer may send the real one). */
  discardNext(): void {
    this.forget(this.nextSeq);
  }

  private forget(seq: number): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    this.bufferedBytes -= p.filled ? p.body.byteLength * 2 : p.body.byteLength;
  }

  /** Forget everything buffered and expect `seq` next. */
  reset(seq: number): void {
    this.pending.clear();
    this.bufferedBytes = 0;
    this.nextSeq = seq;
  }

  get buffered(): number {
    return this.bufferedBytes;
  }
}
