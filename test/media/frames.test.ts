import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PixelFormat } from '../../src/media/index.js';
import { AudioFrame, AudioResampler, Fraction, rescale, VideoFrame } from '../../src/media/index.js';

describe('Fraction', () => {
  it('is exact and reduced', () => {
    const f = new Fraction(3000, 90000);
    assert.equal(f.num, 1);
    assert.equal(f.den, 30);
    assert.equal(new Fraction(2, -4).toString(), '-1/2');
    assert.ok(new Fraction(1, 90000).mul(3000).equals(new Fraction(1, 30)));
    assert.ok(new Fraction(1, 3).add(new Fraction(1, 6)).equals(new Fraction(1, 2)));
    assert.throws(() => new Fraction(1, 0), RangeError);
    assert.throws(() => new Fraction(0.5, 2), TypeError);
  });

  it('rescales timestamps exactly, even after hours', () => {
    const ten_hours = 10 * 3600 * 90000;
    assert.equal(rescale(ten_hours, new Fraction(1, 90000), new Fraction(1, 1000)), 10 * 3600 * 1000);
    assert.equal(rescale(160, new Fraction(1, 8000), new Fraction(1, 48000)), 960);
    assert.equal(rescale(1, new Fraction(1, 3), new Fraction(1, 2)), 1); // 0.667 rounds to 1
  });
});

describe('AudioFrame', () => {
  it('allocates silent planes per format and layout', () => {
    const cases = [
      ['s16', 'mono', 1, 320],
      ['s16', 'stereo', 1, 640],
      ['s16p', 'stereo', 2, 320],
      ['flt', 'stereo', 1, 1280],
      ['fltp', 'mono', 1, 640],
    ] as const;
    for (const [format, layout, planes, bytes] of cases) {
      const f = new AudioFrame({ format, layout, samples: 160, sampleRate: 8000 });
      assert.equal(f.planes.length, planes, `${format}/${layout}`);
      assert.equal(f.planes[0]!.bufferSize, bytes, `${format}/${layout}`);
      assert.ok(f.planes.every((p) => p.data.every((b) => b === 0)));
    }
  });

  it('round-trips bytes and floats', () => {
    const pcm = new Int16Array([0, 16384, -16384, 32767, -32768, 1]);
    const f = AudioFrame.fromBytes(new Uint8Array(pcm.buffer), {
      format: 's16',
      layout: 'stereo',
      sampleRate: 48000,
    });
    assert.equal(f.samples, 3);
    const [l, r] = f.toFloat32();
    assert.deepEqual([...l!], [0, -0.5, -1]);
    assert.deepEqual([...r!], [0.5, 32767 / 32768, 1 / 32768]);
    const planar = AudioFrame.fromFloat32([l!, r!], { format: 's16p', sampleRate: 48000 });
    const back = AudioFrame.fromFloat32(planar.toFloat32(), { format: 's16', sampleRate: 48000 });
    assert.deepEqual(back.toBytes(), f.toBytes());
  });

  it('refuses impossible sizes and formats with a clear error', () => {
    assert.throws(() => new AudioFrame({ samples: -1 }), /out of range/);
    assert.throws(() => new AudioFrame({ samples: 1e9 }), /out of range/);
    assert.throws(() => new AudioFrame({ format: 'u8' as 's16' }), /unsupported audio sample format/);
    assert.throws(() => AudioFrame.fromBytes(new Uint8Array(3), { format: 's16' }), /whole number/);
  });
});

function sine(freq: number, rate: number, n: number, offset = 0): Float32Array {
  return Float32Array.from(
    { length: n },
    (_, i) => 0.5 * Math.sin((2 * Math.PI * freq * (i + offset)) / rate),
  );
}

