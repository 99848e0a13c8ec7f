/**
 * Hostile input during the handshake (RFC 6347 §4.1.2.7): anyone can send plaintext (epoch-0) records, so
 * such alerts and handshake messages that do not fit the current state are dropped and counted; they never
 * end or change a handshake. A genuine failure still ends in bounded time: the side that refuses the peer's
 * certificate fails at once, the other by its handshake timeout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AlertDescription,
  AlertLevel,
  ContentType,
  DTLS_1_2,
  HandshakeType,
} from '../../src/dtls/constants.js';
import { writeFragmentHeader } from '../../src/dtls/handshake-reassembly.js';
import { encodeClientHello, encodeServerHello } from '../../src/dtls/messages.js';
import { writeRecordHeader } from '../../src/dtls/record.js';
import { bothConnected, type DtlsPeer, enginePair, testCertificates } from './harness.js';

function plaintextAlert(level: number, description: number, recordSeq: number): Uint8Array {
  const out = new Uint8Array(15);
  writeRecordHeader(out, 0, ContentType.alert, 0, recordSeq, 2);
  out[13] = level;
  out[14] = description;
  return out;
}

function plaintextHandshake(type: number, messageSeq: number, body: Uint8Array, recordSeq = 500): Uint8Array {
  const out = new Uint8Array(25 + body.byteLength);
  writeRecordHeader(out, 0, ContentType.handshake, 0, recordSeq, 12 + body.byteLength);
  writeFragmentHeader(out, 13, type, body.byteLength, messageSeq, 0, body.byteLength);
  out.set(body, 25);
  return out;
}

const hello = encodeClientHello({
  version: DTLS_1_2,
  random: new Uint8Array(32).fill(1),
  sessionId: new Uint8Array(0),
  cookie: new Uint8Array(0),
  cipherSuites: [0xc02b],
  compressionMethods: new Uint8Array([0]),
  extensions: { extendedMasterSecret: true, supportedGroups: [29], signatureAlgorithms: [0x0403] },
});

const serverHello = encodeServerHello({
  version: DTLS_1_2,
  random: new Uint8Array(32).fill(2),
  sessionId: new Uint8Array(0),
  cipherSuite: 0xc02b,
  compressionMethod: 0,
  extensions: { extendedMasterSecret: true },
});

/** Feed `datagram` to `peer` (as if from anyone), collecting its events. */
function inject(peer: DtlsPeer, now: number, datagram: Uint8Array): void {
  peer.engine.handleInput(now, datagram);
  peer.collectEvents();
}

const ALERTS: [string, number, number][] = [
  ['fatal handshake_failure', AlertLevel.fatal, AlertDescription.handshakeFailure],
  ['fatal bad_certificate', AlertLevel.fatal, AlertDescription.badCertificate],
  ['warning close_notify', AlertLevel.warning, AlertDescription.closeNotify],
  ['warning no_renegotiation', AlertLevel.warning, AlertDescription.noRenegotiation],
];

describe('DTLS handshake: unauthenticated alerts are dropped', () => {
  for (const [name, level, description] of ALERTS) {
    it(`a plaintext ${name} at every step changes nothing on either side`, async () => {
      const { ecdsa } = await testCertificates();
      const { net, client, server } = enginePair({
        clientCert: ecdsa,
        serverCert: ecdsa,
        conditions: { delay: 10 },
      });
      let injected = 0;
      // Before the first ClientHello arrives, and then every 5 ms of the handshake, to both sides.
      for (let step = 0; step < 12 && !bothConnected(client, server); step++) {
        for (const peer of [client, server]) {
          if (peer.engine.state !== 'connecting') continue;
          inject(peer, net.now, plaintextAlert(level, description, 900 + step));
          injected++;
        }
        net.runFor(5);
      }
      assert.ok(
        net.runUntil(() => bothConnected(client, server), 10_000),
        'the handshake completes',
      );
      assert.deepEqual(client.events, [{ type: 'connected' }]);
      assert.deepEqual(server.events, [{ type: 'connected' }]);
      const dropped = client.engine.stats.unauthenticatedAlerts + server.engine.stats.unauthenticatedAlerts;
      assert.equal(dropped, injected);
      assert.equal(client.engine.stats.alertsReceived + server.engine.stats.alertsReceived, 0);
      assert.equal(client.engine.stats.retransmissions + server.engine.stats.retransmissions, 0);
    });
  }
});

