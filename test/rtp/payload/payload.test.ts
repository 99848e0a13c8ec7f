import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AudioDepayloader,
  AudioPayloader,
  Av1Depayloader,
  Av1Payloader,
  createDepayloader,
  createPayloader,
  H264Depayloader,
  H264Payloader,
  isVp9Keyframe,
  parseObus,
  parseVp8Descriptor,
  readLeb128,
  rtpClockRate,
  splitAnnexB,
  Vp8Depayloader,
  Vp8Payloader,
  Vp9Depayloader,
  Vp9Payloader,
  writeLeb128,
} from '../../../src/rtp/payload/index.js';
import { makeRandom, randomBytes, toPackets } from './helpers.js';

const rand = makeRandom(7);

describe('audio payloads (Opus, G.711, G.722)', () => {
  it('carry one frame per packet, unchanged', () => {
    const frame = randomBytes(rand, 160);
    const chunks = new AudioPayloader().packetize(frame);
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.marker, false);
    const d = new AudioDepayloader();
    assert.deepEqual(d.inspect(chunks[0]!.payload), { frameStart: true, keyframe: true });
    assert.deepEqual(d.depacketize(toPackets(chunks, 1, 0)), frame);
    assert.equal(d.inspect(new Uint8Array(0)), null);
    assert.throws(() => new AudioPayloader(100).packetize(new Uint8Array(101)), RangeError);
    assert.equal(rtpClockRate('g722'), 8000);
    assert.equal(rtpClockRate('opus'), 48000);
    assert.equal(rtpClockRate('vp9'), 90000);
  });
});

describe('VP8 (RFC 7741)', () => {
  it('splits into balanced packets with S, PID 0 and a 15-bit PictureID, and reassembles', () => {
    const p = new Vp8Payloader(1200, 0x7ffe);
    const key = randomBytes(rand, 5000);
    key[0] = key[0]! & 0xfe; // P=0: keyframe
    const chunks = p.packetize(key);
    assert.equal(chunks.length, 5);
    assert.ok(chunks.every((c) => c.payload.byteLength <= 1200));
    const sizes = chunks.map((c) => c.payload.byteLength);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, 'balanced');
    assert.deepEqual(
      chunks.map((c) => c.marker),
      [false, false, false, false, true],
    );
    const d0 = parseVp8Descriptor(chunks[0]!.payload)!;
    assert.equal(d0.start, true);
    assert.equal(d0.pictureId, 0x7ffe);
    assert.equal(parseVp8Descriptor(chunks[1]!.payload)!.start, false);
    const dep = new Vp8Depayloader();
    assert.deepEqual(dep.inspect(chunks[0]!.payload), { frameStart: true, keyframe: true });
    assert.deepEqual(dep.inspect(chunks[1]!.payload), { frameStart: false, keyframe: false });
    assert.deepEqual(dep.depacketize(toPackets(chunks, 65534, 0)), key);
    const delta = Uint8Array.of(0x01, 2, 3);
    const next = p.packetize(delta);
    assert.equal(parseVp8Descriptor(next[0]!.payload)!.pictureId, 0x7fff);
    assert.equal(dep.inspect(next[0]!.payload)!.keyframe, false);
    assert.equal(
      parseVp8Descriptor(p.packetize(delta)[0]!.payload)!.pictureId,
      0,
      'PictureID wraps at 15 bits',
    );
    // A frame whose first packet is lost cannot be reassembled.
    assert.equal(dep.depacketize(toPackets(chunks.slice(1), 1, 0)), null);
  });

  it('parses every descriptor form (7-bit PictureID, TL0PICIDX, TID/KEYIDX)', () => {
    const p = Uint8Array.of(0x90, 0xf0, 0x05, 0x11, 0x22, 0x9d);
    const d = parseVp8Descriptor(p)!;
    assert.equal(d.pictureId, 5);
    assert.equal(d.size, 5);
    assert.equal(parseVp8Descriptor(Uint8Array.of(0x90, 0xf0, 0x05)), null, 'truncated');
    assert.equal(parseVp8Descriptor(Uint8Array.of(0x10, 0x9d))!.size, 1, 'no extension');
  });
});

