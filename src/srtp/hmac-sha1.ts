/**
 * HMAC-SHA1 (RFC 2104) for SRTP authentication without a crypto object per packet: the padded keys are
 * precomputed and each MAC is two one-shot `crypto.hash` calls (Node ≥ 20.12). The inner hash reads
 * [ipad | message] from one buffer, so callers that own 64 bytes of headroom before the message avoid
 * any copy. Older Node falls back to `createHmac`.
 */
import { createHmac, hash as oneShotHash } from 'node:crypto';

const hasOneShotHash = typeof oneShotHash === 'function';
const BLOCK = 64;

export class HmacSha1 {
  private readonly key: Uint8Array;
  private readonly ipad = new Uint8Array(BLOCK);
  private readonly outer = new Uint8Array(BLOCK + 20);
  private scratch = new Uint8Array(BLOCK + 1600);

  constructor(key: Uint8Array) {
    if (key.byteLength > BLOCK) throw new RangeError('HMAC key longer than a block');
    this.key = key.slice();
    this.ipad.fill(0x36);
    this.outer.fill(0x5c, 0, BLOCK);
    for (let i = 0; i < key.byteLength; i++) {
      this.ipad[i]! ^= key[i]!;
      this.outer[i]! ^= key[i]!;
    }
  }

  /**
   * MAC of buf[start, end) where buf[start - 64, start) is scratch space this call may overwrite.
   * Returns the 20-byte digest (a fresh buffer).
   */
  macWithHeadroom(buf: Uint8Array, start: number, end: number): Uint8Array {
    if (!hasOneShotHash) return createHmac('sha1', this.key).update(buf.subarray(start, end)).digest();
    buf.set(this.ipad, start - BLOCK);
    return this.finish(oneShotHash('sha1', buf.subarray(start - BLOCK, end), 'buffer'));
  }

  /** MAC of `message || suffix` (suffix: e.g. the 4-byte ROC), copying into internal scratch. */
  mac(message: Uint8Array, suffix?: Uint8Array): Uint8Array {
    const total = message.byteLength + (suffix?.byteLength ?? 0);
    if (!hasOneShotHash) {
      const h = createHmac('sha1', this.key).update(message);
      if (suffix) h.update(suffix);
      return h.digest();
    }
    if (this.scratch.byteLength < BLOCK + total) this.scratch = new Uint8Array(BLOCK + total);
    const s = this.scratch;
    s.set(this.ipad, 0);
    s.set(message, BLOCK);
    if (suffix) s.set(suffix, BLOCK + message.byteLength);
    return this.finish(oneShotHash('sha1', s.subarray(0, BLOCK + total), 'buffer'));
  }

  private finish(inner: Uint8Array): Uint8Array {
    this.outer.set(inner, BLOCK);
    return oneShotHash('sha1', this.outer, 'buffer');
  }
}

/** Compare the first `length` bytes of a and b[bOffset…] without an early exit. */
export function tagsEqual(a: Uint8Array, b: Uint8Array, bOffset: number, length: number): boolean {
  let diff = 0;
  for (let i = 0; i < length; i++) diff |= a[i]! ^ b[bOffset + i]!;
  return diff === 0;
}