describe('AudioResampler', () => {
  it('converts 8 kHz s16 mono to 48 kHz s16 stereo in 960-sample frames, continuous across frames', (t) => {
    const r = new AudioResampler({ format: 's16', layout: 'stereo', rate: 48000, frameSize: 960 });
    const out: AudioFrame[] = [];
    for (let i = 0; i < 10; i++) {
      const f = AudioFrame.fromFloat32([sine(440, 8000, 160, i * 160)], { format: 's16', sampleRate: 8000 });
      f.pts = i * 160;
      out.push(...r.resample(f));
    }
    assert.ok(out.length >= 9);
    out.forEach((f, i) => {
      assert.equal(f.samples, 960);
      assert.equal(f.layout, 'stereo');
      assert.equal(f.pts, i * 960);
      assert.ok(f.timeBase?.equals(new Fraction(1, 48000)));
    });
    // Compare against the ideal 48 kHz sine (windowed-sinc interpolation; linear interpolation gave ~35 dB).
    const got = out.flatMap((f) => [...f.toFloat32()[1]!]);
    const ideal = sine(440, 48000, got.length);
    let sig = 0;
    let err = 0;
    for (let i = 0; i < got.length; i++) {
      sig += ideal[i]! ** 2;
      err += (got[i]! - ideal[i]!) ** 2;
    }
    assert.ok(10 * Math.log10(sig / err) > 30, `SNR ${10 * Math.log10(sig / err)}`);
    t.diagnostic(`8 kHz → 48 kHz SNR ${(10 * Math.log10(sig / err)).toFixed(1)} dB`);
  });

  it('filters out tones above the new Nyquist rate when downsampling (no aliasing)', () => {
    const r = new AudioResampler({ format: 'flt', layout: 'mono', rate: 8000 });
    const out: number[] = [];
    for (let i = 0; i < 20; i++) {
      const f = AudioFrame.fromFloat32([sine(7000, 48000, 960, i * 960)], {
        format: 'flt',
        sampleRate: 48000,
      });
      for (const o of r.resample(f)) out.push(...o.toFloat32()[0]!);
    }
    const tail = out.slice(out.length / 2);
    const rms = Math.sqrt(tail.reduce((a, v) => a + v * v, 0) / tail.length);
    // The input tone has RMS 0.35; a 7 kHz tone must not fold back to 1 kHz at 8 kHz.
    assert.ok(rms < 0.01, `aliased energy RMS ${rms}`);
  });

  it('downmixes stereo to mono and changes sample format', () => {
    const r = new AudioResampler({ format: 'fltp', layout: 'mono' });
    const f = AudioFrame.fromFloat32([new Float32Array([0.5, 1]), new Float32Array([-0.5, 0])], {
      format: 'flt',
      sampleRate: 16000,
    });
    const [m] = r.resample(f);
    assert.equal(m!.format, 'fltp');
    assert.equal(m!.sampleRate, 16000);
    assert.deepEqual([...m!.toFloat32()[0]!], [0, 0.5]);
  });
});

describe('VideoFrame', () => {
  it('defaults to zeroed yuv420p with planes and strides', () => {
    const f = new VideoFrame(5, 3);
    assert.equal(f.format, 'yuv420p');
    assert.deepEqual(
      f.planes.map((p) => [p.lineSize, p.width, p.height]),
      [
        [5, 5, 3],
        [3, 3, 2],
        [3, 3, 2],
      ],
    );
  });

  it('refuses impossible sizes, formats and byte counts', () => {
    assert.throws(() => new VideoFrame(0, 10), /width 0 is out of range/);
    assert.throws(() => new VideoFrame(10, 100000), /height 100000 is out of range/);
    assert.throws(() => new VideoFrame(1.5, 10), /out of range/);
    assert.throws(() => new VideoFrame(4, 4, 'yuv444p' as PixelFormat), /unsupported pixel format/);
    assert.throws(() => VideoFrame.fromBytes(new Uint8Array(10), 4, 4, 'rgb24'), /needs 48 bytes, got 10/);
  });

  it('converts between every pair of pixel formats and back within rounding', () => {
    const w = 16;
    const h = 8;
    const rgb = new Uint8Array(w * h * 3);
    // A smooth gradient: chroma subsampling then loses little.
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        rgb[o] = 40 + x * 10;
        rgb[o + 1] = 60 + y * 15;
        rgb[o + 2] = 200 - x * 5;
      }
    }
    const src = VideoFrame.fromBytes(rgb, w, h, 'rgb24');
    const formats: PixelFormat[] = ['yuv420p', 'nv12', 'rgb24', 'bgr24', 'rgba'];
    for (const a of formats) {
      for (const b of formats) {
        const back = src
          .reformat({ format: a })
          .reformat({ format: b })
          .reformat({ format: 'rgb24' })
          .toBytes();
        let maxErr = 0;
        for (let i = 0; i < rgb.length; i++) maxErr = Math.max(maxErr, Math.abs(back[i]! - rgb[i]!));
        assert.ok(maxErr <= 12, `${a} -> ${b}: max error ${maxErr}`);
      }
    }
    const bgr = src.reformat({ format: 'bgr24' }).toBytes();
    assert.deepEqual([bgr[0], bgr[1], bgr[2]], [rgb[2], rgb[1], rgb[0]]);
    const gray = src.reformat({ format: 'gray' });
    assert.equal(gray.planes.length, 1);
    const grey = gray.reformat({ format: 'rgb24' }).toBytes();
    assert.ok(grey[0] === grey[1] && grey[1] === grey[2], 'gray has no colour');
  });

  it('honours strides and resizes bilinearly, keeping pts and timeBase', () => {
    const f = VideoFrame.fromBytes(new Uint8Array(64 * 48 * 1.5).fill(77), 64, 48);
    f.pts = 9000;
    f.timeBase = new Fraction(1, 90000);
    const small = f.reformat({ width: 32, height: 24, format: 'nv12' });
    assert.equal(small.width, 32);
    assert.equal(small.pts, 9000);
    assert.ok(small.toBytes().every((b) => b === 77));
    const bytes = f.toBytes();
    assert.equal(bytes.length, 64 * 48 * 1.5);
  });
});