describe('VP9 (RFC 9628)', () => {
  it('marks B/E, P on inter frames, and reassembles', () => {
    const key = randomBytes(rand, 3000);
    key[0] = 0x82; // frame marker 10, profile 0, show_existing 0, frame_type 0 (key)
    assert.ok(isVp9Keyframe(key));
    const inter = Uint8Array.of(0x86, 1, 2);
    assert.ok(!isVp9Keyframe(inter));
    const p = new Vp9Payloader(1000, 10);
    const chunks = p.packetize(key);
    assert.equal(chunks.length, 4);
    const dep = new Vp9Depayloader();
    assert.deepEqual(dep.inspect(chunks[0]!.payload), { frameStart: true, keyframe: true });
    assert.equal(chunks[0]!.payload[0]! & 0x0c, 0x08, 'B on first');
    assert.equal(chunks[3]!.payload[0]! & 0x0c, 0x04, 'E on last');
    assert.deepEqual(dep.depacketize(toPackets(chunks, 0, 0)), key);
    const ic = p.packetize(inter);
    assert.deepEqual(dep.inspect(ic[0]!.payload), { frameStart: true, keyframe: false });
    assert.deepEqual(dep.depacketize(toPackets(ic, 5, 0)), inter);
  });

  it('skips flexible-mode references and the scalability structure', () => {
    // I F P B E V set; 7-bit PictureID; two P_DIFFs; SS with one layer and a resolution; then data.
    const payload = Uint8Array.of(0xde, 0x05, 0x03, 0x04, 0x10, 0x02, 0x80, 0x01, 0xe0, 0xaa);
    const dep = new Vp9Depayloader();
    assert.deepEqual(dep.inspect(payload), { frameStart: true, keyframe: false });
    assert.deepEqual(dep.depacketize(toPackets([{ payload, marker: true }], 0, 0)), Uint8Array.of(0xaa));
  });
});

function annexB(units: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const u of units) out.push(0, 0, 0, 1, ...u);
  return Uint8Array.from(out);
}

describe('H.264 (RFC 6184, packetization-mode 1)', () => {
  const sps = Uint8Array.of(0x67, 0x42, 0xc0, 0x1f, 0xda);
  const pps = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
  const idr = randomBytes(rand, 4000);
  idr[0] = 0x65;
  const slice = Uint8Array.of(0x41, 0x9a, 0x02, 0x03);

  it('aggregates SPS+PPS in STAP-A, fragments the IDR in FU-A, reassembles the access unit', () => {
    const au = annexB([Uint8Array.of(0x09, 0xf0), sps, pps, idr]);
    const chunks = new H264Payloader(1200).packetize(au);
    assert.equal(chunks[0]!.payload[0]! & 0x1f, 24, 'STAP-A first');
    assert.ok(
      chunks.slice(1).every((c) => (c.payload[0]! & 0x1f) === 28),
      'then FU-A',
    );
    assert.ok(chunks.every((c) => c.payload.byteLength <= 1200));
    assert.deepEqual(
      chunks.map((c) => c.marker),
      chunks.map((_, i) => i === chunks.length - 1),
    );
    const dep = new H264Depayloader();
    assert.equal(dep.inspect(chunks[0]!.payload)!.keyframe, true);
    assert.deepEqual(dep.inspect(chunks[1]!.payload), { frameStart: true, keyframe: true });
    assert.deepEqual(dep.inspect(chunks[2]!.payload), { frameStart: false, keyframe: false });
    assert.deepEqual(dep.depacketize(toPackets(chunks, 100, 0)), annexB([sps, pps, idr]), 'AUD dropped');
    assert.equal(dep.depacketize(toPackets(chunks.slice(0, -1), 100, 0)), null, 'unfinished FU-A');
    assert.equal(dep.depacketize(toPackets([chunks[0]!, chunks[2]!], 100, 0)), null, 'FU-A without start');
  });

  it('sends a small NAL unit as a single NAL unit packet', () => {
    const chunks = new H264Payloader().packetize(annexB([slice]));
    assert.equal(chunks.length, 1);
    assert.deepEqual(chunks[0]!.payload, slice);
    const dep = new H264Depayloader();
    assert.deepEqual(dep.inspect(slice), { frameStart: true, keyframe: false });
    assert.deepEqual(dep.depacketize(toPackets(chunks, 0, 0)), annexB([slice]));
  });

  it('splits Annex B streams with 3- and 4-byte start codes', () => {
    const units = splitAnnexB(Uint8Array.of(0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2, 0, 0, 1, 0x65, 3));
    assert.deepEqual(
      units.map((u) => [...u]),
      [
        [0x67, 1],
        [0x68, 2],
        [0x65, 3],
      ],
    );
  });

  it('refuses STAP-B/MTAP/FU-B and malformed STAP-A', () => {
    const dep = new H264Depayloader();
    assert.equal(dep.inspect(Uint8Array.of(25, 0, 1)), null);
    assert.equal(dep.inspect(Uint8Array.of(29, 0x85, 1)), null);
    assert.equal(dep.inspect(Uint8Array.of(24, 0, 9, 0x67)), null, 'size past the end');
    assert.equal(dep.inspect(Uint8Array.of(0xe5, 1)), null, 'forbidden bit');
  });
});

