/**
 * The native SRTP ciphers against the TypeScript ones, for every profile: RTP with random CSRC counts,
 * header extensions, payload lengths (0 and odd included), SSRCs and 48-bit indices; SRTCP encrypted and
 * not (E = 0, built here with node:crypto); same bytes both ways, each opens the other's packets, and a
 * tampered packet is refused and left as it was. Plus the RFC 7714 vectors on the native engine.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { bytesEqual, fromHex, toHex } from '../../src/common/bytes.js';
import type { CipherEngine } from '../../src/common/native.js';
import { KeystreamBatch } from '../../src/srtp/aes-cm.js';
import { AesCmHmacCipher } from '../../src/srtp/aes-cm-cipher.js';
import { AesGcmCipher } from '../../src/srtp/aes-gcm-cipher.js';
import { PROTECT_HEADROOM, type SrtpCipher } from '../../src/srtp/cipher.js';
import { deriveSessionKey, LABEL } from '../../src/srtp/kdf.js';
import { SRTP_PROFILES, type SrtpProfile, type SrtpProfileName } from '../../src/srtp/profiles.js';
import { Prng } from '../sim/network.js';
import { needsAddon } from './addon.js';

interface Engines {
  native: SrtpCipher;
  /** The TypeScript path; for GCM two: JavaScript GHASH and a node:crypto cipher per packet. */
  typescript: SrtpCipher[];
}

function ciphers(p: SrtpProfile, key: Uint8Array, salt: Uint8Array): Engines {
  if (!p.aead) {
    const make = (engine: CipherEngine) => new AesCmHmacCipher(p, key, salt, engine);
    return { native: make('native'), typescript: [make('typescript')] };
  }
  const make = (engine: CipherEngine, jsMax?: number) => AesGcmCipher.fromMaster(p, key, salt, jsMax, engine);
  return { native: make('native'), typescript: [make('typescript', 1 << 20), make('typescript', 0)] };
}

function rtpPacket(rng: Prng, ssrc: number, seq: number): { packet: Uint8Array; headerLength: number } {
  const cc = rng.int(4);
  const extWords = rng.int(3) === 0 ? -1 : rng.int(5);
  let headerLength = 12 + cc * 4 + (extWords >= 0 ? 4 + extWords * 4 : 0);
  const payload =
    [0, 1, 15, 16, 17, 159, 160, 1199, 1200, 1400][rng.int(10)]! + (rng.int(2) ? rng.int(40) : 0);
  const packet = new Uint8Array(headerLength + payload);
  for (let i = 0; i < packet.length; i++) packet[i] = rng.int(256);
  packet[0] = 0x80 | cc | (extWords >= 0 ? 0x10 : 0);
  packet[2] = seq >>> 8;
  packet[3] = seq & 0xff;
  new DataView(packet.buffer).setUint32(8, ssrc);
  if (extWords >= 0) {
    const at = 12 + cc * 4;
    packet[at + 2] = 0;
    packet[at + 3] = extWords;
  }
  headerLength = Math.min(headerLength, packet.length);
  return { packet, headerLength };
}

function protectRtp(
  c: SrtpCipher,
  packet: Uint8Array,
  headerLength: number,
  ssrc: number,
  index: number,
  batch?: KeystreamBatch,
) {
  const buf = new Uint8Array(PROTECT_HEADROOM + packet.length + 20);
  buf.set(packet, PROTECT_HEADROOM);
  const n = c.protectRtp(buf, PROTECT_HEADROOM, headerLength, packet.length, ssrc, index, batch);
  return buf.slice(PROTECT_HEADROOM, PROTECT_HEADROOM + n);
}

function protectRtcp(c: SrtpCipher, packet: Uint8Array, ssrc: number, index: number) {
  const buf = new Uint8Array(PROTECT_HEADROOM + packet.length + 20);
  buf.set(packet, PROTECT_HEADROOM);
  const n = c.protectRtcp(buf, PROTECT_HEADROOM, packet.length, ssrc, index);
  return buf.slice(PROTECT_HEADROOM, PROTECT_HEADROOM + n);
}

