import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual } from '../../src/common/bytes.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

describe('DTLS engine handshake on the simulated network', () => {
  it('connects our client and server on a perfect link and exchanges data both ways', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    assert.equal(client.engine.cipherSuite, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    assert.equal(client.engine.srtpProfile, 'SRTP_AEAD_AES_128_GCM');
    assert.ok(client.engine.extendedMasterSecret);
    assert.deepEqual(client.events, [{ type: 'connected' }]);
    assert.deepEqual(server.events, [{ type: 'connected' }]);
    assert.ok(client.engine.send(new TextEncoder().encode('ping')));
    assert.ok(server.engine.send(new TextEncoder().encode('pong')));
    net.runFor(100);
    assert.equal(new TextDecoder().decode(server.received[0]), 'ping');
    assert.equal(new TextDecoder().decode(client.received[0]), 'pong');
    const a = client.engine.srtpKeyingMaterial()!;
    const b = server.engine.srtpKeyingMaterial()!;
    assert.ok(bytesEqual(a.localKey, b.remoteKey) && bytesEqual(a.remoteSalt, b.localSalt));
    assert.ok(!bytesEqual(a.localKey, a.remoteKey));
  });
});

describe('DTLS engine ClientHello', () => {
  it('offers every suite, group and SRTP profile in one small unfragmented datagram', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    const hellos: number[] = [];
    net.tap = (d) => {
      if (d.source.address === '203.0.113.101' && d.data[13] === 1) hellos.push(d.data.byteLength);
      return true;
    };
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    assert.equal(hellos.length, 2, 'one ClientHello, and one more with the cookie');
    assert.ok(
      hellos.every((n) => n < 256),
      `ClientHello sizes ${hellos.join(', ')}`,
    );
  });
});

describe('DTLS engine handshake under bad network conditions', () => {
  it('survives the loss of every flight at least once', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    // Drop the first transmission of each flight: flights are told apart by their first record's
    // handshake type (or ChangeCipherSpec/Finished in epoch 1) seen for the first time.
    const seen = new Set<string>();
    const dropped: string[] = [];
    net.tap = (d) => {
      const from = d.source.address === '203.0.113.101' ? 'client' : 'server';
      const key = `${from}:${d.data[0]}:${d.data[3]! * 256 + d.data[4]!}:${d.data[0] === 22 && d.data[4] === 0 ? d.data[13] : ''}`;
      if (seen.has(key)) return true;
      seen.add(key);
      dropped.push(key);
      return false;
    };
    assert.ok(net.runUntil(() => bothConnected(client, server), 60_000));
    // Flights 1 (ClientHello), 2 (HelloVerifyRequest), 4 (ServerHello...), 5 (Certificate...) and 6 (CCS+Finished).
    for (const flight of [
      'client:22:0:1',
      'server:22:0:3',
      'server:22:0:2',
      'client:22:0:11',
      'server:20:0:',
    ]) {
      assert.ok(
        dropped.includes(flight),
        `flight ${flight} was dropped once (dropped: ${dropped.join(' ')})`,
      );
    }
    assert.ok(client.engine.stats.retransmissions > 0 && server.engine.stats.retransmissions > 0);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`connects with 30% loss, duplication and reordering (seed ${seed})`, async () => {
      const { ecdsa } = await testCertificates();
      const { net, client, server } = enginePair({
        seed,
        clientCert: ecdsa,
        serverCert: ecdsa,
        conditions: { loss: 0.3, duplicate: 0.2, reorder: 0.3, reorderDelay: 30, jitter: 10, delay: 5 },
        client: { initialRetransmitMs: 100, handshakeTimeoutMs: 120_000 },
        server: { initialRetransmitMs: 100, handshakeTimeoutMs: 120_000 },
      });
      assert.ok(
        net.runUntil(() => bothConnected(client, server), 120_000),
        `${client.engine.state}/${server.engine.state}`,
      );
      // Application data still flows; the loss rate is for the handshake, so make the link clean.
      net.conditions = { ...net.conditions, loss: 0, duplicate: 0.5 };
      for (let i = 0; i < 5; i++) client.engine.send(new Uint8Array([i]));
      net.runFor(200);
      // Jitter may reorder records; each arrives exactly once (duplicates stop at the replay window).
      assert.deepEqual(server.received.map((r) => r[0]).sort(), [0, 1, 2, 3, 4]);
    });
  }

  it('completes at the smallest MTU allowed (128 bytes), every message fragmented', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      client: { mtu: 128 },
      server: { mtu: 128 },
      conditions: { mtu: 128, loss: 0.05 },
      seed: 11,
    });
    assert.ok(net.runUntil(() => bothConnected(client, server), 60_000));
    assert.equal(net.stats.tooBig, 0);
  });

  it('fragments a large RSA certificate to a 300-byte MTU and reassembles it', async () => {
    const { rsa } = await testCertificates();
    let largest = 0;
    const { net, client, server } = enginePair({
      clientCert: rsa,
      serverCert: rsa,
      client: { mtu: 300 },
      server: { mtu: 300 },
      conditions: { mtu: 300, reorder: 0.3, reorderDelay: 5 },
    });
    net.tap = (d) => {
      largest = Math.max(largest, d.data.byteLength);
      return true;
    };
    assert.ok(net.runUntil(() => bothConnected(client, server), 30_000));
    assert.ok(largest <= 300, `largest datagram ${largest}`);
    assert.equal(client.engine.cipherSuite, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    assert.equal(net.stats.tooBig, 0);
  });
});