function obu(type: number, payload: Uint8Array): Uint8Array {
  return Uint8Array.from([(type << 3) | 0x02, ...writeLeb128(payload.byteLength), ...payload]);
}

describe('AV1 (AOM RTP payload format)', () => {
  it('LEB128 round-trips and refuses truncation', () => {
    for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 40]) {
      assert.deepEqual(readLeb128(writeLeb128(v), 0), { value: v, size: writeLeb128(v).byteLength });
    }
    assert.equal(readLeb128(Uint8Array.of(0x80, 0x80), 0), null);
  });

  it('drops the temporal delimiter, fragments OBUs across packets, and restores the temporal unit', () => {
    const td = Uint8Array.of(0x12, 0x00);
    const seq = obu(1, randomBytes(rand, 12));
    const frame = obu(6, randomBytes(rand, 3500));
    const tu = Uint8Array.from([...td, ...seq, ...frame]);
    const chunks = new Av1Payloader(1200).packetize(tu);
    assert.ok(chunks.length >= 3);
    assert.ok(chunks.every((c) => c.payload.byteLength <= 1200));
    assert.equal(chunks[0]!.payload[0]! & 0x08, 0x08, 'N: new coded video sequence');
    assert.equal(chunks[0]!.payload[0]! & 0x80, 0, 'Z clear on first');
    assert.equal(chunks[1]!.payload[0]! & 0xc0, 0xc0, 'middle packets continue and are continued');
    const dep = new Av1Depayloader();
    assert.deepEqual(dep.inspect(chunks[0]!.payload), { frameStart: true, keyframe: true });
    assert.deepEqual(dep.inspect(chunks[1]!.payload), { frameStart: false, keyframe: false });
    assert.deepEqual(dep.depacketize(toPackets(chunks, 9, 0)), tu);
    assert.equal(dep.depacketize(toPackets(chunks.slice(1), 9, 0)), null, 'continuation without start');
    assert.equal(parseObus(Uint8Array.of(0x0a, 0x05, 1)), null, 'OBU size past the end');
  });

  it('accepts W=1..3 packets (last element without length)', () => {
    const a = Uint8Array.of(0x30, 1, 2); // frame header OBU element without size field
    const b = Uint8Array.of(0x20, 9); // tile group element
    const payload = Uint8Array.from([0x20, a.byteLength, ...a, ...b]); // W=2
    const out = new Av1Depayloader().depacketize(toPackets([{ payload, marker: true }], 0, 0))!;
    assert.deepEqual([...out], [0x12, 0, 0x32, 2, 1, 2, 0x22, 1, 9]);
  });
});

describe('factories', () => {
  it('round-trip every codec through createPayloader/createDepayloader', () => {
    for (const codec of ['opus', 'pcmu', 'pcma', 'g722', 'vp8', 'vp9'] as const) {
      const frame = randomBytes(rand, codec === 'vp8' || codec === 'vp9' ? 2500 : 200);
      frame[0] = 0x82;
      const chunks = createPayloader(codec).packetize(frame);
      assert.deepEqual(createDepayloader(codec).depacketize(toPackets(chunks, 0, 0)), frame, codec);
    }
  });
});
