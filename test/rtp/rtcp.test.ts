import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/common/bytes.js';
import { ProtocolError } from '../../src/common/errors.js';
import { parseRtcp, type RtcpPacket, serializeRtcp, tryParseRtcp } from '../../src/rtp/rtcp/index.js';

const block = {
  ssrc: 0x11223344,
  fractionLost: 25,
  packetsLost: -3,
  highestSequence: 0x0001ffff,
  jitter: 77,
  lastSr: 0xabcdef01,
  delaySinceLastSr: 65536,
};

const everyType: RtcpPacket[] = [
  {
    type: 'sr',
    ssrc: 1,
    ntpSeconds: 0xe0000000,
    ntpFraction: 0x80000000,
    rtpTimestamp: 123456,
    packetCount: 10,
    octetCount: 12000,
    reports: [block],
  },
  { type: 'rr', ssrc: 2, reports: [block, { ...block, ssrc: 9, packetsLost: 8388607 }] },
  {
    type: 'sdes',
    chunks: [
      { source: 1, items: [{ type: 1, value: 'cname-ü' }] },
      {
        source: 2,
        items: [
          { type: 1, value: 'abc' },
          { type: 6, value: 'tsrtc' },
        ],
      },
    ],
  },
  { type: 'bye', sources: [1, 2], reason: 'going away' },
  { type: 'bye', sources: [3] },
  { type: 'app', subtype: 3, ssrc: 5, name: 'TEST', data: Uint8Array.of(1, 2, 3, 4) },
  { type: 'nack', senderSsrc: 1, mediaSsrc: 2, lost: [100, 101, 116, 117, 65535, 0, 3] },
  {
    type: 'twcc',
    senderSsrc: 1,
    mediaSsrc: 2,
    baseSequenceNumber: 65530,
    packetStatusCount: 40,
    referenceTime: -2,
    fbPktCount: 9,
    received: [
      { sequenceNumber: 65530, deltaUs: 250 },
      { sequenceNumber: 65531, deltaUs: 0 },
      { sequenceNumber: 65535, deltaUs: -1000 },
      { sequenceNumber: 2, deltaUs: 63750 },
      { sequenceNumber: 3, deltaUs: 64000 },
      ...Array.from({ length: 20 }, (_, i) => ({ sequenceNumber: 10 + i, deltaUs: 500 })),
    ],
  },
  { type: 'pli', senderSsrc: 1, mediaSsrc: 2 },
  {
    type: 'fir',
    senderSsrc: 1,
    mediaSsrc: 0,
    entries: [
      { ssrc: 7, sequenceNumber: 255 },
      { ssrc: 8, sequenceNumber: 1 },
    ],
  },
  { type: 'remb', senderSsrc: 1, bitrate: 8927168, ssrcs: [0xaabbccdd, 2] },
  { type: 'afb', senderSsrc: 1, mediaSsrc: 2, data: Uint8Array.of(0x41, 0x42, 0x43, 0x44, 0, 0, 0, 1) },
  { type: 'rtpfb', fmt: 3, senderSsrc: 1, mediaSsrc: 2, fci: Uint8Array.of(1, 2, 3, 4) },
  { type: 'psfb', fmt: 2, senderSsrc: 1, mediaSsrc: 2, fci: new Uint8Array(0) },
  {
    type: 'xr',
    ssrc: 5,
    blocks: [
      { type: 'rrtr', ntpSeconds: 1, ntpFraction: 2 },
      { type: 'dlrr', items: [{ ssrc: 3, lastRr: 4, delaySinceLastRr: 5 }] },
      { type: 'unknown', blockType: 42, typeSpecific: 7, data: Uint8Array.of(9, 9, 9, 9) },
    ],
  },
  { type: 'unknown', packetType: 210, count: 4, body: Uint8Array.of(1, 2, 3, 4) },
];

function normalise(p: RtcpPacket): unknown {
  return JSON.parse(JSON.stringify(p, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)));
}

