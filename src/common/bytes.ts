/**
 * Bounds-checked big-endian reader and writer over Uint8Array.
 * Readers never copy: `bytes(n)` returns a view into the underlying buffer.
 */

/** Thrown when a read would go past the end of the input. Parsers catch it and drop the datagram. */
export class TruncatedError extends Error {
  override name = 'TruncatedError';
}

export class ByteReader {
  readonly data: Uint8Array;
  private readonly view: DataView;
  offset: number;
  private readonly end: number;

  constructor(data: Uint8Array, offset = 0, length = data.byteLength - offset) {
    if (offset < 0 || length < 0 || offset + length > data.byteLength) {
      throw new RangeError(`ByteReader window ${offset}+${length} exceeds ${data.byteLength} bytes`);
    }
    // A Node Buffer's slice() shares memory; normalizing to a plain Uint8Array makes every view we hand
    // out behave as Uint8Array (slice copies, subarray shares).
    this.data = Buffer.isBuffer(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.offset = offset;
    this.end = offset + length;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end) {
      throw new TruncatedError(`need ${n} bytes at offset ${at}, only ${this.end - at} left`);
    }
    this.offset = at + n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2));
  }
  u24(): number {
    const at = this.need(3);
    return (this.view.getUint8(at) << 16) | this.view.getUint16(at + 1);
  }
  u32(): number {
    return this.view.getUint32(this.need(4));
  }
  u48(): number {
    const at = this.need(6);
    return this.view.getUint16(at) * 0x1_0000_0000 + this.view.getUint32(at + 2);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.need(8));
  }
  /** A view (no copy) of the next n bytes. */
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.data.subarray(at, at + n);
  }
  skip(n: number): void {
    this.need(n);
  }
  /** A reader over the next n bytes; this reader moves past them. */
  sub(n: number): ByteReader {
    const at = this.need(n);
    return new ByteReader(this.data, at, n);
  }
}

/** A growable big-endian writer. `finish()` returns a view of exactly the bytes written. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  offset = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): number {
    const at = this.offset;
    if (at + n > this.buf.byteLength) {
      let cap = this.buf.byteLength * 2;
      while (cap < at + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.offset = at + n;
    return at;
  }

  u8(v: number): this {
    const at = this.ensure(1);
    this.view.setUint8(at, v);
    return this;
  }
  u16(v: number): this {
    const at = this.ensure(2);
    this.view.setUint16(at, v);
    return this;
  }
  u24(v: number): this {
    const at = this.ensure(3);
    this.view.setUint8(at, (v >>> 16) & 0xff);
    this.view.setUint16(at + 1, v & 0xffff);
    return this;
  }
  u32(v: number): this {
    const at = this.ensure(4);
    this.view.setUint32(at, v >>> 0);
    return this;
  }
  u48(v: number): this {
    const at = this.ensure(6);
    this.view.setUint16(at, Math.floor(v / 0x1_0000_0000));
    this.view.setUint32(at + 2, v >>> 0);
    return this;
  }
  u64(v: bigint): this {
    const at = this.ensure(8);
    this.view.setBigUint64(at, v);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.ensure(b.byteLength);
    this.buf.set(b, at);
    return this;
  }
  zeros(n: number): this {
    const at = this.ensure(n);
    this.buf.fill(0, at, at + n);
    return this;
  }
  /** Overwrite a u16 already written at `at` (for length fields filled in later). */
  setU16(at: number, v: number): void {
    this.view.setUint16(at, v);
  }
  setU24(at: number, v: number): void {
    this.view.setUint8(at, (v >>> 16) & 0xff);
    this.view.setUint16(at + 1, v & 0xffff);
  }
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0);
  }
  /** A view of the bytes written so far (shares memory with the writer until it grows). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.offset);
  }
}

/** A copy that never shares memory, whether `b` is a Uint8Array or a Node Buffer (whose slice() shares). */
export function copyBytes(b: Uint8Array, start = 0, end = b.byteLength): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}

/** A plain Uint8Array view of the same memory (turns a Node Buffer into a Uint8Array without copying). */
export function asUint8Array(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(b: Uint8Array, separator = ''): string {
  let s = '';
  for (let i = 0; i < b.byteLength; i++) {
    if (i > 0 && separator) s += separator;
    s += b[i]!.toString(16).padStart(2, '0');
  }
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError(`not a hex string: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
