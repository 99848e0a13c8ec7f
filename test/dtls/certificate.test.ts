import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { RTCCertificate } from '../../src/dtls/certificate.js';
import { computeFingerprint, matchesFingerprint, RTCDtlsFingerprint } from '../../src/dtls/fingerprint.js';

describe('RTCCertificate', () => {
  it('generates an ECDSA P-256 certificate by default, valid about 30 days', async () => {
    const cert = await RTCCertificate.generateCertificate();
    assert.equal(cert.keyType, 'ecdsa-p256');
    const parsed = new X509Certificate(cert.der);
    assert.equal(parsed.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(parsed.verify(parsed.publicKey), 'self-signed signature verifies');
    const days = (cert.expires - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, `expires in ${days} days`);
  });

  it('honours the W3C dictionaries: ECDSA P-384, RSASSA-PKCS1-v1_5 and expires', async () => {
    const p384 = await RTCCertificate.generateCertificate({ name: 'ECDSA', namedCurve: 'P-384' });
    assert.equal(p384.keyType, 'ecdsa-p384');
    const rsa = await RTCCertificate.generateCertificate({
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
      expires: 3_600_000,
    });
    assert.equal(rsa.keyType, 'rsa');
    assert.equal(rsa.privateKey.asymmetricKeyDetails?.modulusLength, 2048);
    const hours = (rsa.expires - Date.now()) / 3_600_000;
    assert.ok(hours > 0 && hours <= 1, `expires in ${hours} hours`);
  });

  it('rejects unsupported algorithms with NotSupportedError', async () => {
    await assert.rejects(
      RTCCertificate.generateCertificate({ name: 'ECDSA', namedCurve: 'P-521' as 'P-256' }),
      (e: unknown) => e instanceof DOMException && e.name === 'NotSupportedError',
    );
    await assert.rejects(
      RTCCertificate.generateCertificate({ name: 'Ed25519' } as unknown as {
        name: 'ECDSA';
        namedCurve: 'P-256';
      }),
      (e: unknown) => e instanceof DOMException && e.name === 'NotSupportedError',
    );
  });

  it('gives sha-256/384/512 fingerprints in SDP form that match the DER', async () => {
    const cert = await RTCCertificate.generateCertificate();
    const fps = cert.getFingerprints();
    assert.deepEqual(
      fps.map((f) => f.algorithm),
      ['sha-256', 'sha-384', 'sha-512'],
    );
    const hex = createHash('sha256').update(cert.der).digest('hex').toUpperCase();
    assert.equal(fps[0]!.value.replace(/:/g, ''), hex);
    assert.match(fps[0]!.value, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(matchesFingerprint(cert.der, [fps[0]!]));
    assert.ok(matchesFingerprint(cert.der, [new RTCDtlsFingerprint('SHA-256', fps[0]!.value.toLowerCase())]));
  });

  it('does not match a different certificate, an unknown algorithm or an empty list', async () => {
    const a = await RTCCertificate.generateCertificate();
    const b = await RTCCertificate.generateCertificate();
    assert.equal(matchesFingerprint(b.der, a.getFingerprints()), false);
    assert.equal(matchesFingerprint(a.der, [new RTCDtlsFingerprint('md5', 'AA:BB')]), false);
    assert.equal(matchesFingerprint(a.der, []), false);
    assert.throws(() => computeFingerprint('md5', a.der), TypeError);
  });

  it('needs every known algorithm to match, so a wrong strong hash is not outvoted by a right weak one', async () => {
    const a = await RTCCertificate.generateCertificate();
    const b = await RTCCertificate.generateCertificate();
    const [a256, a384] = a.getFingerprints();
    const [b256] = b.getFingerprints();
    const a1 = new RTCDtlsFingerprint('sha-1', computeFingerprint('sha-1', a.der));
    assert.ok(matchesFingerprint(a.der, [a256!, a384!, a1]));
    assert.equal(matchesFingerprint(a.der, [b256!, a1]), false);
    assert.equal(
      matchesFingerprint(a.der, [a256!, new RTCDtlsFingerprint('sha-384', b.getFingerprints()[1]!.value)]),
      false,
    );
    // Two certificates signalled with the same algorithm: either one may be presented.
    assert.ok(matchesFingerprint(a.der, [b256!, a256!]));
    assert.ok(
      matchesFingerprint(a.der, [a256!, new RTCDtlsFingerprint('md5', 'AA:BB')]),
      'unknown algorithms are ignored',
    );
  });

  it('round-trips through PEM with the same identity and a working key', async () => {
    const cert = await RTCCertificate.generateCertificate();
    const pem = cert.toPem();
    assert.match(pem.certificate, /-----BEGIN CERTIFICATE-----/);
    assert.match(pem.privateKey, /-----BEGIN PRIVATE KEY-----/);
    const loaded = RTCCertificate.fromPem(pem.certificate, pem.privateKey);
    assert.deepEqual(loaded.getFingerprints(), cert.getFingerprints());
    assert.equal(loaded.expires, cert.expires);
    const other = await RTCCertificate.generateCertificate();
    assert.throws(() => RTCCertificate.fromPem(pem.certificate, other.toPem().privateKey), TypeError);
  });
});
