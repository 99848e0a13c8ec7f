import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { bytesEqual } from '../../src/common/bytes.js';
import { CIPHER_SUITES } from '../../src/dtls/cipher-suites.js';
import { ReplayWindow } from '../../src/dtls/record.js';
import { epochKeysFromKeyBlock, keyBlockLength } from '../../src/dtls/record-cipher.js';
import { Prng } from '../sim/network.js';

describe('record protection', () => {
  for (const suite of CIPHER_SUITES.filter((s) => s.authentication === 'ecdsa')) {
    it(`${suite.kind} (${suite.name}): records open in any order, and tampering or a wrong number fails`, () => {
      const block = randomBytes(keyBlockLength(suite));
      const sender = epochKeysFromKeyBlock(suite, block).clientWrite;
      const receiver = epochKeysFromKeyBlock(suite, block).clientWrite;
      const rng = new Prng(suite.id);
      const plains = Array.from({ length: 40 }, (_, i) => randomBytes(i * 37));
      const records = plains.map((p, i) => sender.seal(23, 1, i, p));
      const order = records.map((_, i) => i).sort(() => rng.next() - 0.5);
      for (const i of order) {
        const opened = receiver.open(23, 1, i, records[i]!.subarray(13));
        assert.ok(opened && bytesEqual(opened, plains[i]!), `record ${i}`);
        assert.ok(records[i]!.byteLength - 13 - plains[i]!.byteLength <= sender.overhead);
      }
      const r = records[5]!.slice();
      r[r.length - 3]! ^= 0x10;
      assert.equal(receiver.open(23, 1, 5, r.subarray(13)), undefined, 'tampered');
      assert.equal(receiver.open(23, 1, 6, records[5]!.subarray(13)), undefined, 'wrong record number');
      assert.equal(receiver.open(22, 1, 5, records[5]!.subarray(13)), undefined, 'wrong content type');
      assert.equal(receiver.open(23, 1, 5, records[5]!.subarray(13, 20)), undefined, 'truncated');
      const other = epochKeysFromKeyBlock(suite, block).serverWrite;
      assert.equal(other.open(23, 1, 5, records[5]!.subarray(13)), undefined, 'the other direction key');
      // Still in step after the failures.
      const later = sender.seal(23, 1, 99, plains[3]!);
      assert.ok(bytesEqual(receiver.open(23, 1, 99, later.subarray(13))!, plains[3]!));
    });
  }

  it('the replay window accepts each number once, within 64 of the highest', () => {
    const w = new ReplayWindow();
    for (const n of [5, 3, 70, 7, 69]) {
      assert.ok(w.check(n), `${n} is new`);
      w.mark(n);
    }
    assert.equal(w.check(5), false, 'too old now (70 - 64)');
    assert.equal(w.check(69), false, 'seen');
    assert.equal(w.check(7), false, 'seen, at the oldest place of the window');
    assert.equal(w.check(8), true);
    assert.equal(w.check(6), false, 'just outside the window');
    w.mark(1000);
    assert.equal(w.check(936), false);
    assert.equal(w.check(937), true);
    assert.equal(w.check(70), false);
  });
});
