/** The peer connection's certificate pool: ready certificates at once, refilled when the loop is idle. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCCertificate } from '../../src/dtls/certificate.js';
import { CertificatePool, takeCertificate } from '../../src/peerconnection/certificate-pool.js';

const idle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A pool over a counting generator and a clock the test moves. */
function countingPool(size = 2) {
  let generated = 0;
  let clock = 1_000_000;
  const pool = new CertificatePool({
    size,
    generate: () => {
      generated++;
      return RTCCertificate.generateCertificate();
    },
    now: () => clock,
  });
  return {
    pool,
    generated: () => generated,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('certificate pool', () => {
  it('a warm pool hands out a ready certificate without generating, and refills after the take', async () => {
    const { pool, generated } = countingPool();
    await pool.fill();
    assert.equal(generated(), 2);
    const taken = pool.take();
    assert.equal(generated(), 2, 'nothing generated inside take()');
    assert.equal(pool.available, 1);
    assert.ok((await taken) instanceof RTCCertificate);
    for (let i = 0; i < 5 && pool.available < 2; i++) await idle();
    assert.equal(generated(), 3, 'one made when the loop was idle');
    assert.equal(pool.available, 2);
  });

  it('hashes the fingerprint of each certificate as it makes it, not when a connection takes it', async () => {
    const asked: RTCCertificate[] = [];
    const pool = new CertificatePool({
      size: 2,
      generate: async () => {
        const certificate = await RTCCertificate.generateCertificate();
        const original = certificate.getFingerprints.bind(certificate);
        certificate.getFingerprints = () => {
          asked.push(certificate);
          return original();
        };
        return certificate;
      },
    });
    await pool.fill();
    assert.equal(asked.length, 2, 'both ready certificates were fingerprinted');
    const taken = await pool.take();
    assert.ok(asked.includes(taken));
  });

  it('hands each certificate out once', async () => {
    const { pool } = countingPool(3);
    await pool.fill();
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const cert = await pool.take();
      seen.add(cert.getFingerprints()[0]!.value);
      if (i % 2 === 0) await idle();
    }
    assert.equal(seen.size, 8);
  });

  it('drops certificates that waited a day and makes a fresh one', async () => {
    const { pool, generated, advance } = countingPool();
    await pool.fill();
    advance(24 * 3600 * 1000);
    const before = generated();
    const cert = await pool.take();
    assert.equal(generated(), before + 1, 'made for this take: the stale ones were not used');
    assert.equal(pool.available, 0, 'the stale ones are gone');
    assert.ok(cert.expires - Date.now() > 29 * 24 * 3600 * 1000);
  });

  it('a cold pool generates for the caller, then refills in the background', async () => {
    const { pool, generated } = countingPool();
    const cert = await pool.take();
    assert.ok(cert instanceof RTCCertificate);
    assert.equal(generated(), 1);
    for (let i = 0; i < 10 && pool.available < 2; i++) await idle();
    assert.equal(pool.available, 2);
  });

  it('the shared pool serves connections', async () => {
    const a = await takeCertificate();
    for (let i = 0; i < 10; i++) await idle();
    const b = await takeCertificate();
    assert.notEqual(a.getFingerprints()[0]!.value, b.getFingerprints()[0]!.value);
    assert.equal(a.keyType, 'ecdsa-p256');
  });
});