/** An SRTCP packet with E = 0 (authenticated only), made with node:crypto from the derived keys. */
function unencryptedSrtcp(
  p: SrtpProfile,
  key: Uint8Array,
  salt: Uint8Array,
  rtcp: Uint8Array,
  ssrc: number,
  index: number,
) {
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, index);
  if (!p.aead) {
    const auth = deriveSessionKey(key, salt, LABEL.RTCP_AUTH, p.authKeyLength);
    const tag = createHmac('sha1', auth).update(rtcp).update(trailer).digest().subarray(0, p.rtcpTagLength);
    return Buffer.concat([rtcp, trailer, tag]);
  }
  const k = deriveSessionKey(key, salt, LABEL.RTCP_ENCRYPTION, p.masterKeyLength);
  const s = deriveSessionKey(key, salt, LABEL.RTCP_SALT, 12);
  const iv = s.slice();
  const v = new DataView(iv.buffer);
  v.setUint32(2, v.getUint32(2) ^ ssrc);
  v.setUint32(8, v.getUint32(8) ^ index);
  const c = createCipheriv(p.masterKeyLength === 16 ? 'aes-128-gcm' : 'aes-256-gcm', k, iv);
  c.setAAD(Buffer.concat([rtcp, trailer]));
  c.final();
  return Buffer.concat([rtcp, c.getAuthTag(), trailer]);
}