describe('DTLS handshake: messages that do not fit the state are dropped', () => {
  it('a ClientHello sent to a client is dropped, wherever its message_seq', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      conditions: { delay: 10 },
    });
    net.runFor(1);
    // The client expects the HelloVerifyRequest at message_seq 0: offer it ClientHellos at 0, 1 and 3.
    for (const seq of [0, 1, 3])
      inject(client, net.now, plaintextHandshake(HandshakeType.clientHello, seq, hello));
    assert.equal(client.engine.state, 'connecting');
    assert.equal(client.engine.stats.unexpectedHandshake, 3);
    assert.equal(client.engine.bufferedBytes, 0, 'nothing of them is kept');
    assert.ok(
      net.runUntil(() => bothConnected(client, server), 10_000),
      'the handshake completes',
    );
    assert.equal(client.engine.stats.retransmissions, 0, 'no delay either');
  });

  it('a message of the right flight at the wrong place does not take the place of the real one', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      conditions: { delay: 10 },
    });
    // After the cookie exchange the client waits for ServerHello (1), Certificate (2) ... ServerHelloDone (5).
    net.runFor(25);
    assert.equal(server.engine.stats.helloVerifyRequestsSent, 1);
    // A forged ServerHelloDone where ServerHello belongs, and a second ServerHello where Certificate belongs.
    inject(client, net.now, plaintextHandshake(HandshakeType.serverHelloDone, 1, new Uint8Array(0)));
    assert.equal(client.engine.stats.unexpectedHandshake, 1);
    inject(client, net.now, plaintextHandshake(HandshakeType.serverHello, 2, serverHello));
    assert.equal(client.engine.state, 'connecting');
    // The forged ServerHello is held at message_seq 2 and dropped when its turn comes; the real Certificate
    // comes back with the server's retransmission.
    assert.ok(
      net.runUntil(() => bothConnected(client, server), 10_000),
      'the handshake completes',
    );
    assert.deepEqual(client.events, [{ type: 'connected' }]);
    assert.equal(client.engine.stats.unexpectedHandshake, 2);
  });

  it('a Finished sent in plaintext (epoch 0) is dropped and the real one completes the handshake', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    // Let flights 1-4 pass, then hold the server's last flight: the client waits for CCS + Finished.
    let flights = 0;
    let hold = true;
    net.tap = (d) => d.source.address === '203.0.113.101' || ++flights <= 2 || !hold;
    net.runFor(50);
    assert.equal(client.engine.state, 'connecting');
    // The server's messages were HelloVerifyRequest (0), then 1-5 (ServerHello..ServerHelloDone): Finished is 6.
    inject(client, net.now, plaintextHandshake(HandshakeType.finished, 6, new Uint8Array(12)));
    assert.equal(client.engine.state, 'connecting');
    assert.equal(client.engine.stats.unexpectedHandshake, 1);
    hold = false;
    assert.ok(
      net.runUntil(() => bothConnected(client, server), 10_000),
      'the handshake completes',
    );
  });

  it('a server drops a second ClientHello and a ServerHello in the middle of its handshake', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      conditions: { delay: 10 },
    });
    net.runFor(35); // the server has its handshake and waits for flight 5 at message_seq 2
    assert.ok(server.engine.handshakeStarted);
    inject(server, net.now, plaintextHandshake(HandshakeType.clientHello, 2, hello, 77));
    inject(server, net.now, plaintextHandshake(HandshakeType.serverHello, 3, serverHello, 78));
    assert.equal(server.engine.stats.unexpectedHandshake, 2);
    assert.ok(
      net.runUntil(() => bothConnected(client, server), 10_000),
      'the handshake completes',
    );
  });
});

describe('DTLS handshake: a refused certificate still ends both sides in bounded time', () => {
  for (const refuser of ['client', 'server'] as const) {
    it(`the ${refuser} refuses at once; its peer, whose alert is plaintext, fails by its handshake timeout`, async () => {
      const { ecdsa, p384 } = await testCertificates();
      const { net, client, server } = enginePair({
        clientCert: ecdsa,
        serverCert: ecdsa,
        ...(refuser === 'client' ? { clientExpects: p384 } : { serverExpects: p384 }),
        client: { handshakeTimeoutMs: 20_000 },
        server: { handshakeTimeoutMs: 20_000 },
      });
      const [refusing, other] = refuser === 'client' ? [client, server] : [server, client];
      assert.ok(
        net.runUntil(() => refusing.engine.state === 'failed', 1000),
        'refused at the Certificate',
      );
      const failedAt = net.now;
      assert.deepEqual(refusing.events, [
        {
          type: 'failed',
          reason: 'peer certificate does not match the fingerprint',
          alert: AlertDescription.badCertificate,
          byPeer: false,
        },
      ]);
      assert.ok(
        net.runUntil(() => other.engine.state === 'failed', 30_000),
        'the other side fails too',
      );
      assert.ok(
        net.now - failedAt <= 20_000 && net.now - failedAt > 15_000,
        `after ${net.now - failedAt} ms`,
      );
      const e = other.events[0];
      assert.ok(e?.type === 'failed' && !e.byPeer && e.reason.includes('timed out'), JSON.stringify(e));
      assert.equal(other.engine.stats.unauthenticatedAlerts, 1, 'the plaintext bad_certificate was dropped');
    });
  }
});
