import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { AesCmKeystream, KeystreamBatch } from '../../src/srtp/aes-cm.js';
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

describe('batched keystream', () => {
  it('serves exactly the per-packet keystream through index jumps, reordering, growth and SSRC changes', () => {
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const batched = new AesCmKeystream(key);
    const direct = new AesCmKeystream(key);
    const source = {
      writeIv(ssrc: number, index: number, iv: Uint8Array): void {
        iv.set(salt);
        iv[14] = 0;
        iv[15] = 0;
        iv[7]! ^= ssrc & 0xff;
        iv[13]! ^= index & 0xff;
        iv[12]! ^= (index >>> 8) & 0xff;
        iv[11]! ^= (index >>> 16) & 0xff;
      },
    };
    const batch = new KeystreamBatch();
    const requests: [ssrc: number, index: number, blocks: number, first: number][] = [
      [1, 100, 11, 0],
      [1, 101, 11, 0],
      [1, 103, 11, 0],
      [1, 102, 11, 0], // reordered inside the batch
      [1, 104, 76, 0], // larger packet: refill
      [1, 105, 3, 0],
      [1, 99, 11, 0], // behind the batch
      [1, 65535, 5, 0],
      [1, 65536, 5, 0], // across the 16-bit sequence wrap
      [2, 65537, 5, 0], // another SSRC sharing the object
      [2, 65538, 5, 1], // GCM-style counter start
      [2, 200_000, 2, 1], // far jump
    ];
    for (const [ssrc, index, blocks, first] of requests) {
      const got = toHex(batched.batched(batch, source, ssrc, index, blocks, first));
      source.writeIv(ssrc, index, direct.iv);
      assert.equal(got, toHex(direct.generate(blocks, first)), `ssrc ${ssrc} index ${index}`);
    }
  });
});
