/**
 * Fuzz every depayloader and the jitter buffer with random and mutated packets (seeded, bounded): they must never
 * throw, must answer null or bytes, and the jitter buffer must stay within its capacity.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CodecName } from '../../../src/media/encoded-frame.js';
import { JitterBuffer } from '../../../src/rtp/jitter-buffer.js';
import { createDepayloader, createPayloader, type RtpPacketLike } from '../../../src/rtp/payload/index.js';
import { Prng } from '../../sim/network.js';

const CODECS: CodecName[] = ['opus', 'pcmu', 'g722', 'vp8', 'vp9', 'h264', 'av1'];

function randomBytes(prng: Prng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => prng.int(256));
}

/** Plausible frames per codec, so mutations start from valid payloads. */
function validFrame(codec: CodecName, prng: Prng): Uint8Array {
  const body = randomBytes(prng, 1 + prng.int(3000));
  if (codec === 'h264') {
    const nal = (t: number, n: number) => [0, 0, 0, 1, 0x60 | t, ...randomBytes(prng, n).map((b) => b || 1)];
    return Uint8Array.from([...nal(7, 8), ...nal(8, 4), ...nal(5, prng.int(2500))]);
  }
  if (codec === 'av1') {
    const obu = (type: number, n: number) => {
      const payload = randomBytes(prng, n);
      const size = n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7];
      return [(type << 3) | 0x02, ...size, ...payload];
    };
    return Uint8Array.from([0x12, 0, ...obu(1, 10), ...obu(6, prng.int(3000))]);
  }
  if (codec === 'opus' || codec === 'pcmu' || codec === 'g722') return body.subarray(0, 1 + prng.int(480));
  return body;
}

function mutate(prng: Prng, p: Uint8Array): Uint8Array {
  const out = p.slice();
  switch (prng.int(4)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + prng.int(4); i < n && out.length; i++)
        out[prng.int(out.length)]! ^= 1 << prng.int(8);
      return out;
    case 1: // truncation
      return out.subarray(0, prng.int(out.length + 1));
    case 2: // random header bytes
      for (let i = 0; i < Math.min(4, out.length); i++) out[i] = prng.int(256);
      return out;
    default: // garbage appended
      return Uint8Array.from([...out, ...randomBytes(prng, prng.int(16))]);
  }
}

function packet(seq: number, ts: number, marker: boolean, payload: Uint8Array): RtpPacketLike {
  return { payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc: 1, marker, payload };
}

describe('depayloader fuzz', () => {
  for (const codec of CODECS) {
    it(`${codec}: random and mutated payloads never throw`, () => {
      const prng = new Prng(0xc0de + codec.length);
      const depayloader = createDepayloader(codec);
      const payloader = createPayloader(codec, 500);
      for (let round = 0; round < 300; round++) {
        const chunks = payloader.packetize(validFrame(codec, prng));
        const packets = chunks.map((c, i) =>
          packet(i, 0, c.marker, prng.int(3) === 0 ? mutate(prng, c.payload) : c.payload),
        );
        if (prng.int(4) === 0) packets.splice(prng.int(packets.length), 1);
        for (const p of packets) {
          const info = depayloader.inspect(p.payload);
          assert.ok(info === null || typeof info.frameStart === 'boolean');
        }
        const frame = depayloader.depacketize(packets);
        assert.ok(frame === null || frame instanceof Uint8Array);
        const noise = [packet(0, 0, true, randomBytes(prng, prng.int(64)))];
        assert.ok(depayloader.inspect(noise[0]!.payload) !== undefined);
        depayloader.depacketize(noise);
      }
    });
  }
});

describe('jitter buffer fuzz', () => {
  for (const kind of ['audio', 'video'] as const) {
    it(`${kind}: random streams with loss, jumps, duplicates and garbage stay bounded and never throw`, () => {
      const prng = new Prng(kind === 'audio' ? 11 : 12);
      const codec: CodecName = kind === 'audio' ? 'opus' : 'vp8';
      const capacity = 64;
      const jb = new JitterBuffer({
        kind,
        codec,
        depayloader: createDepayloader(codec),
        clockRate: 90000,
        capacity,
      });
      const payloader = createPayloader(codec, kind === 'audio' ? 1200 : 300);
      let seq = prng.int(65536);
      let ts = prng.int(2 ** 32);
      let now = 0;
      let frames = 0;
      for (let i = 0; i < 3000; i++) {
        now += prng.int(40);
        const r = prng.int(100);
        if (r < 3) seq += prng.int(65536); // jump
        if (r >= 3 && r < 6) ts += prng.int(2 ** 32);
        const chunks = payloader.packetize(validFrame(codec, prng).subarray(0, 1 + prng.int(900)));
        for (const c of chunks) {
          const p = packet(seq++, ts, c.marker, prng.int(10) === 0 ? mutate(prng, c.payload) : c.payload);
          if (prng.int(10) === 0) continue; // loss
          jb.push(now, p);
          if (prng.int(20) === 0) jb.push(now, p); // duplicate
          if (prng.int(50) === 0)
            jb.push(
              now,
              packet(prng.int(65536), prng.int(2 ** 32), prng.next() < 0.5, randomBytes(prng, prng.int(50))),
            );
        }
        ts += 3000;
        const wake = jb.pollTimeout();
        if (wake !== undefined && wake <= now) jb.handleTimeout(now);
        for (let e = jb.pollEvent(); e; e = jb.pollEvent()) if (e.type === 'frame') frames++;
        assert.ok(jb.size <= capacity, `size ${jb.size}`);
      }
      assert.ok(frames > 100, `${frames} frames still played`);
      assert.ok(jb.stats.packetsMalformed > 0 && jb.stats.resets > 0);
    });
  }
});