describe('RTCP', () => {
  for (const p of everyType) {
    it(`round-trips ${p.type}${'fmt' in p ? p.fmt : ''}`, () => {
      const wire = serializeRtcp([p]);
      assert.equal(wire.byteLength % 4, 0);
      assert.equal(((wire[2]! << 8) | wire[3]!) * 4 + 4, wire.byteLength, 'length field');
      const back = parseRtcp(wire);
      assert.equal(back.length, 1);
      assert.deepEqual(normalise(back[0]!), normalise(p));
      assert.equal(toHex(serializeRtcp(back)), toHex(wire));
    });
  }

  it('round-trips a compound of every type and a reduced-size single packet', () => {
    const wire = serializeRtcp(everyType);
    const back = parseRtcp(wire);
    assert.deepEqual(back.map(normalise), everyType.map(normalise));
    // RFC 5506: a lone PLI, no SR/RR first
    assert.equal(parseRtcp(serializeRtcp([{ type: 'pli', senderSsrc: 1, mediaSsrc: 2 }]))[0]!.type, 'pli');
  });

  it('decodes known bytes: REMB, TWCC, NACK, SR', () => {
    const remb = parseRtcp(fromHex('8fce0005000000010000000052454d42011a20df00000001'))[0]!;
    assert.deepEqual(remb, { type: 'remb', senderSsrc: 1, bitrate: 139487 * 64, ssrcs: [1] });
    const twcc = parseRtcp(
      fromHex('8fcd0006' + '00000001' + '00000002' + '000a0003' + '00000107' + 'd20004ff' + 'ff000000'),
    )[0]!;
    assert.deepEqual(twcc, {
      type: 'twcc',
      senderSsrc: 1,
      mediaSsrc: 2,
      baseSequenceNumber: 10,
      packetStatusCount: 3,
      referenceTime: 1,
      fbPktCount: 7,
      received: [
        { sequenceNumber: 10, deltaUs: 1000 },
        { sequenceNumber: 12, deltaUs: -250 },
      ],
    });
    const nack = parseRtcp(fromHex('81cd0003000000010000000200648001'))[0]!;
    assert.deepEqual(nack, { type: 'nack', senderSsrc: 1, mediaSsrc: 2, lost: [100, 101, 116] });
    const sr = parseRtcp(fromHex('80c8000600000001e000000080000000000000640000000a00000bb8'))[0]!;
    assert.equal(sr.type, 'sr');
    assert.equal(sr.type === 'sr' && sr.octetCount, 3000);
  });

  it('strips padding on the last packet only', () => {
    const pli = serializeRtcp([{ type: 'pli', senderSsrc: 1, mediaSsrc: 2 }]);
    const padded = new Uint8Array(pli.byteLength + 4);
    padded.set(pli);
    padded[0] = padded[0]! | 0x20;
    padded[3] = padded[3]! + 1;
    padded[padded.byteLength - 1] = 4;
    assert.equal(parseRtcp(padded)[0]!.type, 'pli');
    const twice = new Uint8Array(padded.byteLength * 2);
    twice.set(padded);
    twice.set(padded, padded.byteLength);
    assert.throws(() => parseRtcp(twice), ProtocolError);
  });

  it('rejects padding that leaves a body that is not a multiple of 4 bytes (APP, unknown, RR)', () => {
    // APP with 8 bytes of data, 3 of them claimed as padding: the data left (5 bytes) is not 32-bit aligned,
    // which serializeRtcp would refuse; parseRtcp must not return such a packet.
    const app = 'a0cc0004' + '00000001' + '74657374' + '0102030405' + '000003';
    const unknown = 'a1d00002' + '00000001' + '00000002';
    const rr = 'a0c90002' + '00000001' + '00000001';
    for (const hex of [app, unknown, rr]) {
      assert.equal(tryParseRtcp(fromHex(hex)), undefined, hex);
      assert.throws(() => parseRtcp(fromHex(hex)), ProtocolError);
    }
    // the same APP with 4 padding bytes is fine and round-trips
    const ok = parseRtcp(fromHex('a0cc0004' + '00000001' + '74657374' + '01020304' + '00000004'));
    assert.equal(ok[0]!.type, 'app');
    assert.equal(toHex(serializeRtcp(ok)), '80cc0003000000017465737401020304');
  });

  it('accepts transport-wide CC feedback padded with 1–3 bytes, as libwebrtc sends it', () => {
    // 3 small deltas (3 bytes) end the packet off a word boundary: Chromium sets P and pads 3 bytes
    const hex =
      'afcd0006' + '00000001' + '00000002' + '0001' + '0003' + '000010' + '07' + '2003' + '04080c' + '000003';
    const [p] = parseRtcp(fromHex(hex));
    assert.ok(p?.type === 'twcc');
    assert.equal(p.baseSequenceNumber, 1);
    assert.equal(p.referenceTime, 16);
    assert.equal(p.fbPktCount, 7);
    assert.deepEqual(p.received, [
      { sequenceNumber: 1, deltaUs: 1000 },
      { sequenceNumber: 2, deltaUs: 2000 },
      { sequenceNumber: 3, deltaUs: 3000 },
    ]);
    // still only the last packet of a compound may be padded, and by no more than its body
    assert.equal(tryParseRtcp(fromHex('afcd0001' + '00000001' + '00000009')), undefined);
  });

  it('rejects malformed compounds with ProtocolError', () => {
    const bad = [
      '80c8', // short
      '40c80001' + '00000001', // version 1
      '80c9000500000001', // length overruns
      '81c90001' + '00000001', // RR count says 1 block, none present
      '82cb0001' + '00000001', // BYE with 2 sources, 1 present
      '81ca0001' + '00000001', // SDES chunk without items end
      '8fce0003' + '00000001' + '00000000' + '52454d42', // REMB too short for its header: raw AFB, still fine
      'a0c90002' + '00000001' + '00000004', // four padding bytes: valid
      'a0c9000100000000', // padding 0
      '80c90001' + '00000001' + '80', // trailing partial header
      '8fcd0004000000010000000200010005000000 00'.replace(/ /g, ''), // TWCC: 5 statuses, no chunks
    ];
    const results = bad.map((hex) => tryParseRtcp(fromHex(hex)));
    for (const [i, hex] of bad.entries()) {
      if (i === 6 || i === 7) assert.ok(results[i], `${hex} is valid`);
      else {
        assert.equal(results[i], undefined, hex);
        assert.throws(() => parseRtcp(fromHex(hex)), ProtocolError);
      }
    }
  });
});
