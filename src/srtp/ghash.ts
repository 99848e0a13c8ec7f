/**
 * GHASH (NIST SP 800-38D §6.4) in JavaScript with Shoup's 8-bit tables: 4 KiB per key, 16 table steps per
 * block. Node cannot re-IV a GCM object, so a native GCM costs one cipher object per packet (≈ 2 µs before
 * any work); for short packets this GHASH plus a reused AES-ECB keystream is cheaper (see docs/rtp-srtp.md).
 * Field elements are four big-endian 32-bit words, most significant (x^0 end) first.
 */

/** Multiply by x: shift right one bit, folding x^128 back as x^7 + x^2 + x + 1. */
function mulX(v: Int32Array): void {
  const lsb = v[3]! & 1;
  v[3] = (v[3]! >>> 1) | (v[2]! << 31);
  v[2] = (v[2]! >>> 1) | (v[1]! << 31);
  v[1] = (v[1]! >>> 1) | (v[0]! << 31);
  v[0] = v[0]! >>> 1;
  if (lsb) v[0] = v[0]! ^ 0xe1000000;
}

/** R[b]: what the byte b shifted out by a multiplication by x^8 folds into the top word. */
const R = new Int32Array(256);
for (let b = 0; b < 256; b++) {
  const v = Int32Array.of(0, 0, 0, b);
  for (let i = 0; i < 8; i++) mulX(v);
  R[b] = v[0]!;
}

export class Ghash {
  /** M[b] = b·H for every byte value b (4 words each). */
  private readonly M = new Int32Array(256 * 4);
  private readonly y = new Int32Array(4);
  private readonly pad = new Uint8Array(16);
  private readonly padView = new DataView(this.pad.buffer);
  private viewBuffer: ArrayBufferLike | undefined;
  private view: DataView<ArrayBufferLike> = this.padView;

  /** `h` is the hash subkey E_K(0^128). */
  constructor(h: Uint8Array) {
    const v = new Int32Array(4);
    const hv = new DataView(h.buffer, h.byteOffset, 16);
    for (let i = 0; i < 4; i++) v[i] = hv.getInt32(i * 4);
    for (let bit = 0x80; bit >= 1; bit >>= 1) {
      this.M.set(v, bit * 4);
      mulX(v);
    }
    for (let b = 2; b < 256; b++) {
      const hi = 1 << (31 - Math.clz32(b));
      if (b !== hi)
        for (let k = 0; k < 4; k++) this.M[b * 4 + k] = this.M[hi * 4 + k]! ^ this.M[(b - hi) * 4 + k]!;
    }
  }

  reset(): void {
    this.y.fill(0);
  }

  /** Absorb data[offset, offset + length), zero-padding a final partial block. */
  update(data: Uint8Array, offset: number, length: number): void {
    const full = length >>> 4;
    if (full) {
      if (data.buffer !== this.viewBuffer || data.byteOffset + offset + full * 16 > this.view.byteLength) {
        this.viewBuffer = data.buffer;
        this.view = new DataView(data.buffer); // whole-buffer view, reused while packets share a pool slab
      }
      this.blocks(this.view, data.byteOffset + offset, full);
    }
    const rest = length & 15;
    if (rest) {
      this.pad.fill(0);
      this.pad.set(data.subarray(offset + full * 16, offset + length));
      this.blocks(this.padView, 0, 1);
    }
  }

  /** Absorb the length block (bit lengths of the AAD and the ciphertext) and write the hash to `out`. */
  finish(aadBytes: number, textBytes: number, out: Uint8Array): void {
    const p = this.padView;
    p.setUint32(0, 0);
    p.setUint32(4, aadBytes * 8);
    p.setUint32(8, 0);
    p.setUint32(12, textBytes * 8);
    this.blocks(p, 0, 1);
    for (let i = 0; i < 4; i++) {
      const w = this.y[i]!;
      out[i * 4] = w >>> 24;
      out[i * 4 + 1] = (w >>> 16) & 0xff;
      out[i * 4 + 2] = (w >>> 8) & 0xff;
      out[i * 4 + 3] = w & 0xff;
    }
  }

  private blocks(data: DataView, offset: number, count: number): void {
    const M = this.M;
    let y0 = this.y[0]!;
    let y1 = this.y[1]!;
    let y2 = this.y[2]!;
    let y3 = this.y[3]!;
    for (let n = 0; n < count; n++, offset += 16) {
      const x0 = y0 ^ data.getInt32(offset);
      const x1 = y1 ^ data.getInt32(offset + 4);
      const x2 = y2 ^ data.getInt32(offset + 8);
      const x3 = y3 ^ data.getInt32(offset + 12);
      const z = mulH(M, x0, x1, x2, x3);
      y0 = z[0];
      y1 = z[1];
      y2 = z[2];
      y3 = z[3];
    }
    this.y[0] = y0;
    this.y[1] = y1;
    this.y[2] = y2;
    this.y[3] = y3;
  }
}

const product: [number, number, number, number] = [0, 0, 0, 0];

/** x·H by Horner's rule over the bytes of x, last byte first (unrolled). */
function mulH(
  M: Int32Array,
  x0: number,
  x1: number,
  x2: number,
  x3: number,
): [number, number, number, number] {
  let z0: number;
  let z1: number;
  let z2: number;
  let z3: number;
  let r: number;
  let m: number;
  m = (x3 & 0xff) << 2;
  z0 = M[m]!;
  z1 = M[m + 1]!;
  z2 = M[m + 2]!;
  z3 = M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = ((x3 >>> 8) & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = ((x3 >>> 16) & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = (x3 >>> 24) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = (x2 & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = ((x2 >>> 8) & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = ((x2 >>> 16) & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = (x2 >>> 24) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = (x1 & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = ((x1 >>> 8) & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = ((x1 >>> 16) & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = (x1 >>> 24) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = (x0 & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = ((x0 >>> 8) & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = ((x0 >>> 16) & 0xff) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  r = z3 & 0xff;
  z3 = (z3 >>> 8) | (z2 << 24);
  z2 = (z2 >>> 8) | (z1 << 24);
  z1 = (z1 >>> 8) | (z0 << 24);
  z0 = (z0 >>> 8) ^ R[r]!;
  m = (x0 >>> 24) << 2;
  z0 ^= M[m]!;
  z1 ^= M[m + 1]!;
  z2 ^= M[m + 2]!;
  z3 ^= M[m + 3]!;
  product[0] = z0;
  product[1] = z1;
  product[2] = z2;
  product[3] = z3;
  return product;
}
