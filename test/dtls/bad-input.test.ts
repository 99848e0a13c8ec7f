/** Hostile input: ClientHello floods without cookies, messages in the wrong epoch, early records. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContentType, DTLS_1_2, HandshakeType } from '../../src/dtls/constants.js';
import { DtlsEngine } from '../../src/dtls/engine.js';
import { writeFragmentHeader } from '../../src/dtls/handshake-reassembly.js';
import { encodeClientHello } from '../../src/dtls/messages.js';
import { writeRecordHeader } from '../../src/dtls/record.js';
import { Prng } from '../sim/network.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

function handshakeRecord(
  epoch: number,
  recordSeq: number,
  type: number,
  messageSeq: number,
  body: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(13 + 12 + body.byteLength);
  writeRecordHeader(out, 0, ContentType.handshake, epoch, recordSeq, 12 + body.byteLength);
  writeFragmentHeader(out, 13, type, body.byteLength, messageSeq, 0, body.byteLength);
  out.set(body, 25);
  return out;
}

function clientHello(rng: Prng, cookie: Uint8Array = new Uint8Array(0)): Uint8Array {
  const random = new Uint8Array(32).map(() => rng.int(256));
  return encodeClientHello({
    version: DTLS_1_2,
    random,
    sessionId: new Uint8Array(0),
    cookie,
    cipherSuites: [0xc02b],
    compressionMethods: new Uint8Array([0]),
    extensions: { extendedMasterSecret: true, supportedGroups: [29], signatureAlgorithms: [0x0403] },
  });
}

describe('DTLS hostile input', () => {
  it('a ClientHello flood without valid cookies costs the server no state and no amplification', async () => {
    const { ecdsa } = await testCertificates();
    const server = new DtlsEngine({ role: 'server', credential: ecdsa, verifyPeer: () => true });
    server.start(0);
    const rng = new Prng(5);
    let inBytes = 0;
    let outBytes = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) {
      const forged = i % 2 === 0 ? new Uint8Array(0) : new Uint8Array(32).map(() => rng.int(256));
      const datagram = handshakeRecord(0, i, HandshakeType.clientHello, 0, clientHello(rng, forged));
      inBytes += datagram.byteLength;
      server.handleInput(i, datagram);
      for (let d = server.pollTransmit(); d; d = server.pollTransmit()) {
        outBytes += d.byteLength;
        assert.equal(d[13], HandshakeType.helloVerifyRequest);
      }
      assert.equal(server.handshakeStarted, false);
      assert.equal(server.bufferedBytes, 0);
    }
    assert.equal(server.stats.helloVerifyRequestsSent, 10_000);
    assert.ok(
      outBytes < inBytes,
      `HelloVerifyRequests (${outBytes} B) are smaller than the flood (${inBytes} B)`,
    );
    assert.equal(server.pollTimeout(), undefined, 'no timer was armed');
    global.gc?.();
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 50_000_000);
  });

  it('after a flood the server still completes a real handshake', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    const rng = new Prng(6);
    for (let i = 0; i < 500; i++) {
      server.engine.handleInput(0, handshakeRecord(0, i, HandshakeType.clientHello, 0, clientHello(rng)));
    }
    while (server.engine.pollTransmit()) {}
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
  });

  it('records of a future epoch before ChangeCipherSpec are held a few at a time, then dropped', async () => {
    const { ecdsa } = await testCertificates();
    const client = new DtlsEngine({ role: 'client', credential: ecdsa, verifyPeer: () => true });
    client.start(0);
    for (let i = 0; i < 100; i++) {
      const r = handshakeRecord(1, i, HandshakeType.finished, 5, new Uint8Array(40));
      client.handleInput(i, r);
    }
    assert.ok(client.bufferedBytes <= 16 * 100);
    assert.ok(client.stats.droppedRecords >= 84);
    assert.equal(client.state, 'connecting');
    // Records of epochs we will never reach are dropped outright.
    client.handleInput(0, handshakeRecord(7, 0, HandshakeType.finished, 5, new Uint8Array(40)));
    assert.equal(client.state, 'connecting');
  });

  it('handshake messages that lie about their lengths or overflow are dropped, not trusted', async () => {
    const { ecdsa } = await testCertificates();
    const client = new DtlsEngine({ role: 'client', credential: ecdsa, verifyPeer: () => true });
    client.start(0);
    while (client.pollTransmit()) {}
    const body = new Uint8Array(50);
    const lying = handshakeRecord(0, 1, HandshakeType.serverHello, 0, body);
    lying[13 + 9] = 0xff; // fragment_length beyond the record
    client.handleInput(1, lying);
    const overflow = handshakeRecord(0, 2, HandshakeType.serverHello, 0, body);
    overflow[13 + 6] = 0x01; // fragment_offset + fragment_length > length
    client.handleInput(2, overflow);
    const huge = handshakeRecord(0, 3, HandshakeType.certificate, 0, body);
    huge[13 + 1] = 0x7f; // a 8 MB message
    client.handleInput(3, huge);
    assert.equal(client.stats.malformedHandshake, 3);
    assert.equal(client.state, 'connecting');
    assert.equal(client.bufferedBytes, 0);
  });
});

describe('DTLS renegotiation', () => {
  it('an authenticated ClientHello after connection gets no_renegotiation and the session continues', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    // Seal a ClientHello with the client's epoch-1 keys, as a renegotiating client would.
    // Reaching into the engine's record layer is the one test-only shortcut here.
    const engine = (
      client.engine as unknown as { records: { seal(t: number, e: number, p: Uint8Array): Uint8Array } }
    ).records;
    const rng = new Prng(3);
    const hello = clientHello(rng);
    const payload = new Uint8Array(12 + hello.byteLength);
    writeFragmentHeader(payload, 0, HandshakeType.clientHello, hello.byteLength, 9, 0, hello.byteLength);
    payload.set(hello, 12);
    const alerts: number[] = [];
    net.tap = (d) => {
      if (d.source.address === '203.0.113.102' && d.data[0] === ContentType.alert)
        alerts.push(d.data.byteLength);
      return true;
    };
    server.engine.handleInput(net.now, engine.seal(ContentType.handshake, 1, payload));
    net.runFor(20);
    assert.equal(server.engine.stats.renegotiationsRefused, 1);
    assert.equal(alerts.length, 1, 'one (encrypted) warning alert went back');
    assert.ok(bothConnected(client, server));
    client.engine.send(new Uint8Array([5]));
    net.runFor(20);
    assert.deepEqual(Array.from(server.received.at(-1)!), [5]);
  });
});
