import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RTCCertificate, type RTCCertificateKeygenAlgorithm } from '../../src/dtls/certificate.js';
import { computeFingerprint, matchesFingerprint, RTCDtlsFingerprint } from '../../src/dtls/fingerprint.js';

const opensslSkip = spawnSync('openssl', ['version']).status === 0 ? false : 'openssl not found';

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

  it('gives the sha-256 fingerprint only, in lower-case hex with colons, as Chromium does', async () => {
    const cert = await RTCCertificate.generateCertificate();
    const fps = cert.getFingerprints();
    assert.deepEqual(
      fps.map((f) => f.algorithm),
      ['sha-256'],
    );
    const hex = createHash('sha256').update(cert.der).digest('hex');
    assert.equal(fps[0]!.value.replace(/:/g, ''), hex);
    assert.match(fps[0]!.value, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    assert.notEqual(cert.getFingerprints(), fps, 'a new array each time');
    // SDP's form stays upper case, and matching ignores case.
    assert.equal(computeFingerprint('sha-256', cert.der), fps[0]!.value.toUpperCase());
    assert.ok(matchesFingerprint(cert.der, [fps[0]!]));
    assert.ok(matchesFingerprint(cert.der, [new RTCDtlsFingerprint('SHA-256', fps[0]!.value.toUpperCase())]));
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
    const [a256] = a.getFingerprints();
    const [b256] = b.getFingerprints();
    const a384 = new RTCDtlsFingerprint('sha-384', computeFingerprint('sha-384', a.der));
    const b384 = new RTCDtlsFingerprint('sha-384', computeFingerprint('sha-384', b.der));
    const a1 = new RTCDtlsFingerprint('sha-1', computeFingerprint('sha-1', a.der));
    assert.ok(matchesFingerprint(a.der, [a256!, a384, a1]));
    assert.equal(matchesFingerprint(a.der, [b256!, a1]), false);
    assert.equal(matchesFingerprint(a.der, [a256!, b384]), false);
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

  it('expires as W3C says: 0 is already expired, 2 s is about 2 s, more than a year is a year', async () => {
    const start = Date.now();
    const expired = await RTCCertificate.generateCertificate({
      name: 'ECDSA',
      namedCurve: 'P-256',
      expires: 0,
    });
    assert.ok(expired.expires < Date.now(), `expires ${expired.expires - start} ms from the start`);
    const short = await RTCCertificate.generateCertificate({
      name: 'ECDSA',
      namedCurve: 'P-256',
      expires: 2000,
    });
    assert.ok(
      Math.abs(short.expires - (start + 2000)) <= 1000,
      `expires ${short.expires - start} ms from the start`,
    );
    const long = await RTCCertificate.generateCertificate({
      name: 'ECDSA',
      namedCurve: 'P-256',
      expires: 10 * 365 * 86_400_000,
    });
    const days = (long.expires - start) / 86_400_000;
    assert.ok(days > 364 && days <= 365, `expires in ${days} days`);
    assert.equal(
      Date.parse(new X509Certificate(long.der).validTo),
      long.expires,
      'the attribute is notAfter',
    );
  });

  it('refuses a negative or non-numeric expires with TypeError', async () => {
    for (const expires of [-1, Number.NaN, Number.POSITIVE_INFINITY, 'invalid', '2000', null]) {
      await assert.rejects(
        RTCCertificate.generateCertificate({
          name: 'ECDSA',
          namedCurve: 'P-256',
          expires: expires as number,
        }),
        TypeError,
        `expires ${String(expires)}`,
      );
    }
    await assert.rejects(
      RTCCertificate.generateCertificate('invalid-algo' as unknown as RTCCertificateKeygenAlgorithm),
      (e: unknown) => e instanceof DOMException && e.name === 'NotSupportedError',
    );
  });

  it('writes a self-signed X.509 v3 certificate with a random positive serial and name, no extensions', async () => {
    const a = new X509Certificate((await RTCCertificate.generateCertificate()).der);
    const b = new X509Certificate((await RTCCertificate.generateCertificate()).der);
    assert.match(a.serialNumber, /^01[0-9A-F]{16}$/);
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.match(a.subject, /^CN=[0-9a-f]{16}$/);
    assert.equal(a.issuer, a.subject);
    assert.notEqual(a.subject, b.subject);
    assert.ok(a.checkIssued(a), 'self-issued');
    assert.ok(a.verify(a.publicKey), 'self-signed');
    assert.ok(Date.parse(a.validFrom) < Date.now() - 86_000_000, 'valid from a day ago (clock skew)');
  });

  it('openssl x509 parses every kind of certificate we generate', { skip: opensslSkip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrtc-x509-'));
    try {
      const kinds: [RTCCertificateKeygenAlgorithm, RegExp][] = [
        [{ name: 'ECDSA', namedCurve: 'P-256' }, /ecdsa-with-SHA256[\s\S]*NIST CURVE: P-256/],
        [{ name: 'ECDSA', namedCurve: 'P-384' }, /ecdsa-with-SHA384[\s\S]*NIST CURVE: P-384/],
        [{ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 }, /sha256WithRSAEncryption[\s\S]*2048 bit/],
        [{ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, hash: 'SHA-384' }, /sha384WithRSAEncryption/],
      ];
      for (const [algorithm, expected] of kinds) {
        const cert = await RTCCertificate.generateCertificate(algorithm);
        const file = join(dir, 'cert.pem');
        writeFileSync(file, cert.toPem().certificate);
        const text = spawnSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
        assert.equal(text.status, 0, text.stderr);
        assert.match(text.stdout, /Version: 3 \(0x2\)/);
        assert.match(text.stdout, expected);
        assert.doesNotMatch(text.stdout, /X509v3 extensions/);
        const verify = spawnSync(
          'openssl',
          ['verify', '-CAfile', file, '-check_ss_sig', '-no_check_time', file],
          {
            encoding: 'utf8',
          },
        );
        assert.match(verify.stdout, /OK/, verify.stderr);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the global Reflect untouched: importing tsrtc and generating a certificate patches nothing', () => {
    const script = `
      const before = Reflect.ownKeys(Reflect).map(String).sort().join(',');
      const tsrtc = await import(${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)});
      await tsrtc.RTCCertificate.generateCertificate();
      await tsrtc.RTCCertificate.generateCertificate({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024 });
      const after = Reflect.ownKeys(Reflect).map(String).sort().join(',');
      console.log(JSON.stringify({ same: before === after, metadata: 'getMetadata' in Reflect || 'defineMetadata' in Reflect }));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout.trim().split('\n').at(-1)!), { same: true, metadata: false });
  });
});
