/**
 * Randomness. Every engine and runtime object that needs random values takes a `RandomSource`, so a whole
 * connection can run reproducibly from a seed in tests; the default is the system CSPRNG. Seeded sources are
 * for simulation only: they are not cryptographically secure.
 */
import { randomFillSync, randomUUID } from 'node:crypto';

/** Where random bytes come from. */
export interface RandomSource {
  /** Fill `target` with random bytes and return it. */
  fill(target: Uint8Array): Uint8Array;
}

/** Requests up to this many bytes are served from the pool below; larger ones go to node:crypto directly. */
const POOLED_MAX = 64;
/** Refilled from node:crypto when a request does not fit in what is left. */
const POOL_BYTES = 2048;
let pool: Uint8Array | undefined;
let poolAt = POOL_BYTES;

/**
 * The system CSPRNG (node:crypto). Small requests (ICE credentials, tie-breakers, DTLS randoms, SCTP tags:
 * ~27 of 4–32 bytes per connection pair) are cut from a per-process pool of CSPRNG output, each byte handed
 * out once and zeroed in the pool as it leaves: one `randomFillSync` call costs 6–30 µs on the shared
 * machine whatever its size up to a few KiB, and the setup path made one per value.
 */
export const cryptoRandom: RandomSource = {
  fill(target: Uint8Array): Uint8Array {
    const n = target.byteLength;
    if (n > POOLED_MAX) return randomFillSync(target);
    if (pool === undefined || poolAt + n > POOL_BYTES) {
      pool ??= new Uint8Array(POOL_BYTES);
      randomFillSync(pool);
      poolAt = 0;
    }
    const end = poolAt + n;
    target.set(pool.subarray(poolAt, end));
    pool.fill(0, poolAt, end);
    poolAt = end;
    return target;
  },
};

/**
 * A deterministic source from a 32-bit seed (xorshift128+ over 64-bit halves, seeded with splitmix32).
 * For simulations and tests only.
 */
export class SeededRandom implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next() | 1;
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** xoshiro128** step: one 32-bit value. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  fill(target: Uint8Array): Uint8Array {
    for (let i = 0; i < target.length; i += 4) {
      let v = this.nextUint32();
      for (let j = i; j < i + 4 && j < target.length; j++) {
        target[j] = v & 0xff;
        v >>>= 8;
      }
    }
    return target;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function randomBytes(n: number, source: RandomSource = cryptoRandom): Uint8Array {
  return source.fill(new Uint8Array(n));
}

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A string of ice-chars (RFC 8839 §5.4), as used for ufrag and password. */
export function randomIceString(length: number, source: RandomSource = cryptoRandom): string {
  const b = randomBytes(length, source);
  let s = '';
  for (let i = 0; i < length; i++) s += ICE_CHARS[b[i]! & 63];
  return s;
}

export function randomUint32(source: RandomSource = cryptoRandom): number {
  const b = randomBytes(4, source);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** A 64-bit unsigned value, for tie-breakers and session ids. */
export function randomUint64(source: RandomSource = cryptoRandom): bigint {
  const b = randomBytes(8, source);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** A uniform integer in [0, max), without modulo bias. */
export function randomIntBelow(max: number, source: RandomSource = cryptoRandom): number {
  if (!Number.isInteger(max) || max <= 0 || max > 2 ** 32) throw new RangeError(`bad bound ${max}`);
  const limit = 2 ** 32 - (2 ** 32 % max);
  for (;;) {
    const v = randomUint32(source);
    if (v < limit) return v % max;
  }
}

/** A uniform double in [0, 1). */
export function randomUnit(source: RandomSource = cryptoRandom): number {
  return randomUint32(source) / 2 ** 32;
}

/** An RFC 4122 version 4 UUID. */
export function uuid(source: RandomSource = cryptoRandom): string {
  if (source === cryptoRandom) return randomUUID();
  const b = randomBytes(16, source);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
