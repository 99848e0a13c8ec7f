import assert from 'node:assert/strict';
import { createECDH, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { ecSubjectPublicKeyInfo, writeSelfSignedCertificate } from '../../src/dtls/certificate-writer.js';
import {
  derBitString,
  derObjectIdentifier,
  derPrintableString,
  derSequence,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
} from '../../src/dtls/der.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('DER writer', () => {
  it('encodes integers minimally, positive, with a zero byte before a set high bit', () => {
    assert.equal(hex(derSmallInteger(0)), '020100');
    assert.equal(hex(derSmallInteger(2)), '020102');
    assert.equal(hex(derSmallInteger(128)), '02020080');
    assert.equal(hex(derSmallInteger(65537)), '0203010001');
    assert.equal(hex(derUnsignedInteger(Uint8Array.of(0, 0, 0x7f))), '02017f');
    assert.equal(hex(derUnsignedInteger(Uint8Array.of(0xff, 1))), '020300ff01');
  });

  it('encodes object identifiers in base 128', () => {
    assert.equal(hex(derObjectIdentifier('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
    assert.equal(hex(derObjectIdentifier('2.5.4.3')), '0603550403');
    assert.throws(() => derObjectIdentifier('1'), RangeError);
  });

  it('uses short, one-byte and two-byte lengths', () => {
    assert.equal(hex(derBitString(new Uint8Array(2))).slice(0, 4), '0303');
    assert.equal(hex(derSequence(new Uint8Array(200))).slice(0, 6), '3081c8');
    assert.equal(hex(derSequence(new Uint8Array(300))).slice(0, 8), '3082012c');
  });

  it('writes UTCTime until 2049 and GeneralizedTime from 2050, in whole seconds', () => {
    const text = (b: Uint8Array): string => Buffer.from(b.subarray(2)).toString('latin1');
    assert.equal(text(derTime(Date.UTC(2026, 11, 5, 1, 2, 3, 999))), '261205010203Z');
    assert.equal(derTime(Date.UTC(2026, 0, 1))[0], 0x17);
    assert.equal(text(derTime(Date.UTC(2050, 0, 1))), '20500101000000Z');
    assert.equal(derTime(Date.UTC(2050, 0, 1))[0], 0x18);
    assert.equal(text(derTime(Date.UTC(1949, 11, 31, 23, 59, 59))), '19491231235959Z');
    assert.throws(() => derPrintableString('é'), RangeError);
  });

  it('certificates with dates past 2049 parse', () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = writeSelfSignedCertificate({
      subjectPublicKeyInfo: keys.publicKey.export({ type: 'spki', format: 'der' }),
      privateKey: keys.privateKey,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      serialNumber: Uint8Array.of(1, 2, 3),
      commonName: 'test',
      notBefore: Date.UTC(2049, 0, 1),
      notAfter: Date.UTC(2051, 5, 1, 12),
    });
    const parsed = new X509Certificate(der);
    assert.equal(Date.parse(parsed.validFrom), Date.UTC(2049, 0, 1));
    assert.equal(Date.parse(parsed.validTo), Date.UTC(2051, 5, 1, 12));
    assert.equal(parsed.serialNumber, '010203');
    assert.ok(parsed.verify(keys.publicKey));
    assert.throws(() =>
      writeSelfSignedCertificate({
        subjectPublicKeyInfo: new Uint8Array(0),
        privateKey: keys.privateKey,
        signatureAlgorithm: 'ecdsa-with-SHA256',
        serialNumber: Uint8Array.of(0, 1),
        commonName: 'test',
        notBefore: 0,
        notAfter: 1000,
      }),
    );
  });

  it('writes EC SubjectPublicKeyInfo exactly as OpenSSL does', () => {
    for (const [curve, name] of [
      ['P-256', 'prime256v1'],
      ['P-384', 'secp384r1'],
    ] as const) {
      const ecdh = createECDH(name);
      const point = ecdh.generateKeys();
      const ours = ecSubjectPublicKeyInfo(curve, point);
      const theirs = createPublicKey({ key: Buffer.from(ours), format: 'der', type: 'spki' }).export({
        type: 'spki',
        format: 'der',
      });
      assert.equal(hex(ours), theirs.toString('hex'));
    }
  });
});
