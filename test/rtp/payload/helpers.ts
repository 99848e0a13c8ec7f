/** Test helpers: turn payloader output into packets, and a small seeded PRNG for payload contents. */
import type { RtpPacketLike, RtpPayloadChunk } from '../../../src/rtp/payload/index.js';

export function toPackets(chunks: RtpPayloadChunk[], firstSeq: number, timestamp: number): RtpPacketLike[] {
  return chunks.map((c, i) => ({
    payloadType: 96,
    sequenceNumber: (firstSeq + i) & 0xffff,
    timestamp,
    ssrc: 1234,
    marker: c.marker,
    payload: c.payload,
  }));
}

/** xorshift32: deterministic test data. */
export function makeRandom(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

export function randomBytes(rand: (n: number) => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rand(256));
}
