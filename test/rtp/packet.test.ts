import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/common/bytes.js';
import { ProtocolError } from '../../src/common/errors.js';
import { ONE_BYTE_PROFILE } from '../../src/rtp/header-extensions.js';
import { isRtcp, isRtpOrRtcp, RtpPacket } from '../../src/rtp/packet.js';
import {
  findExtension,
  payloadBounds,
  rewriteExtensionU16,
  rewritePayloadType,
  rewriteSequenceNumber,
  rewriteSsrc,
  rewriteTimestamp,
} from '../../src/rtp/rewrite.js';
import { unwrapRtx, wrapRtx } from '../../src/rtp/rtx.js';
import { Prng } from '../sim/network.js';

// V=2 P=0 X=1 CC=1, M=1 PT=96, seq 0x1234, ts 0xdeadbeef, ssrc 0x01020304, csrc 0x0a0b0c0d,
// one-byte block: id 1 len 1 (0x7f), id 3 len 2 (0x0102), pad to 4 bytes -> length 2 words; payload aabbcc
const SAMPLE =
  '91e0' +
  '1234' +
  'deadbeef' +
  '01020304' +
  '0a0b0c0d' +
  'bede0002' +
  '107f' +
  '310102' +
  '000000' +
  'aabbcc';

describe('RtpPacket', () => {
  it('parses every header field from known bytes', () => {
    const p = RtpPacket.parse(fromHex(SAMPLE));
    assert.equal(p.payloadType, 96);
    assert.equal(p.marker, true);
    assert.equal(p.sequenceNumber, 0x1234);
    assert.equal(p.timestamp, 0xdeadbeef);
    assert.equal(p.ssrc, 0x01020304);
    assert.deepEqual(p.csrcs, [0x0a0b0c0d]);
    assert.equal(p.extensionProfile, ONE_BYTE_PROFILE);
    assert.deepEqual(
      p.extensions.map((e) => [e.id, toHex(e.data)]),
      [
        [1, '7f'],
        [3, '0102'],
      ],
    );
    assert.equal(toHex(p.payload), 'aabbcc');
    assert.equal(p.padding, 0);
    assert.equal(toHex(p.serialize()), SAMPLE);
  });

  it('returns views, not copies', () => {
    const data = fromHex(SAMPLE);
    const p = RtpPacket.parse(data);
    assert.equal(p.payload.buffer, data.buffer);
    data[data.byteLength - 1] = 0x11;
    assert.equal(p.payload[2], 0x11);
    assert.equal(p.getExtension(3)!.buffer, data.buffer);
  });

  it('round-trips padding, the two-byte form and a raw profile', () => {
    const p = new RtpPacket({
      payloadType: 111,
      sequenceNumber: 65535,
      timestamp: 4294967295,
      ssrc: 0xffffffff,
      payload: Uint8Array.of(1, 2, 3, 4, 5),
      padding: 7,
      extensions: [
        { id: 1, data: new Uint8Array(0) },
        { id: 200, data: new Uint8Array(20).fill(9) },
      ],
    });
    const bytes = p.serialize();
    assert.equal(bytes[0]! & 0x30, 0x30);
    assert.equal(bytes[bytes.byteLength - 1], 7);
    const q = RtpPacket.parse(bytes);
    assert.equal(q.extensionProfile! & 0xfff0, 0x1000);
    assert.deepEqual(
      q.extensions.map((e) => [e.id, e.data.byteLength]),
      [
        [1, 0],
        [200, 20],
      ],
    );
    assert.equal(q.padding, 7);
    assert.deepEqual([...q.payload], [1, 2, 3, 4, 5]);
    assert.equal(toHex(q.serialize()), toHex(bytes));

    const raw = new RtpPacket({
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      extensionProfile: 0xabcd,
      extensionData: fromHex('0102030405060708'),
    });
    const r = RtpPacket.parse(raw.serialize());
    assert.equal(r.extensionProfile, 0xabcd);
    assert.equal(toHex(r.extensionData!), '0102030405060708');
    assert.equal(r.extensions.length, 0);
  });

  it('keeps the two-byte form when parsed that way and switches forms when needed', () => {
    const p = new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1 });
    p.setExtension(5, Uint8Array.of(1, 2));
    assert.equal(p.serialize()[RtpPacketHeader], 0xbe);
    p.setExtension(5, new Uint8Array(17)); // too long for one-byte
    const q = RtpPacket.parse(p.serialize());
    assert.equal(q.extensionProfile, 0x1000);
    q.setExtension(5, Uint8Array.of(1));
    assert.equal(RtpPacket.parse(q.serialize()).extensionProfile, 0x1000);
    assert.equal(q.removeExtension(5), true);
    assert.equal(q.removeExtension(5), false);
  });

  it('rejects malformed packets with ProtocolError', () => {
    const bad = [
      '80e0123412345678', // short
      '40e0000100000000000000000000', // version 1
      '83e0000100000000000000000000', // 3 CSRCs missing
      '90e000010000000000000000bede', // extension header truncated
      '90e000010000000000000000bede0005', // extension length lies
      '90e000010000000000000000bede000120', // one-byte element overruns (len 1 declared, block of 4)
      'a0e00001000000000000000000', // padding count 0
      'a0e000010000000000000000aa10', // padding larger than packet
    ];
    for (const hex of bad) {
      assert.throws(() => RtpPacket.parse(fromHex(hex)), ProtocolError, hex);
      assert.equal(RtpPacket.tryParse(fromHex(hex)), undefined);
    }
  });

  it('classifies RTP and RTCP (RFC 5761, RFC 7983)', () => {
    assert.equal(isRtpOrRtcp(fromHex(SAMPLE)), true);
    assert.equal(isRtcp(fromHex(SAMPLE)), false);
    assert.equal(isRtcp(fromHex('80c80006')), true);
    assert.equal(isRtpOrRtcp(fromHex('16fefd')), false);
  });
});

