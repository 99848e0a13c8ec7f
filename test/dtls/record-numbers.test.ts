/**
 * Record sequence numbers around the HelloVerifyRequest (RFC 6347 §4.2.1): the HelloVerifyRequest reuses
 * the ClientHello's record number, and the server's later epoch-0 records continue after it. A peer with
 * an epoch-0 replay window (OpenSSL) would drop a ServerHello that repeats the HelloVerifyRequest's number.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContentType, HandshakeType } from '../../src/dtls/constants.js';
import { newRecordHeader, readRecordHeader } from '../../src/dtls/record.js';
import type { Datagram } from '../sim/network.js';
import { bothConnected, enginePair, testCertificates } from './harness.js';

interface SeenRecord {
  fromClient: boolean;
  epoch: number;
  sequence: number;
  /** Handshake message type of an epoch-0 handshake record, else undefined. */
  handshakeType: number | undefined;
}

function recordsOf(d: Datagram): SeenRecord[] {
  const out: SeenRecord[] = [];
  const h = newRecordHeader();
  let at = 0;
  while (at < d.data.byteLength) {
    const next = readRecordHeader(d.data, at, h);
    if (next < 0) break;
    out.push({
      fromClient: d.source.address === '203.0.113.101',
      epoch: h.epoch,
      sequence: h.sequence,
      handshakeType: h.type === ContentType.handshake && h.epoch === 0 ? d.data[h.fragmentOffset] : undefined,
    });
    at = next;
  }
  return out;
}

function duplicates(records: SeenRecord[]): string[] {
  const seen = new Set<string>();
  const repeated: string[] = [];
  for (const r of records) {
    const key = `${r.epoch}/${r.sequence}`;
    if (seen.has(key)) repeated.push(key);
    seen.add(key);
  }
  return repeated;
}

describe('DTLS record sequence numbers after a HelloVerifyRequest', () => {
  it('the HelloVerifyRequest reuses the ClientHello record number; the server never repeats a number', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({ clientCert: ecdsa, serverCert: ecdsa });
    const records: SeenRecord[] = [];
    net.tap = (d) => {
      records.push(...recordsOf(d));
      return true;
    };
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    const fromServer = records.filter((r) => !r.fromClient);
    const hellos = records.filter((r) => r.fromClient && r.handshakeType === HandshakeType.clientHello);
    const verify = fromServer.find((r) => r.handshakeType === HandshakeType.helloVerifyRequest);
    const serverHello = fromServer.find((r) => r.handshakeType === HandshakeType.serverHello);
    assert.ok(verify && serverHello && hellos.length === 2);
    assert.equal(verify.sequence, hellos[0]!.sequence, 'HelloVerifyRequest carries the ClientHello number');
    assert.ok(
      serverHello.sequence > verify.sequence,
      `ServerHello record ${serverHello.sequence} follows the HelloVerifyRequest's ${verify.sequence}`,
    );
    assert.deepEqual(duplicates(fromServer), [], 'no server record number repeats in an epoch');
    assert.deepEqual(duplicates(records.filter((r) => r.fromClient)), []);
  });

  it('stays unique when flights and HelloVerifyRequests are lost and resent', async () => {
    const { ecdsa } = await testCertificates();
    const { net, client, server } = enginePair({
      clientCert: ecdsa,
      serverCert: ecdsa,
      client: { initialRetransmitMs: 100 },
      server: { initialRetransmitMs: 100 },
    });
    const records: SeenRecord[] = [];
    let n = 0;
    net.tap = (d) => {
      records.push(...recordsOf(d));
      // Lose the first HelloVerifyRequest and the first ServerHello flight.
      const lost = ++n === 2 || (d.data[13] === HandshakeType.serverHello && n < 6);
      return !lost;
    };
    assert.ok(net.runUntil(() => bothConnected(client, server), 10_000));
    assert.ok(server.engine.stats.helloVerifyRequestsSent >= 2);
    assert.deepEqual(duplicates(records.filter((r) => !r.fromClient)), []);
  });
});
