/**
 * HMAC-SHA1 (RFC 2104) for SRTP authentication with no crypto object per packet. The ipad/opad states are
 * compressed once per key; the outer hash is then a single JavaScript compression, and the inner hash is
 * JavaScript for short messages and one native one-shot `crypto.hash` (Node ≥ 20.12) over [ipad | message]
 * for long ones, where callers that own 64 bytes of headroom before the message avoid any copy. The digest
 * lands in a buffer owned by this object and is valid until the next call.
 */
import { createHmac, hash as oneShotHash } from 'node:crypto';
import { SHA1_INIT, sha1Compress, sha1StateBytes } from './sha1.js';

const hasOneShotHash = typeof oneShotHash === 'function';
const BLOCK = 64;
/** Inner messages up to this many bytes are hashed in JavaScript (4 compressions at most, see sha1.ts). */
const JS_INNER_MAX = 4 * BLOCK - 9;

export class HmacSha1 {
  private readonly key: Uint8Array;
  private readonly ipad = new Uint8Array(BLOCK);
  private readonly ipadState = new Int32Array(5);
  private readonly opadState = new Int32Array(5);
  private readonly state = new Int32Array(5);
  private readonly tail = new Uint8Array(2 * BLOCK);
  private readonly tailView = new DataView(this.tail.buffer);
  private scratch = new Uint8Array(BLOCK + 1600);
  /** The last digest (20 bytes). */
  readonly digest = new Uint8Array(20);

  constructor(key: Uint8Array) {
    if (key.byteLength > BLOCK) throw new RangeError('HMAC key longer than a block');
    this.key = key.slice();
    const opad = new Uint8Array(BLOCK).fill(0x5c);
    this.ipad.fill(0x36);
    for (let i = 0; i < key.byteLength; i++) {
      this.ipad[i]! ^= key[i]!;
      opad[i]! ^= key[i]!;
    }
    this.ipadState.set(SHA1_INIT);
    sha1Compress(this.ipadState, new DataView(this.ipad.buffer), 0);
    this.opadState.set(SHA1_INIT);
    sha1Compress(this.opadState, new DataView(opad.buffer), 0);
  }

  /**
   * MAC of buf[start, end) where buf[start - 64, start) is scratch space this call may overwrite.
   * Returns `this.digest`.
   */
  macWithHeadroom(buf: Uint8Array, start: number, end: number): Uint8Array {
    if (end - start <= JS_INNER_MAX || !hasOneShotHash) return this.mac(buf.subarray(start, end));
    buf.set(this.ipad, start - BLOCK);
    return this.outer(oneShotHash('sha1', buf.subarray(start - BLOCK, end), 'buffer'));
  }

  /** MAC of `message || suffix` (suffix: e.g. the 4-byte ROC). Returns `this.digest`. */
  mac(message: Uint8Array, suffix?: Uint8Array): Uint8Array {
    const total = message.byteLength + (suffix?.byteLength ?? 0);
    if (total <= JS_INNER_MAX) return this.outer(this.innerJs(message, suffix, total));
    if (!hasOneShotHash) {
      const h = createHmac('sha1', this.key).update(message);
      if (suffix) h.update(suffix);
      this.digest.set(h.digest());
      return this.digest;
    }
    if (this.scratch.byteLength < BLOCK + total) this.scratch = new Uint8Array(BLOCK + total);
    const s = this.scratch;
    s.set(this.ipad, 0);
    s.set(message, BLOCK);
    if (suffix) s.set(suffix, BLOCK + message.byteLength);
    return this.outer(oneShotHash('sha1', s.subarray(0, BLOCK + total), 'buffer'));
  }

  /** Inner hash in JavaScript from the precomputed ipad state; the result is left in `this.digest`. */
  private innerJs(message: Uint8Array, suffix: Uint8Array | undefined, total: number): Uint8Array {
    const st = this.state;
    st.set(this.ipadState);
    const fullBlocks = message.byteLength >>> 6;
    if (fullBlocks) {
      const view = new DataView(message.buffer, message.byteOffset, fullBlocks * BLOCK);
      for (let b = 0; b < fullBlocks; b++) sha1Compress(st, view, b * BLOCK);
    }
    // the rest of the message, the suffix, 0x80, zeros and the bit length fill one or two tail blocks
    const tail = this.tail;
    const rest = message.byteLength - fullBlocks * BLOCK;
    tail.set(message.subarray(fullBlocks * BLOCK), 0);
    let at = rest;
    if (suffix) {
      tail.set(suffix, at);
      at += suffix.byteLength;
    }
    tail[at++] = 0x80;
    const tailBlocks = at + 8 <= BLOCK ? 1 : 2;
    const end = tailBlocks * BLOCK;
    tail.fill(0, at, end - 4);
    this.tailView.setUint32(end - 4, (BLOCK + total) * 8);
    for (let b = 0; b < tailBlocks; b++) sha1Compress(st, this.tailView, b * BLOCK);
    sha1StateBytes(st, this.digest);
    return this.digest;
  }

  /** Outer hash: one compression of [inner digest | padding] from the opad state. */
  private outer(inner: Uint8Array): Uint8Array {
    const tail = this.tail;
    tail.set(inner.subarray(0, 20), 0);
    tail[20] = 0x80;
    tail.fill(0, 21, BLOCK - 4);
    this.tailView.setUint32(BLOCK - 4, (BLOCK + 20) * 8);
    const st = this.state;
    st.set(this.opadState);
    sha1Compress(st, this.tailView, 0);
    sha1StateBytes(st, this.digest);
    return this.digest;
  }
}

/** Compare the first `length` bytes of a and b[bOffset…] without an early exit. */
export function tagsEqual(a: Uint8Array, b: Uint8Array, bOffset: number, length: number): boolean {
  let diff = 0;
  for (let i = 0; i < length; i++) diff |= a[i]! ^ b[bOffset + i]!;
  return diff === 0;
}