const RtpPacketHeader = 12;

describe('in-place rewrite', () => {
  it('rewrites SSRC, PT, sequence, timestamp and an extension without touching the payload', () => {
    const data = fromHex(SAMPLE);
    const payloadBefore = toHex(data.subarray(data.byteLength - 3));
    assert.ok(rewriteSsrc(data, 0xcafebabe));
    assert.ok(rewritePayloadType(data, 100));
    assert.ok(rewriteSequenceNumber(data, 0xfffe));
    assert.ok(rewriteTimestamp(data, 7));
    assert.ok(rewriteExtensionU16(data, 3, 0xbeef));
    assert.equal(rewriteExtensionU16(data, 1, 1), false, 'length mismatch refused');
    assert.equal(findExtension(data, 9), undefined);
    const p = RtpPacket.parse(data);
    assert.equal(p.ssrc, 0xcafebabe);
    assert.equal(p.payloadType, 100);
    assert.equal(p.marker, true, 'marker preserved');
    assert.equal(p.sequenceNumber, 0xfffe);
    assert.equal(p.timestamp, 7);
    assert.equal(toHex(p.getExtension(3)!), 'beef');
    assert.equal(toHex(p.payload), payloadBefore);
    assert.deepEqual(payloadBounds(data), { offset: data.byteLength - 3, length: 3 });
  });

  it('refuses malformed buffers', () => {
    const short = fromHex('80e01234');
    assert.equal(rewriteSsrc(short, 1), false);
    assert.equal(rewriteSequenceNumber(short, 1), false);
    assert.equal(findExtension(fromHex('90e000010000000000000000bede0005'), 1), undefined);
    assert.equal(payloadBounds(fromHex('a0e000010000000000000000aa10')), undefined);
  });
});

describe('RTX (RFC 4588)', () => {
  it('wraps and unwraps with the original sequence number', () => {
    const original = RtpPacket.parse(fromHex(SAMPLE));
    const rtx = wrapRtx(original, { payloadType: 97, ssrc: 0x55, sequenceNumber: 70000 });
    const wire = RtpPacket.parse(rtx.serialize());
    assert.equal(wire.payloadType, 97);
    assert.equal(wire.ssrc, 0x55);
    assert.equal(wire.sequenceNumber, 70000 & 0xffff);
    assert.equal(toHex(wire.payload), '1234aabbcc');
    const back = unwrapRtx(wire, { payloadType: 96, ssrc: 0x01020304 })!;
    assert.equal(toHex(back.serialize()), SAMPLE);
    assert.equal(
      unwrapRtx(new RtpPacket({ payloadType: 97, sequenceNumber: 1, timestamp: 0, ssrc: 1 }), original),
      undefined,
    );
  });
});

describe('RtpPacket property round trip', () => {
  it('parse(serialize(p)) keeps every field for 2,000 seeded random packets', () => {
    const rng = new Prng(0xabc);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => rng.int(256));
    for (let i = 0; i < 2000; i++) {
      const twoByte = rng.int(3) === 0;
      const extensions = Array.from({ length: rng.int(5) }, (_, k) => ({
        id: twoByte ? 1 + k * 40 + rng.int(40) : 1 + k * 3 + rng.int(3),
        data: bytes(twoByte ? rng.int(30) : 1 + rng.int(16)),
      }));
      const p = new RtpPacket({
        payloadType: rng.int(128),
        sequenceNumber: rng.int(65536),
        timestamp: rng.int(2 ** 32),
        ssrc: rng.int(2 ** 32),
        marker: rng.int(2) === 1,
        csrcs: Array.from({ length: rng.int(16) }, () => rng.int(2 ** 32)),
        payload: bytes(rng.int(300)),
        padding: rng.int(3) === 0 ? 1 + rng.int(255) : 0,
        extensions,
      });
      if (twoByte) p.extensionProfile = 0x1000;
      const wire = p.serialize();
      assert.equal(wire.byteLength, p.serializedLength);
      const q = RtpPacket.parse(wire);
      for (const key of [
        'payloadType',
        'sequenceNumber',
        'timestamp',
        'ssrc',
        'marker',
        'padding',
      ] as const) {
        assert.equal(q[key], p[key], key);
      }
      assert.deepEqual(q.csrcs, p.csrcs);
      assert.equal(q.extensionProfile, p.extensionProfile ?? (extensions.length ? 0xbede : undefined));
      assert.equal(toHex(q.payload), toHex(p.payload));
      assert.deepEqual(
        q.extensions.map((e) => [e.id, toHex(e.data)]),
        p.extensions.map((e) => [e.id, toHex(e.data)]),
      );
      const into = new Uint8Array(wire.byteLength + 10);
      assert.equal(q.serializeTo(into, 7 - (i % 8)), wire.byteLength);
    }
  });
});
