import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { AesCmKeystream } from '../../src/srtp/aes-cm.js';
import { Ghash } from '../../src/srtp/ghash.js';
import { HmacSha1 } from '../../src/srtp/hmac-sha1.js';

describe('SRTP primitives against node:crypto', () => {
  it('HMAC-SHA1 matches createHmac for every length 0–1300, with and without suffix and headroom', () => {
    const key = randomBytes(20);
    const mac = new HmacSha1(key);
    const data = randomBytes(1400);
    const roc = randomBytes(4);
    for (let len = 0; len <= 1300; len += len < 300 ? 1 : 37) {
      const msg = data.subarray(3, 3 + len);
      const want = createHmac('sha1', key).update(msg).digest('hex');
      assert.equal(toHex(mac.mac(msg)), want, `length ${len}`);
      const withRoc = createHmac('sha1', key).update(msg).update(roc).digest('hex');
      assert.equal(toHex(mac.mac(msg, roc)), withRoc, `length ${len} + suffix`);
      const buf = new Uint8Array(64 + len);
      buf.set(msg, 64);
      assert.equal(toHex(mac.macWithHeadroom(buf, 64, 64 + len)), want, `length ${len} with headroom`);
    }
  });

  it('GHASH with the AES-ECB keystream reproduces AES-GCM tags', () => {
    for (const keyLength of [16, 32]) {
      const key = randomBytes(keyLength);
      const ks = new AesCmKeystream(key);
      const ghash = new Ghash(ks.generate(1, 0).slice());
      for (const [aadLen, textLen] of [
        [0, 0],
        [12, 1],
        [12, 16],
        [20, 160],
        [13, 1199],
      ] as const) {
        const iv = randomBytes(12);
        const aad = randomBytes(aadLen);
        const text = randomBytes(textLen);
        const c = createCipheriv(keyLength === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, iv);
        c.setAAD(aad);
        const ct = c.update(text);
        c.final();
        const tag = c.getAuthTag();
        ghash.reset();
        ghash.update(aad, 0, aadLen);
        ghash.update(ct, 0, ct.byteLength);
        const s = new Uint8Array(16);
        ghash.finish(aadLen, textLen, s);
        ks.iv.set(iv);
        ks.iv.fill(0, 12);
        const j0 = ks.generate(1, 1);
        for (let i = 0; i < 16; i++) s[i]! ^= j0[i]!;
        assert.equal(toHex(s), tag.toString('hex'), `AES-${keyLength * 8} aad ${aadLen} text ${textLen}`);
      }
    }
  });
});
