/**
 * swscale and swresample behind VideoFrame.reformat and AudioResampler, against the TypeScript paths they
 * replace (which stay the fallback and the reference): same shapes, same timestamps, pixels and tones within a
 * tolerance.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { AudioFrame } from '../../src/media/audio-frame.js';
import { AudioResampler } from '../../src/media/audio-resampler.js';
import {
  disableNativeConversion,
  enableNativeConversion,
  isNativeConversionEnabled,
} from '../../src/media/native-convert.js';
import { Fraction } from '../../src/media/time-base.js';
import { type PixelFormat, VideoFrame } from '../../src/media/video-frame.js';
import { leftChannel, requireMedia, toneFrequency } from './media-fixtures.js';

after(() => disableNativeConversion());

/** A testsrc picture (gradients, colour bars, text edges) from the FFmpeg CLI. */
function testPicture(width: number, height: number): VideoFrame {
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=1`, '-frames:v', '1'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { maxBuffer: 1 << 26 },
  );
  return VideoFrame.fromBytes(new Uint8Array(r.stdout), width, height, 'rgb24');
}

function withBackend<T>(native: boolean, fn: () => T): T {
  if (!native) disableNativeConversion();
  try {
    return fn();
  } finally {
    if (!native) void enableNativeConversion();
  }
}

/** Mean and 99th-percentile absolute difference of two frames' packed bytes. */
function difference(a: VideoFrame, b: VideoFrame): { mean: number; p99: number } {
  const x = a.toBytes();
  const y = b.toBytes();
  assert.equal(x.byteLength, y.byteLength);
  const counts = new Uint32Array(256);
  let sum = 0;
  for (let i = 0; i < x.byteLength; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    sum += d;
    counts[d]!++;
  }
  let seen = counts[0]!;
  let p99 = 0;
  while (p99 < 255 && seen < x.byteLength * 0.99) seen += counts[++p99]!;
  return { mean: sum / x.byteLength, p99 };
}

describe('native conversion (swscale) against the TypeScript reference', () => {
  const conversions: [PixelFormat, PixelFormat, number, number][] = [
    ['rgb24', 'yuv420p', 320, 240],
    ['yuv420p', 'rgb24', 320, 240],
    ['yuv420p', 'nv12', 320, 240],
    ['nv12', 'bgr24', 320, 240],
    ['rgb24', 'rgba', 320, 240],
    ['yuv420p', 'gray', 320, 240],
    ['yuv420p', 'yuv420p', 160, 120],
    ['rgb24', 'yuv420p', 640, 360],
  ];
  for (const [from, to, width, height] of conversions) {
    it(`${from} 320×240 → ${to} ${width}×${height}`, async (t) => {
      if (!(await requireMedia(t))) return;
      assert.equal(await enableNativeConversion(), true);
      const source = testPicture(320, 240).reformat({ format: from });
      source.pts = 1234;
      source.timeBase = new Fraction(1, 90000);
      const native = source.reformat({ format: to, width, height });
      const reference = withBackend(false, () => source.reformat({ format: to, width, height }));
      assert.equal(native.format, to);
      assert.equal(native.width, width);
      assert.equal(native.pts, 1234);
      const { mean, p99 } = difference(native, reference);
      // Rounding differs slightly; chroma upsampling differs at sharp colour edges (swscale interpolates chroma
      // from NV12, the TypeScript path repeats it), and scaling filters differ more.
      const loose = width !== 320 || (from === 'nv12' && to !== 'yuv420p');
      assert.ok(mean < (loose ? 3 : 1.5), `mean difference ${mean.toFixed(2)}`);
      assert.ok(p99 <= (loose ? 40 : 12), `99th percentile difference ${p99}`);
    });
  }

  it('can be switched off again: the TypeScript path takes over', async (t) => {
    if (!(await requireMedia(t))) return;
    await enableNativeConversion();
    assert.equal(isNativeConversionEnabled(), true);
    disableNativeConversion();
    assert.equal(isNativeConversionEnabled(), false);
    const out = testPicture(64, 48).reformat({ format: 'yuv420p' });
    assert.equal(out.format, 'yuv420p');
  });
});

describe('native resampling (swresample) against the TypeScript reference', () => {
  function tone(rate: number, frequency: number, frames: number, samples: number): AudioFrame[] {
    return Array.from({ length: frames }, (_, i) => {
      const data = new Float32Array(samples);
      for (let k = 0; k < samples; k++)
        data[k] = 0.5 * Math.sin((2 * Math.PI * frequency * (i * samples + k)) / rate);
      const f = AudioFrame.fromFloat32([data], { format: 's16', sampleRate: rate });
      f.pts = i * samples;
      f.timeBase = new Fraction(1, rate);
      return f;
    });
  }

  function run(native: boolean, input: AudioFrame[]): AudioFrame[] {
    return withBackend(native, () => {
      const resampler = new AudioResampler({ format: 's16', layout: 'stereo', rate: 48000, frameSize: 960 });
      return input.flatMap((f) => resampler.resample(f));
    });
  }

  for (const [rate, frequency] of [
    [8000, 1000],
    [44100, 440],
    [16000, 3000],
  ] as const) {
    it(`${rate} Hz mono → 48 kHz stereo in 960-sample frames: same frames, pts and tone`, async (t) => {
      if (!(await requireMedia(t))) return;
      await enableNativeConversion();
      const input = tone(rate, frequency, 100, rate / 50);
      const native = run(true, input);
      const reference = run(false, input);
      assert.ok(
        Math.abs(native.length - reference.length) <= 1,
        `${native.length} vs ${reference.length} frames`,
      );
      const n = Math.min(native.length, reference.length);
      for (let i = 0; i < n; i++) {
        assert.equal(native[i]!.samples, 960);
        assert.equal(native[i]!.layout, 'stereo');
        assert.equal(native[i]!.pts, reference[i]!.pts);
      }
      const rms = (frames: AudioFrame[]): number => {
        const x = leftChannel(frames.slice(10, 90));
        return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      };
      for (const frames of [native, reference]) {
        const f = toneFrequency(leftChannel(frames.slice(10, 90)), 48000);
        assert.ok(Math.abs(f - frequency) < frequency * 0.002, `tone at ${f} Hz`);
      }
      assert.ok(Math.abs(rms(native) / rms(reference) - 1) < 0.01, 'same level');
    });
  }
});
