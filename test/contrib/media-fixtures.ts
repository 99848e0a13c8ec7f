/**
 * Shared by the contrib/media tests: inputs made with the FFmpeg CLI in a temp dir, ffprobe/ffmpeg checks of
 * outputs, tone frequency by zero crossings, synthetic tracks, and a guard against unhandled rejections.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { AudioFrame } from '../../src/media/audio-frame.js';
import { isNodeAvAvailable } from '../../src/media/codecs/node-av.js';
import { MediaStreamError } from '../../src/media/errors.js';
import { Fraction } from '../../src/media/time-base.js';
import { type MediaFrame, type MediaKind, MediaStreamTrack } from '../../src/media/track.js';
import { VideoFrame } from '../../src/media/video-frame.js';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tsrtc-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const hasFfmpegCli = spawnSync('ffmpeg', ['-version']).status === 0;

/** Media tests need node-av and the FFmpeg CLI: skip with a message when missing, fail in CI. */
export async function requireMedia(t: TestContext): Promise<boolean> {
  const ok = hasFfmpegCli && (await isNodeAvAvailable());
  if (ok) return true;
  if (process.env.CI) throw new Error('node-av and the ffmpeg CLI are required in CI');
  t.skip('node-av or the ffmpeg CLI is missing: media helper tests skipped');
  return false;
}

