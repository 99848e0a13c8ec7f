import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  alawToLinear,
  createAudioDecoder,
  createAudioEncoder,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
} from '../../src/media/codecs/index.js';
import { AudioFrame, type CodecName, EncodedFrame, Fraction } from '../../src/media/index.js';
import { requireNodeAv } from './node-av-available.js';
import { runPipeline, snr } from './pipeline.js';

/** A two-tone test signal (voice band) at `rate`. */
function tone(rate: number, samples: number, offset = 0): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => {
    const t = (i + offset) / rate;
    return 0.4 * Math.sin(2 * Math.PI * 440 * t) + 0.2 * Math.sin(2 * Math.PI * 1250 * t);
  });
}

function sourceFrames(rate: number, count: number): AudioFrame[] {
  const n = rate / 50;
  return Array.from({ length: count }, (_, i) => {
    const f = AudioFrame.fromFloat32([tone(rate, n, i * n)], { format: 's16', sampleRate: rate });
    f.pts = i * n;
    f.timeBase = new Fraction(1, rate);
    return f;
  });
}

interface AudioCase {
  codec: CodecName;
  inputRate: number;
  outputRate: number;
  minSnrDb: number;
  needsNodeAv: boolean;
}

/** Thresholds sit below measured values (docs/media.md) with margin for resampling differences. */
const CASES: AudioCase[] = [
  { codec: 'pcmu', inputRate: 8000, outputRate: 8000, minSnrDb: 30, needsNodeAv: false },
  { codec: 'pcma', inputRate: 8000, outputRate: 8000, minSnrDb: 30, needsNodeAv: false },
  { codec: 'g722', inputRate: 16000, outputRate: 16000, minSnrDb: 30, needsNodeAv: true },
  { codec: 'opus', inputRate: 48000, outputRate: 48000, minSnrDb: 15, needsNodeAv: true },
];

describe('audio codecs through RTP', () => {
  for (const c of CASES) {
    it(`${c.codec}: reordered and duplicated packets decode with SNR > ${c.minSnrDb} dB`, async (t) => {
      if (c.needsNodeAv && !(await requireNodeAv(t))) return;
      const encoder = createAudioEncoder(c.codec);
      const decoder = createAudioDecoder(c.codec);
      try {
        const source = sourceFrames(c.inputRate, 25);
        const r = await runPipeline(c.codec, encoder, decoder, source, {
          loss: 0,
          reorderWindow: 3,
          duplicate: 0.1,
          retransmit: false,
        });
        assert.equal(r.decoded.length, source.length, 'every frame decoded once');
        const pts = r.decoded.map((f) => f.pts!);
        assert.deepEqual(
          pts,
          [...pts].sort((a, b) => a - b),
          'in order',
        );
        const decoded = Float32Array.from(r.decoded.flatMap((f) => [...f.toFloat32()[0]!]));
        const reference = tone(c.outputRate, decoded.length);
        const quality = snr(reference, decoded, Math.round(c.outputRate / 100));
        t.diagnostic(`${c.codec}: SNR ${quality.toFixed(1)} dB`);
        assert.ok(quality > c.minSnrDb, `${c.codec} SNR ${quality.toFixed(1)} dB`);
      } finally {
        encoder.close();
        decoder.close();
      }
    });

    it(`${c.codec}: 15 % loss leaves gaps but never breaks the decoder`, async (t) => {
      if (c.needsNodeAv && !(await requireNodeAv(t))) return;
      const encoder = createAudioEncoder(c.codec);
      const decoder = createAudioDecoder(c.codec);
      try {
        const source = sourceFrames(c.inputRate, 25);
        const r = await runPipeline(
          c.codec,
          encoder,
          decoder,
          source,
          {
            loss: 0.15,
            reorderWindow: 2,
            duplicate: 0,
            retransmit: false,
          },
          5,
        );
        assert.ok(
          r.decoded.length < source.length && r.decoded.length > source.length / 2,
          `${r.decoded.length} frames`,
        );
        assert.equal(r.plis, 0, 'audio never asks for keyframes');
        assert.equal(decoder.stats.decodeErrors, 0);
      } finally {
        encoder.close();
        decoder.close();
      }
    });
  }

  it('Opus follows a bitrate change without losing continuity', async (t) => {
    if (!(await requireNodeAv(t))) return;
    const encoder = createAudioEncoder('opus', { bitrate: 128_000 });
    try {
      const frames = sourceFrames(48000, 20);
      const sizes: number[] = [];
      const pts: number[] = [];
      for (const [i, f] of frames.entries()) {
        if (i === 10) encoder.setTargetBitrate(16_000);
        for (const e of await encoder.encode(f)) {
          sizes.push(e.data.byteLength);
          pts.push(e.pts);
        }
      }
      assert.deepEqual(
        pts,
        frames.map((_, i) => i * 960),
        'pts continue across the change',
      );
      const before = sizes.slice(5, 10).reduce((a, b) => a + b) / 5;
      const after = sizes.slice(12).reduce((a, b) => a + b) / (sizes.length - 12);
      assert.ok(after < before / 3, `packets shrink: ${before} → ${after} bytes`);
    } finally {
      encoder.close();
    }
  });

  it('a corrupt Opus packet is counted and skipped', async (t) => {
    if (!(await requireNodeAv(t))) return;
    const decoder = createAudioDecoder('opus');
    try {
      // TOC for a 20 ms CELT frame followed by a length that runs past the end (code 3, invalid count 0).
      const bad = new EncodedFrame('opus', Uint8Array.of(0xfb, 0x00), 0, new Fraction(1, 48000), true);
      assert.deepEqual(await decoder.decode(bad), []);
      assert.equal(decoder.stats.decodeErrors, 1);
    } finally {
      decoder.close();
    }
  });
});

describe('G.711 in TypeScript', () => {
  it('decodes every code exactly as FFmpeg does', (t) => {
    let ffmpeg = true;
    try {
      execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    } catch {
      ffmpeg = false;
    }
    if (!ffmpeg) {
      if (process.env.CI) throw new Error('ffmpeg CLI missing in CI');
      t.skip('ffmpeg CLI not installed');
      return;
    }
    const codes = Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i));
    for (const [fmt, decode] of [
      ['mulaw', ulawToLinear],
      ['alaw', alawToLinear],
    ] as const) {
      const out = execFileSync(
        'ffmpeg',
        ['-loglevel', 'error', '-f', fmt, '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'],
        {
          input: codes,
        },
      );
      const pcm = new Int16Array(out.buffer, out.byteOffset, out.byteLength / 2);
      for (let i = 0; i < 256; i++) assert.equal(decode(i), pcm[i], `${fmt} code ${i}`);
    }
  });

  it('encodes within one quantization step and round-trips every code', () => {
    for (const [enc, dec] of [
      [linearToUlaw, ulawToLinear],
      [linearToAlaw, alawToLinear],
    ] as const) {
      for (let code = 0; code < 256; code++) {
        const v = dec(code);
        // Each decoded level encodes back to itself (μ-law's two zeros both decode to 0 and encode to 0xff).
        assert.equal(dec(enc(v)), v);
      }
      for (let s = -32768; s < 32768; s += 97) {
        const err = Math.abs(dec(enc(s)) - s);
        assert.ok(err <= Math.max(16, Math.abs(s) / 16), `sample ${s}: error ${err}`);
      }
    }
  });
});