describe('native SRTP ciphers against the TypeScript ones', () => {
  for (const name of Object.keys(SRTP_PROFILES) as SrtpProfileName[]) {
    const p = SRTP_PROFILES[name];

    it(
      `${name}: SRTP, same bytes and each opens the other's packets; tampering refused, packet untouched`,
      needsAddon,
      () => {
        const rng = new Prng(0x5a + p.id);
        const key = randomBytes(p.masterKeyLength);
        const salt = randomBytes(p.masterSaltLength);
        const { native, typescript } = ciphers(p, key, salt);
        const batch = new KeystreamBatch();
        for (let i = 0; i < 300; i++) {
          const ssrc = rng.int(2 ** 32);
          const index = i < 100 ? 1000 + i : rng.int(2 ** 32) * 0x10000 + rng.int(0x10000); // ROC up to 2^32-1
          const { packet, headerLength } = rtpPacket(rng, ssrc, index & 0xffff);
          const want = protectRtp(native, packet, headerLength, ssrc, index);
          for (const ts of typescript) {
            const got = protectRtp(ts, packet, headerLength, ssrc, index, i < 100 ? batch : undefined);
            assert.equal(toHex(got), toHex(want), `packet ${i}, ${packet.length} bytes`);
            const copy = want.slice();
            assert.equal(ts.unprotectRtp(copy, headerLength, copy.length, ssrc, index), packet.length);
            assert.ok(bytesEqual(copy.subarray(0, packet.length), packet));
          }
          const copy = want.slice();
          assert.equal(native.unprotectRtp(copy, headerLength, copy.length, ssrc, index), packet.length);
          assert.ok(bytesEqual(copy.subarray(0, packet.length), packet));

          const tampered = want.slice();
          tampered[rng.int(tampered.length)]! ^= 1 << rng.int(8);
          for (const c of [native, ...typescript]) {
            const t = tampered.slice();
            assert.equal(c.unprotectRtp(t, headerLength, t.length, ssrc, index), -1, `tampered packet ${i}`);
            assert.ok(bytesEqual(t, tampered), 'a refused packet is left as it was');
          }
          const wrongIndex = want.slice();
          assert.equal(
            native.unprotectRtp(wrongIndex, headerLength, wrongIndex.length, ssrc, index + 0x10000),
            -1,
          );
        }
      },
    );

    it(`${name}: SRTCP encrypted and unencrypted, same bytes, tampering refused`, needsAddon, () => {
      const rng = new Prng(0x7c + p.id);
      const key = randomBytes(p.masterKeyLength);
      const salt = randomBytes(p.masterSaltLength);
      const { native, typescript } = ciphers(p, key, salt);
      for (let i = 0; i < 200; i++) {
        const ssrc = rng.int(2 ** 32);
        const index = i < 50 ? i : rng.int(2 ** 31);
        const rtcp = randomBytes(8 + rng.int(600));
        rtcp[0] = 0x80 | (rtcp[0]! & 0x1f);
        new DataView(rtcp.buffer, rtcp.byteOffset).setUint32(4, ssrc);
        const want = protectRtcp(native, rtcp, ssrc, index);
        for (const ts of typescript) {
          assert.equal(toHex(protectRtcp(ts, rtcp, ssrc, index)), toHex(want), `SRTCP ${i}`);
          const copy = want.slice();
          assert.equal(ts.unprotectRtcp(copy, copy.length, ssrc, index, true), rtcp.length);
          assert.ok(bytesEqual(copy.subarray(0, rtcp.length), rtcp));
        }
        const copy = want.slice();
        assert.equal(native.unprotectRtcp(copy, copy.length, ssrc, index, true), rtcp.length);
        assert.ok(bytesEqual(copy.subarray(0, rtcp.length), rtcp));

        const plain = unencryptedSrtcp(p, key, salt, rtcp, ssrc, index);
        for (const c of [native, ...typescript]) {
          const ok = new Uint8Array(plain);
          assert.equal(c.unprotectRtcp(ok, ok.length, ssrc, index, false), rtcp.length, 'E = 0 accepted');
          assert.ok(bytesEqual(ok.subarray(0, rtcp.length), rtcp), 'E = 0 is not decrypted');
          const bad = new Uint8Array(plain);
          bad[rng.int(bad.length - 4)]! ^= 1 << rng.int(8);
          const before = bad.slice();
          assert.equal(c.unprotectRtcp(bad, bad.length, ssrc, index, false), -1, 'E = 0 tampered');
          assert.ok(bytesEqual(bad, before));
          const t = want.slice();
          t[rng.int(t.length)]! ^= 1 << rng.int(8);
          const tBefore = t.slice();
          assert.equal(c.unprotectRtcp(t, t.length, ssrc, index, true), -1, 'encrypted, tampered');
          assert.ok(bytesEqual(t, tBefore));
        }
      }
    });

    it(`${name}: packets too short for their tag are refused without throwing`, needsAddon, () => {
      const { native } = ciphers(p, randomBytes(p.masterKeyLength), randomBytes(p.masterSaltLength));
      for (let len = 0; len < 40; len++) {
        const b = new Uint8Array(len);
        for (const headerLength of [0, 12, Math.min(len, 20)])
          assert.ok(native.unprotectRtp(b, headerLength, len, 1, 1) <= len);
        assert.ok(native.unprotectRtcp(b, len, 1, 1, true) <= len);
        assert.ok(native.unprotectRtcp(b, len, 1, 1, false) <= len);
      }
    });
  }

  it('RFC 7714 §16–17 vectors on the native engine', needsAddon, () => {
    const salt = fromHex('517569642070726f2071756f');
    const rtp =
      '8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573';
    const cases = [
      [
        '000102030405060708090a0b0c0d0e0f',
        'f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce',
      ],
      [
        '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
        '32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13',
      ],
    ] as const;
    for (const [key, body] of cases) {
      const c = new AesGcmCipher(
        { rtpKey: fromHex(key), rtpSalt: salt, rtcpKey: fromHex(key), rtcpSalt: salt },
        { engine: 'native' },
      );
      assert.equal(c.isNative, true);
      const packet = fromHex(rtp);
      const out = protectRtp(c, packet, 12, 0x5501a0b2, 0xf17b);
      assert.equal(toHex(out), `8040f17b8041f8d35501a0b2${body}`);
    }
  });
});
