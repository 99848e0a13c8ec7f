/**
 * AES counter-mode keystream (RFC 3711 §4.1.1) without a cipher object per packet: one AES-ECB cipher per
 * session key is kept for the session's life, and each packet's keystream is one ECB call over a buffer of
 * counter blocks (IV, IV+1, …). ECB without padding is stateless per block, so the cipher is never
 * finalised and can be reused indefinitely. The XOR runs on 32-bit words when the data is aligned.
 */
import { type Cipher, createCipheriv } from 'node:crypto';

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** Most keystream bytes one batch precomputes, and most packets it covers. */
const BATCH_BYTES = 8 * 1024;
const BATCH_PACKETS = 16;

/** Writes the IV (bytes 14–15 zero) of a stream's packet `index`; implemented by the profile's cipher. */
export interface IvSource {
  writeIv(ssrc: number, index: number, iv: Uint8Array): void;
}

/**
 * Keystream precomputed for a run of upcoming packet indices of one stream (one ECB call covers up to 16
 * packets or 8 KiB, since the per-call cost of `update` outweighs the AES work on short packets). Owned
 * by the stream's state; a miss (reordering far back, a larger packet) refills from the requested index.
 */
export class KeystreamBatch {
  ssrc = -1;
  first = -1;
  count = 0;
  blocksPer = 0;
  firstCounter = 0;
  data: Uint8Array = new Uint8Array(0);
}

export class AesCmKeystream {
  private readonly ecb: Cipher;
  private counters: Uint32Array;
  /** The IV of the packet being processed, written by the caller (bytes 14–15 must be zero). */
  readonly iv = new Uint8Array(16);
  private readonly iv32 = new Uint32Array(this.iv.buffer);

  constructor(key: Uint8Array) {
    if (key.byteLength !== 16 && key.byteLength !== 32)
      throw new RangeError('AES key must be 16 or 32 bytes');
    this.ecb = createCipheriv(key.byteLength === 16 ? 'aes-128-ecb' : 'aes-256-ecb', key, null);
    this.ecb.setAutoPadding(false);
    this.counters = new Uint32Array(4 * 96); // 1536 bytes of keystream; grows on demand
  }

  /** XOR the keystream for `this.iv` into data[offset, offset + length). */
  xorInPlace(data: Uint8Array, offset: number, length: number): void {
    if (length <= 0) return;
    xorInto(data, offset, length, this.generate((length + 15) >>> 4, 0));
  }

  /**
   * Keystream for packet `index` of the stream described by `source`: `blocks` blocks from counter
   * `firstCounter`, served from `batch` and refilled with the next indices on a miss. Clobbers `this.iv`.
   */
  batched(
    batch: KeystreamBatch,
    source: IvSource,
    ssrc: number,
    index: number,
    blocks: number,
    firstCounter: number,
  ): Uint8Array {
    let k = index - batch.first;
    if (
      k < 0 ||
      k >= batch.count ||
      blocks > batch.blocksPer ||
      firstCounter !== batch.firstCounter ||
      ssrc !== batch.ssrc
    ) {
      const per = Math.max(blocks, ssrc === batch.ssrc ? batch.blocksPer : 0);
      const count = Math.max(1, Math.min(BATCH_PACKETS, Math.floor(BATCH_BYTES / (per * 16))));
      if (this.counters.length < count * per * 4) this.counters = new Uint32Array(count * per * 4);
      const c = this.counters;
      for (let p = 0; p < count; p++) {
        source.writeIv(ssrc, index + p, this.iv);
        this.fillCounters(c, p * per * 4, per, firstCounter);
      }
      const out = this.ecb.update(new Uint8Array(c.buffer, 0, count * per * 16));
      batch.data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength); // plain view: cheap subarray
      batch.ssrc = ssrc;
      batch.first = index;
      batch.count = count;
      batch.blocksPer = per;
      batch.firstCounter = firstCounter;
      k = 0;
    }
    const at = k * batch.blocksPer * 16;
    return batch.data.subarray(at, at + blocks * 16);
  }

  private fillCounters(c: Uint32Array, at: number, blocks: number, firstCounter: number): void {
    const w0 = this.iv32[0]!;
    const w1 = this.iv32[1]!;
    const w2 = this.iv32[2]!;
    const w3 = this.iv32[3]!;
    for (let j = firstCounter, end = at + blocks * 4; at < end; j++, at += 4) {
      c[at] = w0;
      c[at + 1] = w1;
      c[at + 2] = w2;
      c[at + 3] = LITTLE_ENDIAN ? w3 | ((j & 0xff) << 24) | ((j >>> 8) << 16) : w3 | j;
    }
  }

  /**
   * Keystream blocks E(IV + firstCounter), E(IV + firstCounter + 1), … as one ECB call; the counter fills
   * bytes 14–15 (the caller keeps the IV's own bytes there zero). Valid until the next call.
   */
  generate(blocks: number, firstCounter: number): Uint8Array {
    if (firstCounter + blocks > 0x10000)
      throw new RangeError('AES-CM keystream limited to 2^16 blocks per packet');
    if (this.counters.length < blocks * 4) this.counters = new Uint32Array(blocks * 4);
    this.fillCounters(this.counters, 0, blocks, firstCounter);
    const c = this.counters;
    return this.ecb.update(new Uint8Array(c.buffer, 0, blocks * 16));
  }
}

/**
 * 32-bit word views over whole ArrayBuffers, cached: packets come from Node's 8 KiB pool slabs and batches
 * from one keystream buffer, so consecutive calls mostly hit the same buffer and need no new view.
 */
class WordViews {
  private buffer: ArrayBufferLike | undefined;
  private words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  /** A view covering at least bytes [0, end) of `buffer`. */
  get(buffer: ArrayBufferLike, end: number): Uint32Array {
    if (buffer !== this.buffer || end > this.words.byteLength) {
      this.buffer = buffer;
      this.words = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    }
    return this.words;
  }
}
const dataWords = new WordViews();
const keyWords = new WordViews();

/** data[offset + i] ^= ks[ksOffset + i] for i < length. */
export function xorInto(
  data: Uint8Array,
  offset: number,
  length: number,
  ks: Uint8Array,
  ksOffset = 0,
): void {
  const start = data.byteOffset + offset;
  const ksStart = ks.byteOffset + ksOffset;
  let i = 0;
  if ((start & 3) === 0 && (ksStart & 3) === 0) {
    const words = length >>> 2;
    const d32 = dataWords.get(data.buffer, start + words * 4);
    const k32 = keyWords.get(ks.buffer, ksStart + words * 4);
    const d0 = start >>> 2;
    const k0 = ksStart >>> 2;
    for (let w = 0; w < words; w++) d32[d0 + w]! ^= k32[k0 + w]!;
    i = words << 2;
  }
  for (; i < length; i++) data[offset + i]! ^= ks[ksOffset + i]!;
}
