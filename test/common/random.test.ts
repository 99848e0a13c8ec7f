/**
 * cryptoRandom: small requests come from a per-process pool of CSPRNG output. Every byte is handed out
 * once, across pool refills, and requests of any size fill exactly their view.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cryptoRandom, randomBytes, randomUint64 } from '../../src/common/random.js';

describe('cryptoRandom', () => {
  it('fills the target it is given and returns it', () => {
    const target = new Uint8Array(16);
    assert.equal(cryptoRandom.fill(target), target);
    assert.ok(target.some((b) => b !== 0));
  });

  it('never hands out the same pooled bytes twice, across several pool refills', () => {
    // 8-byte values: 3,000 of them span about a dozen refills of the 2 KiB pool; a repeat is a 2^-40 event.
    const seen = new Set<bigint>();
    for (let i = 0; i < 3000; i++) seen.add(randomUint64());
    assert.equal(seen.size, 3000);
  });

  it('serves requests that do not fit in what is left of the pool', () => {
    const values = new Set<string>();
    // Odd sizes up to the pooled maximum, so requests straddle the pool's end again and again.
    for (let i = 0; i < 400; i++) {
      const b = randomBytes(1 + ((i * 13) % 64));
      if (b.byteLength >= 8) values.add(Buffer.from(b).toString('hex'));
    }
    const straddling = [...values];
    assert.equal(new Set(straddling.map((v) => v.slice(0, 16))).size, straddling.length);
  });

  it('gives bytes spread over all values (pooled and direct)', () => {
    for (const size of [4, 200]) {
      const counts = new Array<number>(256).fill(0);
      const draws = Math.ceil(256_000 / size);
      for (let i = 0; i < draws; i++) for (const b of randomBytes(size)) counts[b]!++;
      // ~1,000 per value; a zeroed or repeated pool would leave this far outside.
      assert.ok(Math.min(...counts) > 800, `min count ${Math.min(...counts)} for ${size}-byte draws`);
      assert.ok(Math.max(...counts) < 1200, `max count ${Math.max(...counts)} for ${size}-byte draws`);
    }
  });

  it('fills only its view of a larger buffer', () => {
    for (const size of [5, 100]) {
      const backing = new Uint8Array(size + 8);
      cryptoRandom.fill(backing.subarray(4, 4 + size));
      assert.deepEqual([...backing.subarray(0, 4)], [0, 0, 0, 0]);
      assert.deepEqual([...backing.subarray(4 + size)], [0, 0, 0, 0]);
    }
  });
});
