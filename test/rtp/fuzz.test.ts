/**
 * Seeded fuzzing of the RTP and RTCP parsers: random and mutated datagrams (truncations, lying length
 * fields, bad padding, bit flips) must either parse or raise ProtocolError, and what they yield must be
 * backed by the datagram's bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/common/errors.js';
import { RtpPacket } from '../../src/rtp/packet.js';
import { findExtension, payloadBounds, rewriteExtensionU16, rewriteSsrc } from '../../src/rtp/rewrite.js';
import { parseRtcp, type RtcpPacket, serializeRtcp } from '../../src/rtp/rtcp/index.js';
import { Prng } from '../sim/network.js';

const ITERATIONS = 20_000;

function mutate(rng: Prng, seed: Uint8Array): Uint8Array {
  const b = seed.slice();
  switch (rng.int(6)) {
    case 0:
      return b.subarray(0, rng.int(b.byteLength + 1)); // truncate
    case 1: {
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips; i++) b[rng.int(b.byteLength)]! ^= 1 << rng.int(8);
      return b;
    }
    case 2: // lie in a 16-bit field (RTP extension length / RTCP length)
      if (b.byteLength >= 4) {
        const at = rng.int(b.byteLength - 1);
        b[at] = rng.int(256);
        b[at + 1] = rng.int(256);
      }
      return b;
    case 3: // padding bit with a wild count
      b[0] = b[0]! | 0x20;
      b[b.byteLength - 1] = rng.int(256);
      return b;
    case 4: {
      const extended = new Uint8Array(b.byteLength + rng.int(16));
      extended.set(b);
      for (let i = b.byteLength; i < extended.byteLength; i++) extended[i] = rng.int(256);
      return extended;
    }
    default: {
      const r = new Uint8Array(rng.int(64));
      for (let i = 0; i < r.byteLength; i++) r[i] = rng.int(256);
      if (r.byteLength) r[0] = 0x80 | (r[0]! & 0x3f);
      return r;
    }
  }
}

function itemCount(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
    case 'rr':
      return p.reports.length;
    case 'sdes':
      return p.chunks.reduce((n, c) => n + 1 + c.items.length, 0);
    case 'bye':
      return p.sources.length;
    case 'nack':
      return p.lost.length / 4.25; // a 4-byte PID+BLP names up to 17 packets
    case 'twcc':
      return p.received.length;
    case 'fir':
      return p.entries.length;
    case 'remb':
      return p.ssrcs.length;
    case 'xr':
      return p.blocks.length;
    default:
      return 1;
  }
}

describe('fuzz', () => {
  it('RTP parse and in-place rewrite never throw anything but ProtocolError', () => {
    const rng = new Prng(0x5eed1);
    const seeds = [
      new RtpPacket({
        payloadType: 96,
        sequenceNumber: 1,
        timestamp: 2,
        ssrc: 3,
        payload: new Uint8Array(40),
      }),
      new RtpPacket({
        payloadType: 111,
        sequenceNumber: 9,
        timestamp: 2,
        ssrc: 3,
        csrcs: [1, 2, 3],
        padding: 3,
        extensions: [
          { id: 1, data: Uint8Array.of(1, 2) },
          { id: 4, data: Uint8Array.of(7, 7, 7) },
        ],
        payload: new Uint8Array(20),
      }),
      new RtpPacket({
        payloadType: 100,
        sequenceNumber: 9,
        timestamp: 2,
        ssrc: 3,
        extensions: [{ id: 20, data: new Uint8Array(30) }],
      }),
    ].map((p) => p.serialize());
    let parsed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const data = mutate(rng, seeds[i % seeds.length]!);
      try {
        const p = RtpPacket.parse(data);
        parsed++;
        assert.ok(p.payload.byteLength + p.padding <= data.byteLength);
        assert.ok(p.extensions.length <= data.byteLength);
        const again = RtpPacket.parse(p.serialize());
        assert.equal(again.payload.byteLength, p.payload.byteLength);
      } catch (e) {
        assert.ok(e instanceof ProtocolError, `unexpected ${String(e)}`);
      }
      payloadBounds(data);
      findExtension(data, 1 + (i % 20));
      rewriteExtensionU16(data, 1, 0xffff);
      rewriteSsrc(data, i);
    }
    assert.ok(
      parsed > ITERATIONS / 10,
      `only ${parsed} parsed: the mutations are too destructive to be useful`,
    );
  });

  it('RTCP compound parse never throws anything but ProtocolError and allocates only what bytes back', () => {
    const rng = new Prng(0x5eed2);
    const seed = serializeRtcp([
      {
        type: 'rr',
        ssrc: 1,
        reports: [
          {
            ssrc: 2,
            fractionLost: 0,
            packetsLost: 0,
            highestSequence: 0,
            jitter: 0,
            lastSr: 0,
            delaySinceLastSr: 0,
          },
        ],
      },
      { type: 'sdes', chunks: [{ source: 1, items: [{ type: 1, value: 'abc' }] }] },
      { type: 'bye', sources: [1], reason: 'x' },
      { type: 'nack', senderSsrc: 1, mediaSsrc: 2, lost: [1, 2, 3, 40] },
      {
        type: 'twcc',
        senderSsrc: 1,
        mediaSsrc: 2,
        baseSequenceNumber: 1,
        packetStatusCount: 30,
        referenceTime: 0,
        fbPktCount: 0,
        received: [
          { sequenceNumber: 1, deltaUs: 250 },
          { sequenceNumber: 20, deltaUs: -250 },
        ],
      },
      { type: 'remb', senderSsrc: 1, bitrate: 1e6, ssrcs: [3] },
      { type: 'fir', senderSsrc: 1, mediaSsrc: 0, entries: [{ ssrc: 3, sequenceNumber: 1 }] },
      {
        type: 'xr',
        ssrc: 1,
        blocks: [{ type: 'dlrr', items: [{ ssrc: 1, lastRr: 2, delaySinceLastRr: 3 }] }],
      },
      { type: 'app', subtype: 1, ssrc: 1, name: 'ABCD', data: new Uint8Array(4) },
    ]);
    let parsed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const data = mutate(rng, seed);
      let packets: RtcpPacket[];
      try {
        packets = parseRtcp(data);
      } catch (e) {
        assert.ok(e instanceof ProtocolError, `unexpected ${String(e)}`);
        continue;
      }
      parsed++;
      const items = packets.reduce((n, p) => n + itemCount(p), 0);
      assert.ok(items <= data.byteLength, `${items} items from ${data.byteLength} bytes`);
      try {
        serializeRtcp(packets);
      } catch (e) {
        // parsed values that cannot be written back (e.g. a TWCC whose counts contradict) are refused cleanly
        assert.ok(e instanceof RangeError, `unexpected ${String(e)}`);
      }
    }
    assert.ok(parsed > ITERATIONS / 10, `only ${parsed} parsed`);
  });
});
