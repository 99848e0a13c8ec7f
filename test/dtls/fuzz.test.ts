/**
 * Seeded fuzzing of the record layer, the handshake framing and every handshake message parser, plus
 * mutations of a real captured handshake. Nothing may throw out of the engine, and buffers stay bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TruncatedError } from '../../src/common/bytes.js';
import { ProtocolError } from '../../src/common/errors.js';
import { DtlsEngine } from '../../src/dtls/engine.js';
import { HandshakeReassembler, readFragmentHeader } from '../../src/dtls/handshake-reassembly.js';
import * as m from '../../src/dtls/messages.js';
import { newRecordHeader, readRecordHeader } from '../../src/dtls/record.js';
import { Prng } from '../sim/network.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

function randomBytes(rng: Prng, max: number): Uint8Array {
  const out = new Uint8Array(rng.int(max + 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

/** Flip, truncate, extend or splice a datagram. */
function mutate(rng: Prng, input: Uint8Array): Uint8Array {
  const d = input.slice();
  switch (rng.int(5)) {
    case 0: {
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips && d.length > 0; i++) d[rng.int(d.length)]! ^= 1 << rng.int(8);
      return d;
    }
    case 1:
      return d.subarray(0, rng.int(d.length + 1));
    case 2: {
      const out = new Uint8Array(d.length + 1 + rng.int(64));
      out.set(d);
      for (let i = d.length; i < out.length; i++) out[i] = rng.int(256);
      return out;
    }
    case 3: {
      // Lie about a length field: record length, handshake length, fragment offset or fragment length.
      const at = [11, 12, 14, 15, 16, 19, 20, 21, 22, 23, 24][rng.int(11)]!;
      if (at < d.length) d[at] = rng.int(256);
      return d;
    }
    default: {
      if (d.length > 0) d[rng.int(d.length)] = rng.int(256);
      return d;
    }
  }
}

const PARSERS: [string, (b: Uint8Array) => unknown][] = [
  ['ClientHello', m.decodeClientHello],
  ['ServerHello', m.decodeServerHello],
  ['HelloVerifyRequest', m.decodeHelloVerifyRequest],
  ['Certificate', m.decodeCertificate],
  ['ServerKeyExchange', m.decodeServerKeyExchange],
  ['CertificateRequest', m.decodeCertificateRequest],
  ['ClientKeyExchange', m.decodeClientKeyExchange],
  ['CertificateVerify', m.decodeDigitallySigned],
  ['Finished', m.decodeFinished],
];

