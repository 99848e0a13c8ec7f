import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteWriter } from '../../src/common/bytes.js';
import { decodeDcep } from '../../src/datachannel/dcep.js';
import { Association } from '../../src/sctp/association.js';
import { ChunkType } from '../../src/sctp/constants.js';
import { sctpChecksum } from '../../src/sctp/crc32c.js';
import { Prng } from '../sim/network.js';
import { connect, makePair } from './harness.js';

/** Wrap chunks in a packet with the right tag and checksum, so the fuzz reaches the chunk parsers. */
function packet(tag: number, chunks: Uint8Array): Uint8Array {
  const p = new Uint8Array(12 + chunks.byteLength);
  const v = new DataView(p.buffer);
  v.setUint16(0, 5000);
  v.setUint16(2, 5000);
  v.setUint32(4, tag);
  p.set(chunks, 12);
  v.setUint32(8, sctpChecksum(p), true);
  return p;
}

function chunk(type: number, flags: number, body: Uint8Array, lieAboutLength?: number): Uint8Array {
  const w = new ByteWriter(4 + body.byteLength);
  w.u8(type)
    .u8(flags)
    .u16(lieAboutLength ?? 4 + body.byteLength)
    .bytes(body);
  return w.finish();
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

const TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 64, 130, 192, 194, 0x3f, 0x7f, 0xbf, 0xff];

describe('SCTP fuzz (seeded)', () => {
  it('survives random and mutated packets in every state without throwing or growing unbounded', () => {
    const rng = new Prng(1234);
    const { net, client, server } = makePair({ delay: 2 });
    assert.equal(connect(net, client, server), true);
    const target = server.assoc;
    const fresh = new Association();
    fresh.connect(0);
    const started = Date.now();
    for (let i = 0; i < 20_000 && Date.now() - started < 8000; i++) {
      const which = rng.int(4);
      let p: Uint8Array;
      if (which === 0) {
        p = randomBytes(rng, rng.int(200));
      } else {
        const type = TYPES[rng.int(TYPES.length)]!;
        const body = randomBytes(rng, rng.int(120));
        // Plausible bodies for the interesting cases.
        const v = new DataView(body.buffer);
        if (body.byteLength >= 16 && (type === 0 || type === 64))
          v.setUint32(0, (target.receiver!.cumulativeTsn + rng.int(40) - 5) >>> 0);
        if (body.byteLength >= 4 && (type === 192 || type === 194))
          v.setUint32(0, (target.receiver!.cumulativeTsn + rng.int(1 << 20)) >>> 0);
        const lie = rng.int(5) === 0 ? rng.int(0x10000) : undefined;
        const tag = which === 3 ? rng.int(2 ** 32) : type === 1 ? 0 : target.localTag;
        p = packet(tag, chunk(type, rng.int(256), body, lie));
        if (which === 2) p[12 + rng.int(p.byteLength - 12)] ^= 1 << rng.int(8); // bit flip breaks the checksum
      }
      target.handleInput(net.now, p);
      fresh.handleInput(net.now, p);
      while (target.pollTransmit());
      while (target.pollEvent());
      while (fresh.pollTransmit());
      while (fresh.pollEvent());
    }
    const s = target.stats;
    assert.ok(s.dropped.checksum > 0 && s.dropped.malformed > 0 && s.dropped.tag > 0, JSON.stringify(s));
    assert.ok(target.receiver!.buffered <= target.options.receiveWindow * 2, 'reassembly bounded');
  });

  it('drops wrong verification tags and bad checksums', () => {
    const { net, client, server } = makePair(
      { delay: 2 },
      1,
      { interleaving: false },
      { interleaving: false },
    );
    assert.equal(connect(net, client, server), true);
    const data = chunk(ChunkType.DATA, 3, new Uint8Array(20));
    new DataView(data.buffer).setUint32(4, (server.assoc.receiver!.cumulativeTsn + 1) >>> 0);
    const before = server.assoc.receiver!.cumulativeTsn;
    server.assoc.handleInput(net.now, packet(server.assoc.localTag ^ 1, data));
    const bad = packet(server.assoc.localTag, data);
    bad[8] ^= 0xff;
    server.assoc.handleInput(net.now, bad);
    assert.equal(server.assoc.receiver!.cumulativeTsn, before);
    assert.equal(server.assoc.stats.dropped.tag, 1);
    assert.equal(server.assoc.stats.dropped.checksum, 1);
    server.assoc.handleInput(net.now, packet(server.assoc.localTag, data));
    assert.equal(server.assoc.receiver!.cumulativeTsn, (before + 1) >>> 0, 'the valid one is taken');
  });

  it('handles each of the four unrecognized-chunk actions', () => {
    const { net, client, server } = makePair({ delay: 2 });
    assert.equal(connect(net, client, server), true);
    for (const type of [0x3f, 0x7f, 0xbf, 0xff]) {
      const hb = chunk(ChunkType.HEARTBEAT, 0, Uint8Array.of(0, 1, 0, 8, 1, 2, 3, 4));
      const both = new Uint8Array(8 + hb.byteLength);
      both.set(chunk(type, 0, new Uint8Array(4)));
      both.set(hb, 8);
      server.assoc.handleInput(net.now, packet(server.assoc.localTag, both));
      const out: Uint8Array[] = [];
      for (let p = server.assoc.pollTransmit(); p; p = server.assoc.pollTransmit()) out.push(p);
      const types = out.flatMap((p) => {
        const found: number[] = [];
        for (let at = 12; at + 4 <= p.byteLength; ) {
          found.push(p[at]!);
          at += (new DataView(p.buffer, p.byteOffset).getUint16(at + 2) + 3) & ~3;
        }
        return found;
      });
      const skip = (type & 0x80) !== 0;
      const report = (type & 0x40) !== 0;
      assert.equal(types.includes(ChunkType.HEARTBEAT_ACK), skip, `type ${type}: continue=${skip}`);
      assert.equal(types.includes(ChunkType.ERROR), report, `type ${type}: report=${report}`);
    }
  });

  it('rejects INIT with zero streams and FORWARD-TSN beyond anything sent stays bounded', () => {
    const a = new Association();
    const init = new ByteWriter(20).u32(1234).u32(0xffffffff).u16(0).u16(10).u32(1).finish();
    a.handleInput(0, packet(0, chunk(ChunkType.INIT, 0, init)));
    assert.equal(a.pollTransmit(), undefined, 'no INIT-ACK for zero outbound streams');
    const ok = new ByteWriter(20).u32(1234).u32(0xffffffff).u16(10).u16(10).u32(1).finish();
    a.handleInput(0, packet(0, chunk(ChunkType.INIT, 0, ok)));
    assert.ok(a.pollTransmit(), 'INIT-ACK for a valid INIT with an absurd window');
  });

  it('DCEP decoder rejects malformed messages with errors, never crashes', () => {
    const rng = new Prng(99);
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = randomBytes(rng, rng.int(40));
      if (b.byteLength > 0 && rng.int(2) === 0) b[0] = 3;
      try {
        decodeDcep(b);
      } catch (e) {
        assert.ok(e instanceof Error);
        rejected++;
      }
    }
    assert.ok(rejected > 0);
  });
});
