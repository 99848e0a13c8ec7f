import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeSack } from '../../src/sctp/chunks.js';
import { PacketBuilder } from '../../src/sctp/packet.js';
import { type Fragment, type InboundMessage, InboundStream } from '../../src/sctp/reassembly.js';

describe('PacketBuilder', () => {
  it('writes a plain SACK in place byte for byte as the encoder does', () => {
    const a = new PacketBuilder(5000, 5001, 1200);
    a.begin(0x01020304);
    a.addPlainSack(0xfffffff0, 123_456);
    const inPlace = a.finish(true);
    const b = new PacketBuilder(5000, 5001, 1200);
    b.begin(0x01020304);
    b.addChunk(encodeSack(0xfffffff0, 123_456, [], []));
    assert.deepEqual(inPlace, b.finish(true));
    assert.equal(inPlace.byteLength, 12 + 16);
  });

  it('hands out packets that later packets never overwrite, across slabs', () => {
    const builder = new PacketBuilder(5000, 5001, 1200);
    const packets: { packet: Uint8Array; copy: Uint8Array }[] = [];
    for (let i = 0; i < 600; i++) {
      builder.begin(i);
      const payload = new Uint8Array(1 + ((i * 37) % 1150)).fill(i & 0xff);
      builder.addData(false, 3, i, 1, i & 0xffff, 0, 51, payload);
      const packet = builder.finish(i % 2 === 0);
      packets.push({ packet, copy: packet.slice() });
      assert.equal(packet.byteLength % 4, 0, 'padded to 4 bytes');
      assert.equal(new DataView(packet.buffer, packet.byteOffset).getUint32(4), i, 'verification tag');
    }
    for (const { packet, copy } of packets) assert.deepEqual(packet, copy);
  });

  it('grows a packet for a chunk larger than the MTU and goes back to the slab after it', () => {
    const builder = new PacketBuilder(1, 2, 100);
    builder.begin(7);
    const big = new Uint8Array(300).fill(9);
    new DataView(big.buffer).setUint16(2, 300);
    builder.addChunk(big);
    const packet = builder.finish(true);
    assert.equal(packet.byteLength, 312);
    assert.deepEqual(packet.subarray(12), big);
    builder.begin(8);
    builder.addPlainSack(1, 2);
    const next = builder.finish(true);
    assert.equal(next.byteLength, 28);
    assert.deepEqual(packet.subarray(12), big, 'the grown packet is untouched');
  });
});

describe('InboundStream reassembly', () => {
  const fragmentsOf = (tsn: number, sequence: number, sizes: number[]): Fragment[] =>
    sizes.map((size, i) => ({
      tsn: tsn + i,
      flags: (i === 0 ? 2 : 0) | (i === sizes.length - 1 ? 1 : 0),
      sequence,
      index: tsn + i,
      ppid: 53,
      payload: new Uint8Array(size).fill(sequence * 16 + i),
    }));

  for (const order of ['in order', 'reversed', 'interleaved messages']) {
    it(`delivers ordered messages whole and in sequence (${order}), releasing every byte`, () => {
      const delivered: InboundMessage[] = [];
      let released = 0;
      const stream = new InboundStream(
        0,
        false,
        1 << 20,
        (m) => delivered.push(m),
        () => assert.fail('nothing is refused'),
        (n) => {
          released += n;
        },
      );
      const m0 = fragmentsOf(100, 0, [1000, 1000, 500]);
      const m1 = fragmentsOf(103, 1, [1000, 7]);
      const m2 = fragmentsOf(105, 2, [3]);
      let all: Fragment[];
      if (order === 'in order') all = [...m0, ...m1, ...m2];
      else if (order === 'reversed') all = [...m0, ...m1, ...m2].reverse();
      else all = [m1[1]!, m0[0]!, m2[0]!, m1[0]!, m0[2]!, m0[1]!];
      for (const f of all) assert.equal(stream.add(f, false), true);
      assert.deepEqual(
        delivered.map((m) => m.data.byteLength),
        [2500, 1007, 3],
      );
      for (const [i, m] of delivered.entries()) {
        const src = [m0, m1, m2][i]!;
        assert.deepEqual(m.data, new Uint8Array(src.flatMap((f) => [...f.payload])), `message ${i} content`);
      }
      assert.equal(released, 2500 + 1007 + 3);
      assert.equal(stream.idle, true);
    });
  }

  it('refuses a message over the size limit and still delivers the next one', () => {
    const delivered: number[] = [];
    const refused: number[] = [];
    const stream = new InboundStream(
      4,
      false,
      1500,
      (m) => delivered.push(m.data.byteLength),
      (id) => refused.push(id),
      () => {},
    );
    for (const f of fragmentsOf(1, 0, [1000, 1000, 1000])) stream.add(f, false);
    for (const f of fragmentsOf(4, 1, [700, 700])) stream.add(f, false);
    assert.deepEqual(refused, [4]);
    assert.deepEqual(delivered, [1400]);
  });
});
