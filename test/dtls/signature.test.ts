import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignatureScheme } from '../../src/dtls/constants.js';
import { chooseSignatureScheme, signWith, verifyWith } from '../../src/dtls/signature.js';
import { testCertificates } from './harness.js';

describe('handshake signatures', () => {
  it('signs and verifies with every scheme that fits the key, and refuses the others', async () => {
    const { ecdsa, p384, rsa } = await testCertificates();
    const data = randomBytes(300);
    const cases = [
      [ecdsa, [SignatureScheme.ecdsaSecp256r1Sha256, SignatureScheme.ecdsaSecp384r1Sha384]],
      [p384, [SignatureScheme.ecdsaSecp384r1Sha384, SignatureScheme.ecdsaSecp256r1Sha256]],
      [
        rsa,
        [
          SignatureScheme.rsaPssRsaeSha256,
          SignatureScheme.rsaPkcs1Sha256,
          SignatureScheme.rsaPssRsaeSha384,
          SignatureScheme.rsaPkcs1Sha384,
        ],
      ],
    ] as const;
    for (const [cert, schemes] of cases) {
      const publicKey = new X509Certificate(cert.der).publicKey;
      for (const scheme of schemes) {
        const signature = signWith(cert.privateKey, scheme, data);
        assert.ok(verifyWith(publicKey, scheme, data, signature), `scheme ${scheme.toString(16)}`);
        const tampered = Uint8Array.from(data);
        tampered[0]! ^= 1;
        assert.equal(verifyWith(publicKey, scheme, tampered, signature), false);
        assert.equal(verifyWith(publicKey, scheme, data, signature.subarray(1)), false);
      }
    }
    // A signature scheme for the wrong key type, or unknown, never verifies (and never throws).
    const ecKey = new X509Certificate(ecdsa.der).publicKey;
    const pkcs1 = signWith(rsa.privateKey, SignatureScheme.rsaPkcs1Sha256, data);
    assert.equal(verifyWith(ecKey, SignatureScheme.rsaPkcs1Sha256, data, pkcs1), false);
    assert.equal(verifyWith(ecKey, 0x0201, data, pkcs1), false);
    // PKCS#1 and PSS are not interchangeable.
    const rsaKey = new X509Certificate(rsa.der).publicKey;
    assert.equal(verifyWith(rsaKey, SignatureScheme.rsaPssRsaeSha256, data, pkcs1), false);
  });

  it('chooses the scheme our key can make from what the peer accepts', () => {
    assert.equal(chooseSignatureScheme('ecdsa-p256', undefined), SignatureScheme.ecdsaSecp256r1Sha256);
    assert.equal(chooseSignatureScheme('ecdsa-p384', [0x0403, 0x0503]), SignatureScheme.ecdsaSecp384r1Sha384);
    assert.equal(chooseSignatureScheme('rsa', [0x0401]), SignatureScheme.rsaPkcs1Sha256);
    assert.equal(chooseSignatureScheme('rsa', [0x0403]), undefined);
  });
});