describe('DTLS fuzzing (seeded)', () => {
  it('handshake message parsers either decode or raise ProtocolError/TruncatedError', () => {
    const rng = new Prng(0xd715);
    let decoded = 0;
    for (const [name, parse] of PARSERS) {
      for (let i = 0; i < 3000; i++) {
        const input = randomBytes(rng, 200);
        try {
          parse(input);
          decoded++;
        } catch (e) {
          assert.ok(e instanceof ProtocolError || e instanceof TruncatedError, `${name}: ${String(e)}`);
        }
      }
    }
    assert.ok(decoded > 0, 'some random inputs decode (the fuzz reaches past the first checks)');
  });

  it('record and fragment header readers never read out of bounds', () => {
    const rng = new Prng(7);
    const header = newRecordHeader();
    const frag = { type: 0, length: 0, seq: 0, fragmentOffset: 0, fragmentLength: 0 };
    for (let i = 0; i < 20_000; i++) {
      const d = randomBytes(rng, 64);
      if (i % 2 === 0 && d.length > 2) {
        d[0] = 20 + rng.int(4);
        d[1] = 0xfe;
        d[2] = 0xfd;
      }
      const end = readRecordHeader(d, 0, header);
      if (end > 0) assert.ok(end <= d.length && header.fragmentOffset + header.fragmentLength === end);
      if (readFragmentHeader(d, 0, frag)) {
        assert.ok(
          12 + frag.fragmentLength <= d.length && frag.fragmentOffset + frag.fragmentLength <= frag.length,
        );
      }
    }
  });

  it('random datagrams never throw out of engines in any state, and buffers stay bounded', async () => {
    const { ecdsa } = await testCertificates();
    const rng = new Prng(99);
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    const fresh = new DtlsEngine({ role: 'server', credential: ecdsa, verifyPeer: () => true });
    fresh.start(0);
    const waiting = new DtlsEngine({ role: 'client', credential: ecdsa, verifyPeer: () => true });
    waiting.start(0);
    const engines = [fresh, waiting];
    for (let i = 0; i < 5000; i++) {
      const d = randomBytes(rng, 300);
      if (d.length > 13 && rng.next() < 0.7) {
        // Mostly well-formed record headers, so the fuzz reaches the handshake and record layers.
        d[0] = [20, 21, 22, 23][rng.int(4)]!;
        d[1] = 0xfe;
        d[2] = 0xfd;
        d[3] = 0;
        d[4] = rng.int(3);
        d[11] = (d.length - 13) >> 8;
        d[12] = (d.length - 13) & 0xff;
      }
      for (const e of engines) e.handleInput(i, d);
      for (const e of engines) while (e.pollTransmit()) {}
      assert.ok(fresh.bufferedBytes < 300_000 && waiting.bufferedBytes < 300_000);
    }
    assert.equal(fresh.handshakeStarted, false, 'random input never creates server handshake state');
    // The connected pair ignores garbage and keeps working.
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    for (let i = 0; i < 2000; i++) server.engine.handleInput(net.now, randomBytes(rng, 200));
    assert.equal(server.engine.state, 'connected');
    client.engine.send(new Uint8Array([1, 2, 3]));
    net.runFor(20);
    assert.equal(server.received.length, 1);
  });

  it('mutations of a real handshake never throw; unmodified replays leave a connection intact', async () => {
    const { ecdsa } = await testCertificates();
    // Capture every datagram of one real handshake, tagged with its sender.
    const captured: { fromClient: boolean; data: Uint8Array }[] = [];
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    net.tap = (d) => {
      captured.push({ fromClient: d.source.address === '203.0.113.101', data: d.data.slice() });
      return true;
    };
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    net.tap = undefined;
    const rng = new Prng(1234);
    const started = Date.now();
    const outcomes = { connected: 0, failed: 0 };
    for (let round = 0; round < 120; round++) {
      // A live pair on the simulated network: one datagram of its handshake is mutated in flight.
      const target = rng.int(captured.length);
      const pair = enginePair({ clientCert: ecdsa, serverCert: ecdsa, seed: round });
      let n = 0;
      pair.net.tap = (d) => {
        if (n++ === target) (d as { data: Uint8Array }).data = mutate(rng, d.data);
        return true;
      };
      const settled = () =>
        [pair.client.engine.state, pair.server.engine.state].every(
          (s) => s === 'connected' || s === 'failed',
        );
      pair.net.runUntil(settled, 60_000);
      for (const e of [pair.client.engine, pair.server.engine]) assert.ok(e.bufferedBytes < 300_000);
      if (bothConnected(pair.client, pair.server)) outcomes.connected++;
      else outcomes.failed++;
    }
    // Most mutations are dropped (bad record, failed authentication) and retransmission heals them;
    // some hit a plaintext handshake message and end it with an alert. Both are fine; throwing is not.
    assert.ok(outcomes.connected > 0, JSON.stringify(outcomes));
    assert.ok(Date.now() - started < 60_000);
    // Replaying the whole captured handshake into the connected pair changes nothing.
    for (const c of captured) (c.fromClient ? server : client).engine.handleInput(net.now, c.data);
    net.runFor(50);
    assert.ok(bothConnected(client, server));
    client.engine.send(new Uint8Array([9]));
    net.runFor(20);
    assert.deepEqual(Array.from(server.received.at(-1)!), [9]);
  });

  it('the reassembler holds fragments in order, ignores overlaps and lies, and stays bounded', () => {
    const r = new HandshakeReassembler(1000, 4, 4000);
    const h = (seq: number, length: number, offset: number, fragmentLength: number) => ({
      type: 11,
      seq,
      length,
      fragmentOffset: offset,
      fragmentLength,
    });
    const body = new Uint8Array(100).map((_, i) => i);
    assert.equal(r.addFragment(0, h(1, 100, 0, 100), body), 'accepted'); // out of order: seq 1 first
    assert.equal(r.next(), undefined);
    assert.equal(r.addFragment(0, h(0, 100, 50, 50), body.subarray(50)), 'accepted');
    assert.equal(r.addFragment(0, h(0, 100, 20, 60), body.subarray(20, 80)), 'accepted'); // overlap
    assert.equal(r.addFragment(0, h(0, 90, 0, 10), body.subarray(0, 10)), 'dropped'); // length lies
    assert.equal(r.addFragment(1, h(0, 100, 0, 10), body.subarray(0, 10)), 'dropped'); // wrong epoch
    assert.equal(r.next(), undefined);
    assert.equal(r.addFragment(0, h(0, 100, 0, 30), body.subarray(0, 30)), 'accepted');
    assert.deepEqual(r.next()?.body, body);
    assert.deepEqual(r.next()?.body, body);
    assert.equal(r.addFragment(0, h(0, 100, 0, 100), body), 'old'); // a retransmission
    assert.equal(r.addFragment(0, h(9, 100, 0, 10), body), 'dropped'); // beyond the window
    assert.equal(r.addFragment(0, h(3, 5000, 0, 10), body), 'dropped'); // too large
    assert.equal(r.addFragment(0, h(3, 1000, 0, 10), body), 'accepted');
    assert.equal(r.addFragment(0, h(4, 1000, 0, 10), body), 'accepted');
    assert.equal(r.addFragment(0, h(5, 1000, 0, 10), body), 'dropped', 'total buffer cap');
    assert.ok(r.buffered <= 4000);
  });
});
