import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes } from '../../src/common/bytes.js';
import { encodeChannelData, isChannelData, parseChannelData } from '../../src/ice/turn/channel-data.js';
import { encodeSendIndication } from '../../src/ice/turn/send-indication.js';
import { StreamFramer } from '../../src/ice/turn/stream-framer.js';
import { StunMethod } from '../../src/stun/constants.js';
import { StunMessage } from '../../src/stun/message.js';
import { Prng } from '../sim/network.js';

function randomPayload(rng: Prng, max: number): Uint8Array {
  const out = new Uint8Array(rng.int(max + 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

describe('ChannelData', () => {
  it('round-trips with and without padding', () => {
    for (const size of [0, 1, 2, 3, 4, 5, 1200]) {
      const data = new Uint8Array(size).fill(7);
      const padded = encodeChannelData(0x4001, data, true);
      const bare = encodeChannelData(0x4001, data, false);
      assert.equal(padded.byteLength % 4, 0);
      assert.equal(bare.byteLength, 4 + size);
      for (const frame of [padded, bare]) {
        assert.ok(isChannelData(frame));
        const m = parseChannelData(frame);
        assert.equal(m?.channel, 0x4001);
        assert.ok(bytesEqual(m!.data, data));
      }
    }
  });

  it('rejects channels outside 0x4000–0x4FFF and lengths that lie', () => {
    const ok = encodeChannelData(0x4fff, new Uint8Array(8), false);
    const lying = ok.slice();
    lying[3] = 9; // claims one more byte than there is
    assert.equal(parseChannelData(lying), undefined);
    const badChannel = ok.slice();
    badChannel[0] = 0x50;
    assert.equal(parseChannelData(badChannel), undefined);
    assert.equal(parseChannelData(new Uint8Array([0x40, 0])), undefined);
    assert.throws(() => encodeChannelData(0x3fff, new Uint8Array(1), false), RangeError);
  });
});

describe('Send indication encoder', () => {
  it('writes exactly what StunMessage serializes, for IPv4 and IPv6 peers and every padding', () => {
    const rng = new Prng(5);
    const peers = [
      { address: '192.0.2.77', port: 49152 },
      { address: '2001:db8::1:2:3', port: 3478 },
      { address: '::1', port: 1 },
    ];
    for (let i = 0; i < 200; i++) {
      const id = new Uint8Array(12).map(() => rng.int(256));
      const peer = peers[i % peers.length]!;
      const data = randomPayload(rng, 40);
      const reference = new StunMessage(StunMethod.Send, 'indication', id)
        .setXorPeerAddress(peer)
        .setData(data);
      assert.ok(bytesEqual(encodeSendIndication(id, peer, data), reference.serialize()), `case ${i}`);
      const parsed = StunMessage.parse(encodeSendIndication(id, peer, data));
      assert.deepEqual(parsed.xorPeerAddress, peer);
    }
  });
});

describe('StreamFramer (RFC 8656 §11.5)', () => {
  it('reassembles STUN and padded ChannelData from randomly cut chunks', () => {
    const rng = new Prng(42);
    for (let round = 0; round < 50; round++) {
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 20; i++) {
        if (rng.next() < 0.5) {
          frames.push(encodeChannelData(0x4000 + rng.int(16), randomPayload(rng, 300), true));
        } else {
          const m = new StunMessage(StunMethod.Data, 'indication').setData(randomPayload(rng, 300));
          frames.push(m.serialize({ fingerprint: rng.next() < 0.5 }));
        }
      }
      const stream = concatBytes(frames);
      const framer = new StreamFramer();
      const out: Uint8Array[] = [];
      for (let at = 0; at < stream.byteLength; ) {
        const size = 1 + rng.int(Math.min(700, stream.byteLength - at));
        out.push(...framer.push(stream.subarray(at, at + size)));
        at += size;
      }
      assert.equal(out.length, frames.length);
      for (const [i, f] of frames.entries())
        assert.ok(bytesEqual(out[i]!, f), `frame ${i} of round ${round}`);
      assert.equal(framer.buffered, 0);
      assert.equal(framer.corrupt, false);
    }
  });

  it('returns copies, so a reused input buffer does not change earlier frames', () => {
    const framer = new StreamFramer();
    const chunk = encodeChannelData(0x4000, new Uint8Array([1, 2, 3, 4]), true);
    const [frame] = framer.push(chunk);
    chunk.fill(0);
    assert.deepEqual([...frame!.subarray(4)], [1, 2, 3, 4]);
  });

  it('marks the stream corrupt on a first byte that starts no frame, and holds no memory', () => {
    const framer = new StreamFramer();
    assert.deepEqual(framer.push(new Uint8Array([0x80, 1, 2, 3, 4, 5])), []);
    assert.equal(framer.corrupt, true);
    assert.equal(framer.buffered, 0);
    assert.deepEqual(framer.push(encodeChannelData(0x4000, new Uint8Array(4), true)), []);
    framer.reset();
    assert.equal(framer.push(encodeChannelData(0x4000, new Uint8Array(4), true)).length, 1);
  });

  it('catches a STUN header with a wrong magic cookie', () => {
    const framer = new StreamFramer();
    const m = new StunMessage(StunMethod.Data, 'indication').serialize();
    m[5] ^= 0xff;
    framer.push(m);
    assert.equal(framer.corrupt, true);
  });

  it('never buffers more than one maximal frame while waiting', () => {
    const framer = new StreamFramer();
    // A ChannelData header announcing 65535 bytes, then the bytes one small chunk at a time.
    framer.push(new Uint8Array([0x40, 0x00, 0xff, 0xff]));
    for (let i = 0; i < 100; i++) framer.push(new Uint8Array(600));
    assert.equal(framer.buffered, 4 + 60_000);
    const done = framer.push(new Uint8Array(65_536 - 60_000));
    assert.equal(done.length, 1);
    assert.equal(done[0]!.byteLength, 4 + 65_536);
    assert.equal(framer.buffered, 0);
  });
});
