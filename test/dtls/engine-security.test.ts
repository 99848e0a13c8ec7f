import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertDescription } from '../../src/dtls/constants.js';
import { DtlsEngine } from '../../src/dtls/engine.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

describe('DTLS engine: fingerprints, alerts and closing', () => {
  it('client refuses a server whose certificate does not match: bad_certificate; the server fails by its timeout', async () => {
    const { ecdsa, p384 } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa, clientExpects: p384 });
    assert.ok(
      net.runUntil(() => client.engine.state === 'failed', 1000),
      'the client refuses at once',
    );
    const c = client.events[0];
    assert.ok(
      c?.type === 'failed' && !c.byPeer && c.alert === AlertDescription.badCertificate,
      JSON.stringify(c),
    );
    assert.equal(client.engine.send(new Uint8Array(1)), false);
    // The client's alert is plaintext (no keys yet), so the server drops it and times out (30 s default).
    assert.ok(
      net.runUntil(() => server.engine.state === 'failed', 40_000),
      'the server fails too',
    );
    assert.ok(net.now >= 30_000, `after ${net.now} ms`);
    const s = server.events[0];
    assert.ok(s?.type === 'failed' && !s.byPeer && s.reason === 'handshake timed out', JSON.stringify(s));
    assert.equal(server.engine.stats.unauthenticatedAlerts, 1);
  });

  it('server refuses a client whose certificate does not match, even after the client sent Finished', async () => {
    const { ecdsa, p384 } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa, serverExpects: p384 });
    assert.ok(
      net.runUntil(() => server.engine.state === 'failed', 1000),
      'the server refuses at once',
    );
    const s = server.events[0];
    assert.ok(
      s?.type === 'failed' && !s.byPeer && s.alert === AlertDescription.badCertificate,
      JSON.stringify(s),
    );
    assert.ok(
      net.runUntil(() => client.engine.state === 'failed', 40_000),
      'the client fails too',
    );
    const c = client.events[0];
    assert.ok(c?.type === 'failed' && !c.byPeer && c.reason === 'handshake timed out', JSON.stringify(c));
    assert.throws(() => client.engine.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 60));
  });

  it('a lost fatal alert still ends in failed on the other side (handshake timeout)', async () => {
    const { ecdsa, p384 } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      serverExpects: p384,
      client: { handshakeTimeoutMs: 20_000 },
    });
    net.tap = (d) => d.data[0] !== 21; // drop every alert
    net.runUntil(() => client.engine.state === 'failed', 30_000);
    assert.equal(server.engine.state, 'failed');
    assert.equal(client.engine.state, 'failed');
    assert.ok(client.events[0]?.type === 'failed' && client.events[0].reason.includes('timed out'));
  });

  it('refuses an MTU too small for a handshake fragment', async () => {
    const { ecdsa } = await testCertificates();
    assert.throws(
      () => new DtlsEngine({ role: 'client', credential: ecdsa, verifyPeer: () => true, mtu: 60 }),
      RangeError,
    );
  });

  it('close_notify closes both sides and stops data', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    client.engine.close(net.now);
    net.runFor(50);
    assert.equal(client.engine.state, 'closed');
    assert.equal(server.engine.state, 'closed');
    assert.deepEqual(client.events.at(-1), { type: 'closed', byPeer: false });
    assert.deepEqual(server.events.at(-1), { type: 'closed', byPeer: true });
    assert.equal(server.engine.send(new Uint8Array(1)), false);
  });

  it('drops records that fail authentication and replays of good ones, counting them', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    const captured: Uint8Array[] = [];
    net.tap = (d) => {
      if (d.data[0] === 23) captured.push(d.data.slice());
      return true;
    };
    client.engine.send(new Uint8Array([42]));
    net.runFor(20);
    assert.equal(server.received.length, 1);
    const record = captured[0]!;
    server.engine.handleInput(net.now, record); // replay
    const tampered = record.slice();
    tampered[tampered.length - 1]! ^= 1;
    server.engine.handleInput(net.now, tampered);
    const forgedEpoch = record.slice();
    forgedEpoch[4] = 2;
    server.engine.handleInput(net.now, forgedEpoch);
    assert.equal(server.received.length, 1);
    // The tampered copy carries the same record number, so the window rejects it before decryption.
    assert.equal(server.engine.stats.replayedRecords, 2);
    assert.equal(server.engine.stats.authFailures, 0);
    const fresh = captured[0]!.slice();
    fresh[10] = 200; // a new record number: passes the window, fails authentication
    server.engine.handleInput(net.now, fresh);
    assert.equal(server.engine.stats.authFailures, 1);
    assert.equal(server.engine.state, 'connected');
    assert.equal(server.received.length, 1);
  });
});
