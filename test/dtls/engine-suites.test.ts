import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual } from '../../src/common/bytes.js';
import { CIPHER_SUITES } from '../../src/dtls/cipher-suites.js';
import type { NamedGroupName } from '../../src/dtls/constants.js';
import { SRTP_PROFILES } from '../../src/dtls/srtp-profiles.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

describe('DTLS engine: every suite, curve, certificate type and SRTP profile', () => {
  for (const suite of CIPHER_SUITES) {
    it(`negotiates ${suite.name} and moves data both ways`, async () => {
      const certs = await testCertificates();
      const serverCert = suite.authentication === 'rsa' ? certs.rsa : certs.ecdsa;
      const { net, client, server } = enginePair({
        clientCert: certs.ecdsa,
        serverCert,
        client: { cipherSuites: [suite.name] },
        conditions: { mtu: 600 },
        server: { mtu: 600 },
      });
      assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
      assert.equal(server.engine.cipherSuite, suite.name);
      net.conditions = { ...net.conditions, mtu: 1500 };
      const big = new Uint8Array(1200).map((_, i) => i & 0xff);
      for (let i = 0; i < 3; i++) {
        client.engine.send(big);
        server.engine.send(new Uint8Array([i]));
      }
      net.runFor(50);
      assert.equal(server.received.length, 3);
      assert.ok(server.received.every((r) => bytesEqual(r, big)));
      assert.deepEqual(
        client.received.map((r) => r[0]),
        [0, 1, 2],
      );
    });
  }

  for (const group of ['x25519', 'secp256r1', 'secp384r1'] as NamedGroupName[]) {
    it(`uses ${group} for ECDHE`, async () => {
      const { ecdsa } = await testCertificates();
      const { net, client, server } = enginePair({
        clientCert: ecdsa,
        serverCert: ecdsa,
        client: { groups: [group] },
      });
      assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
      assert.ok(
        bytesEqual(client.engine.exportKeyingMaterial('x', 32), server.engine.exportKeyingMaterial('x', 32)),
      );
    });
  }

  it('prefers X25519 when the client offers every group', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      server: { groups: ['secp384r1', 'x25519'] },
    });
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    // The server's own order decides.
    assert.equal(server.engine.cipherSuite, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  });

  it('authenticates P-384 and RSA client certificates, with mixed key types on the two sides', async () => {
    const certs = await testCertificates();
    for (const [clientCert, serverCert] of [
      [certs.p384, certs.ecdsa],
      [certs.rsa, certs.p384],
      [certs.ecdsa, certs.rsa],
    ] as const) {
      const { net, client, server } = enginePair({ clientCert, serverCert });
      assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
      assert.ok(bytesEqual(server.engine.remoteCertificates[0]!, clientCert.der));
      assert.ok(bytesEqual(client.engine.remoteCertificates[0]!, serverCert.der));
    }
  });

  for (const profile of SRTP_PROFILES) {
    it(`negotiates ${profile.name} and splits the keying material per RFC 5764`, async () => {
      const { ecdsa } = await testCertificates();
      const { net, client, server } = enginePair({
        clientCert: ecdsa,
        serverCert: ecdsa,
        client: { srtpProfiles: [profile.name] },
      });
      assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
      const c = client.engine.srtpKeyingMaterial()!;
      const s = server.engine.srtpKeyingMaterial()!;
      assert.equal(c.profile.name, profile.name);
      const raw = client.engine.exportKeyingMaterial(
        'EXTRACTOR-dtls_srtp',
        2 * (profile.keyLength + profile.saltLength),
      );
      const k = profile.keyLength;
      assert.ok(bytesEqual(c.clientWriteKey, raw.subarray(0, k)));
      assert.ok(bytesEqual(c.serverWriteKey, raw.subarray(k, 2 * k)));
      assert.ok(bytesEqual(c.clientWriteSalt, raw.subarray(2 * k, 2 * k + profile.saltLength)));
      assert.ok(bytesEqual(c.serverWriteSalt, raw.subarray(2 * k + profile.saltLength)));
      assert.ok(bytesEqual(c.localKey, s.remoteKey) && bytesEqual(c.localSalt, s.remoteSalt));
      assert.ok(bytesEqual(s.localKey, c.remoteKey) && bytesEqual(s.localSalt, c.remoteSalt));
    });
  }

  it('connects without SRTP when one side offers none', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      server: { srtpProfiles: [] },
    });
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    assert.equal(client.engine.srtpProfile, undefined);
    assert.equal(client.engine.srtpKeyingMaterial(), undefined);
  });

  it('fails cleanly with no cipher suite in common', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      client: { cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] },
    });
    assert.ok(
      net.runUntil(() => server.engine.state === 'failed', 1000),
      'the server refuses at once',
    );
    assert.deepEqual(server.events[0], {
      type: 'failed',
      reason: 'no cipher suite in common',
      alert: 40,
      byPeer: false,
    });
    // Its handshake_failure alert is plaintext, which the client drops: it fails by its handshake timeout.
    assert.ok(
      net.runUntil(() => client.engine.state === 'failed', 40_000),
      'the client fails too',
    );
    assert.deepEqual(client.events[0], {
      type: 'failed',
      reason: 'handshake timed out',
      alert: undefined,
      byPeer: false,
    });
    assert.equal(client.engine.stats.unauthenticatedAlerts, 1);
  });
});
