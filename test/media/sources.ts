/**
 * Media with known content for end-to-end tests: a sine tone of a chosen frequency, a video pattern of four
 * coloured quadrants, and the checks that recover them from what arrives (frequency by zero crossings,
 * quadrant colours by averaging luma/chroma).
 */
import { AudioFrame } from '../../src/media/audio-frame.js';
import type { MediaClock } from '../../src/media/clock.js';
import { AudioStreamTrack, VideoStreamTrack } from '../../src/media/stream-tracks.js';
import { VideoFrame } from '../../src/media/video-frame.js';

/** A 20 ms mono s16 sine at `frequency` Hz, paced like AudioStreamTrack. */
export class ToneTrack extends AudioStreamTrack {
  private sent = 0;
  constructor(
    readonly frequency: number,
    readonly sampleRate = 48_000,
    clock?: MediaClock,
  ) {
    super(clock ? { clock } : {});
  }

  override async recv(): Promise<AudioFrame> {
    const n = Math.trunc(this.sampleRate * 0.02);
    const frame = new AudioFrame({ format: 's16', layout: 'mono', samples: n, sampleRate: this.sampleRate });
    const d = frame.planes[0]!.data;
    const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (let i = 0; i < n; i++) {
      const t = (this.sent + i) / this.sampleRate;
      view.setInt16(i * 2, Math.round(Math.sin(2 * Math.PI * this.frequency * t) * 12_000), true);
    }
    this.sent += n;
    const { pts, timeBase } = await this.nextTimestamp(n, this.sampleRate);
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }
}

/** YUV of the four quadrants: top-left red, top-right green, bottom-left blue, bottom-right white. */
export const QUADRANTS = [
  { name: 'red', y: 81, u: 90, v: 240 },
  { name: 'green', y: 145, u: 54, v: 34 },
  { name: 'blue', y: 41, u: 240, v: 110 },
  { name: 'white', y: 235, u: 128, v: 128 },
] as const;

/** Four coloured quadrants in yuv420p, 30 fps. */
export class QuadrantTrack extends VideoStreamTrack {
  constructor(
    readonly width = 320,
    readonly height = 240,
    clock?: MediaClock,
  ) {
    super(clock ? { clock } : {});
  }

  override async recv(): Promise<VideoFrame> {
    const frame = new VideoFrame(this.width, this.height, 'yuv420p');
    const [yp, up, vp] = frame.planes;
    for (let q = 0; q < 4; q++) {
      const c = QUADRANTS[q]!;
      const x0 = (q % 2) * (this.width / 2);
      const y0 = Math.floor(q / 2) * (this.height / 2);
      for (let y = y0; y < y0 + this.height / 2; y++)
        yp!.data.fill(c.y, y * yp!.lineSize + x0, y * yp!.lineSize + x0 + this.width / 2);
      for (let y = y0 / 2; y < (y0 + this.height / 2) / 2; y++) {
        up!.data.fill(c.u, y * up!.lineSize + x0 / 2, y * up!.lineSize + (x0 + this.width / 2) / 2);
        vp!.data.fill(c.v, y * vp!.lineSize + x0 / 2, y * vp!.lineSize + (x0 + this.width / 2) / 2);
      }
    }
    const { pts, timeBase } = await this.nextTimestamp();
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }
}

/** Average Y, U, V of the middle of each quadrant of a yuv420p frame. */
export function quadrantColours(frame: VideoFrame): { y: number; u: number; v: number }[] {
  const f = frame.format === 'yuv420p' ? frame : frame.reformat({ format: 'yuv420p' });
  const [yp, up, vp] = f.planes;
  const out: { y: number; u: number; v: number }[] = [];
  for (let q = 0; q < 4; q++) {
    const cx = (q % 2) * (f.width / 2) + f.width / 4;
    const cy = Math.floor(q / 2) * (f.height / 2) + f.height / 4;
    let y = 0;
    let u = 0;
    let v = 0;
    let n = 0;
    for (let dy = -4; dy < 4; dy++) {
      for (let dx = -4; dx < 4; dx++) {
        const px = Math.floor(cx + dx);
        const py = Math.floor(cy + dy);
        y += yp!.data[py * yp!.lineSize + px]!;
        u += up!.data[(py >> 1) * up!.lineSize + (px >> 1)]!;
        v += vp!.data[(py >> 1) * vp!.lineSize + (px >> 1)]!;
        n++;
      }
    }
    out.push({ y: y / n, u: u / n, v: v / n });
  }
  return out;
}

/** True when every quadrant is within `tolerance` of its expected colour. */
export function looksLikeQuadrants(frame: VideoFrame, tolerance = 24): boolean {
  return quadrantColours(frame).every((c, i) => {
    const e = QUADRANTS[i]!;
    return (
      Math.abs(c.y - e.y) <= tolerance && Math.abs(c.u - e.u) <= tolerance && Math.abs(c.v - e.v) <= tolerance
    );
  });
}

/** The dominant frequency of mono or stereo audio frames, by counting zero crossings of the first channel. */
export function toneFrequency(frames: readonly AudioFrame[]): number {
  let crossings = 0;
  let samples = 0;
  let prev = 0;
  let rate = 0;
  for (const f of frames) {
    rate = f.sampleRate;
    const ch = f.toFloat32()[0]!;
    for (let i = 0; i < ch.length; i++) {
      const s = ch[i]!;
      if ((prev < 0 && s >= 0) || (prev >= 0 && s < 0)) crossings++;
      prev = s;
    }
    samples += ch.length;
  }
  return samples === 0 ? 0 : (crossings / 2) * (rate / samples);
}
