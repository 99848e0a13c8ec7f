/**
 * The native AEAD against node:crypto and the TypeScript record path: every DTLS AEAD suite and raw
 * AES-128/256-GCM and ChaCha20-Poly1305, random keys, nonces, AAD and text lengths (0 and odd included),
 * in place and into another buffer; both paths give the same bytes and open each other's records;
 * any tampered bit is refused.
 */
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { bytesEqual, toHex } from '../../src/common/bytes.js';
import { type AeadAlgorithm, INLINE_AAD, NativeAead } from '../../src/common/native.js';
import { CIPHER_SUITES } from '../../src/dtls/cipher-suites.js';
import { epochKeysFromKeyBlock, keyBlockLength } from '../../src/dtls/record-cipher.js';
import { Prng } from '../sim/network.js';
import { native, needsAddon } from './addon.js';

const ALGORITHMS: [AeadAlgorithm, number][] = [
  ['aes-128-gcm', 16],
  ['aes-256-gcm', 32],
  ['chacha20-poly1305', 32],
];

function reference(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  text: Uint8Array,
) {
  const c =
    algorithm === 'chacha20-poly1305'
      ? createCipheriv(algorithm, key, nonce, { authTagLength: 16 })
      : createCipheriv(algorithm, key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: text.byteLength });
  return Buffer.concat([c.update(text), c.final(), c.getAuthTag()]);
}

function lengths(rng: Prng): number[] {
  const out = [0, 1, 15, 16, 17, 31, 33, 255, 1199, 1200, 1201, 1500, 16_384];
  for (let i = 0; i < 20; i++) out.push(rng.int(2000));
  return out;
}

describe('native AEAD', () => {
  for (const [algorithm, keyLength] of ALGORITHMS) {
    it(
      `${algorithm}: seal matches node:crypto for random keys, nonces, AAD and lengths; open inverts it`,
      needsAddon,
      () => {
        const rng = new Prng(keyLength * 7 + algorithm.length);
        for (const length of lengths(rng)) {
          const key = randomBytes(keyLength);
          const aead = new NativeAead(native.addon!, algorithm, key);
          const nonce = randomBytes(12);
          const aadLength = rng.int(65);
          const aad = randomBytes(aadLength);
          const text = randomBytes(length);
          const want = reference(algorithm, key, nonce, aad, text);

          // Separate buffers at odd offsets, inline AAD.
          const out = new Uint8Array(length + 16 + 7);
          aead.nonce.set(nonce);
          aead.aad.set(aad);
          const src = new Uint8Array(length + 3);
          src.set(text, 3);
          aead.seal(src, 3, length, out, 5, INLINE_AAD, aadLength);
          assert.equal(toHex(out.subarray(5, 5 + length + 16)), toHex(want), `seal, length ${length}`);

          // In place, AAD taken from the same buffer just before the text (as SRTP does).
          const packet = new Uint8Array(1 + aadLength + length + 16);
          packet.set(aad, 1);
          packet.set(text, 1 + aadLength);
          aead.seal(packet, 1 + aadLength, length, undefined, 0, 1, aadLength);
          assert.equal(toHex(packet.subarray(1 + aadLength)), toHex(want), `in place, length ${length}`);

          // Open into another buffer and in place.
          const plain = new Uint8Array(length);
          assert.equal(aead.open(out, 5, length, plain, 0, INLINE_AAD, aadLength), true);
          assert.ok(bytesEqual(plain, text));
          assert.equal(aead.open(packet, 1 + aadLength, length, undefined, 0, 1, aadLength), true);
          assert.ok(bytesEqual(packet.subarray(1 + aadLength, 1 + aadLength + length), text));
        }
      },
    );

    it(
      `${algorithm}: any flipped bit of text, tag, AAD or nonce is refused; in place the bytes stay as they were`,
      needsAddon,
      () => {
        const rng = new Prng(99 + keyLength);
        const key = randomBytes(keyLength);
        const aead = new NativeAead(native.addon!, algorithm, key);
        for (const length of [0, 1, 17, 300]) {
          const nonce = randomBytes(12);
          const aad = randomBytes(13);
          const sealed = reference(algorithm, key, nonce, aad, randomBytes(length));
          for (let trial = 0; trial < 40; trial++) {
            const target = rng.int(3);
            const box = new Uint8Array(sealed);
            const n = Uint8Array.from(nonce);
            const a = Uint8Array.from(aad);
            if (target === 0) box[rng.int(box.length)]! ^= 1 << rng.int(8);
            else if (target === 1) a[rng.int(a.length)]! ^= 1 << rng.int(8);
            else n[rng.int(12)]! ^= 1 << rng.int(8);
            const before = box.slice();
            aead.nonce.set(n);
            aead.aad.set(a);
            assert.equal(aead.open(box, 0, length, undefined, 0, INLINE_AAD, 13), false);
            assert.ok(bytesEqual(box, before), 'a refused in-place open leaves the bytes alone');
            const out = new Uint8Array(length).fill(0xee);
            assert.equal(aead.open(box, 0, length, out, 0, INLINE_AAD, 13), false);
            assert.ok(
              out.every((b) => b === 0),
              'a refused open into another buffer leaves zeros, no plaintext',
            );
          }
          // And the context still works after the failures.
          aead.nonce.set(nonce);
          aead.aad.set(aad);
          assert.equal(aead.open(new Uint8Array(sealed), 0, length, undefined, 0, INLINE_AAD, 13), true);
        }
      },
    );
  }

  for (const suite of CIPHER_SUITES.filter((s) => s.kind !== 'aes-cbc-hmac-sha1')) {
    it(
      `DTLS ${suite.name}: native and TypeScript records are identical and open each other`,
      needsAddon,
      () => {
        const rng = new Prng(suite.id);
        const block = randomBytes(keyBlockLength(suite));
        const n = epochKeysFromKeyBlock(suite, block, 'native');
        const t = epochKeysFromKeyBlock(suite, block, 'typescript');
        for (const length of lengths(rng)) {
          const sequence = rng.int(2 ** 32) * 4096 + rng.int(4096); // 44 bits, high half included
          const epoch = 1 + rng.int(3);
          const text = randomBytes(length);
          const a = n.clientWrite.seal(23, epoch, sequence, text);
          const b = t.clientWrite.seal(23, epoch, sequence, text);
          assert.equal(toHex(a), toHex(b), `length ${length}`);
          const fromNative = t.clientWrite.open(23, epoch, sequence, a.subarray(13));
          const fromTs = n.clientWrite.open(23, epoch, sequence, b.subarray(13));
          assert.ok(fromNative && bytesEqual(fromNative, text));
          assert.ok(fromTs && bytesEqual(fromTs, text));
          const tampered = a.slice();
          tampered[13 + rng.int(tampered.length - 13)]! ^= 1 << rng.int(8);
          assert.equal(n.clientWrite.open(23, epoch, sequence, tampered.subarray(13)), undefined);
          assert.equal(t.clientWrite.open(23, epoch, sequence, tampered.subarray(13)), undefined);
          assert.equal(
            n.clientWrite.open(23, epoch, sequence + 1, a.subarray(13)),
            undefined,
            'wrong number',
          );
          assert.equal(n.serverWrite.open(23, epoch, sequence, a.subarray(13)), undefined, 'other direction');
        }
        // Fragments too short to hold the explicit nonce and tag are refused, not thrown on.
        for (let len = 0; len < 24; len++)
          assert.equal(n.clientWrite.open(23, 1, 1, new Uint8Array(len)), undefined, `fragment of ${len}`);
      },
    );
  }
});