/** Run the FFmpeg CLI (quiet, overwrite); throws with its stderr on failure. */
export function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr}`);
}

/** 320×240 at 30 fps: left half red, right half blue (colours that survive any codec). */
export const TWO_COLOURS =
  'color=c=red:s=320x240:r=30,drawbox=x=160:y=0:w=160:h=240:color=blue:t=fill,format=yuv420p';

/** FFmpeg inputs for a source file: TWO_COLOURS and a 1 kHz tone at 48 kHz. */
export const TWO_COLOURS_AND_TONE = [
  '-f',
  'lavfi',
  '-i',
  TWO_COLOURS,
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=1000:sample_rate=48000',
];

/** The presentation times (s) of a file's video frames, in order, from ffprobe. */
export function videoFrameTimes(file: string): number[] {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  return r.stdout.trim().split('\n').map(Number.parseFloat).filter(Number.isFinite);
}

export interface Probe {
  streams: {
    codec_name: string;
    codec_type: string;
    width?: number;
    height?: number;
    nb_read_frames?: string;
    nb_read_packets?: string;
    sample_rate?: string;
    channels?: number;
    duration?: string;
  }[];
  format: { duration?: string; format_name: string };
}

/** ffprobe with counted frames (decodes everything) and packets. */
export function ffprobe(file: string): Probe {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-count_packets', '-show_streams', '-show_format', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffprobe ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

/** Size and MD5 of each packet of one stream (v or a), in file order: proves a bitstream unchanged. */
export function packets(file: string, stream: 'v' | 'a'): { size: number; md5: string }[] {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      stream,
      '-show_entries',
      'packet=size,data_hash',
      '-show_data_hash',
      'md5',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  const json = JSON.parse(r.stdout) as { packets: { size: string; data_hash: string }[] };
  return json.packets.map((p) => ({ size: Number(p.size), md5: p.data_hash }));
}

/** MD5 of every decoded frame of one stream (`ffmpeg -f framemd5`), to prove pictures are bit-identical. */
export function frameMd5s(file: string, stream: 'v' | 'a'): string[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-map', `0:${stream}`, '-f', 'framemd5', '-'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

/** The file decodes to the end without one error (`ffmpeg -v error -i f -f null -`). */
export function assertDecodesCleanly(file: string): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', `decoding ${file}: ${r.stderr}`);
}

/** Frequency of the dominant tone by counting rising zero crossings (mono floats). */
export function toneFrequency(samples: Float32Array, rate: number): number {
  let crossings = 0;
  let first = -1;
  let last = -1;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1]! < 0 && samples[i]! >= 0) {
      if (first < 0) first = i;
      last = i;
      crossings++;
    }
  }
  return crossings > 1 ? ((crossings - 1) * rate) / (last - first) : 0;
}

/** Left channel of s16/flt audio frames joined. */
export function leftChannel(frames: AudioFrame[]): Float32Array {
  const parts = frames.map((f) => f.toFloat32()[0]!);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Every frame a track yields until it ends (MediaStreamError), with a safety bound. */
export async function drain<F extends MediaFrame>(track: MediaStreamTrack, max = 100_000): Promise<F[]> {
  const frames: F[] = [];
  for (let i = 0; i < max; i++) {
    try {
      frames.push((await track.recv()) as F);
    } catch (error) {
      if (error instanceof MediaStreamError) return frames;
      throw error;
    }
  }
  throw new Error(`track did not end after ${max} frames`);
}

/** RGB of one pixel of a frame (converted by the frame's own reformat). */
export function pixel(frame: VideoFrame, x: number, y: number): [number, number, number] {
  const rgb = frame.reformat({ format: 'rgb24' });
  const p = rgb.planes[0]!;
  const o = y * p.lineSize + x * 3;
  return [p.data[o]!, p.data[o + 1]!, p.data[o + 2]!];
}

export function assertColour(
  actual: [number, number, number],
  expected: [number, number, number],
  tolerance = 24,
) {
  for (let i = 0; i < 3; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tolerance,
      `colour ${actual.join(',')} is not ${expected.join(',')} (±${tolerance})`,
    );
  }
}

/** A finite synthetic track: yields the frames it is given, then ends (counts the pulls). */
export class ScriptedTrack extends MediaStreamTrack {
  pulls = 0;
  private index = 0;
  constructor(
    private readonly mediaKind: MediaKind,
    private readonly frames: MediaFrame[],
    /** Milliseconds each recv() takes (0: a microtask). */
    private readonly delayMs = 0,
  ) {
    super();
  }
  override get kind(): MediaKind {
    return this.mediaKind;
  }
  async recv(): Promise<MediaFrame> {
    this.assertLive();
    this.pulls++;
    await (this.delayMs ? new Promise((r) => setTimeout(r, this.delayMs)) : Promise.resolve());
    const frame = this.frames[this.index++];
    if (!frame) {
      this.stop();
      throw new MediaStreamError('script ended');
    }
    return frame;
  }
}

/** Video frames of one colour at 90 kHz pts (a jump in `ptsOf` makes a gap). */
export function colourFrames(count: number, ptsOf: (i: number) => number, rgb = [0, 200, 0]): VideoFrame[] {
  const bytes = new Uint8Array(160 * 120 * 3);
  for (let i = 0; i < bytes.length; i += 3) bytes.set(rgb, i);
  return Array.from({ length: count }, (_, i) => {
    const f = VideoFrame.fromBytes(bytes, 160, 120, 'rgb24');
    f.pts = ptsOf(i);
    f.timeBase = new Fraction(1, 90000);
    return f;
  });
}

/** 20 ms s16 mono frames of a sine at `rate` (pts in samples; `ptsOf` may jump to make a gap). */
export function toneFrames(
  count: number,
  frequency: number,
  rate = 48000,
  ptsOf?: (i: number) => number,
): AudioFrame[] {
  const n = rate / 50;
  return Array.from({ length: count }, (_, i) => {
    const samples = new Float32Array(n);
    const start = ptsOf ? ptsOf(i) : i * n;
    for (let k = 0; k < n; k++) samples[k] = 0.5 * Math.sin((2 * Math.PI * frequency * (start + k)) / rate);
    const f = AudioFrame.fromFloat32([samples], { format: 's16', sampleRate: rate });
    f.pts = start;
    f.timeBase = new Fraction(1, rate);
    return f;
  });
}

/** Fails the test run on any unhandled rejection while `fn` runs (and a tick after). */
export async function noUnhandledRejection<T>(fn: () => Promise<T>): Promise<T> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, [], `unhandled rejection: ${String(seen[0])}`);
    return result;
  } finally {
    process.off('unhandledRejection', onRejection);
  }
}
