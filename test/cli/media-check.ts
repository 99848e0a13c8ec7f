/**
 * Checks of what the command-line tools recorded, through the FFmpeg CLI: stream facts (ffprobe, frames
 * counted by decoding) and the colour of a pixel in a decoded frame; and the test inputs they play.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ffmpeg, ffprobe } from '../contrib/media-fixtures.js';

export type Rgb = readonly [number, number, number];

export interface VideoFacts {
  codec: string;
  width: number;
  height: number;
  frames: number;
}

export function videoFacts(file: string): VideoFacts {
  const video = ffprobe(file).streams.find((s) => s.codec_type === 'video');
  assert.ok(video, `${file} has no video stream`);
  return {
    codec: video.codec_name,
    width: video.width ?? 0,
    height: video.height ?? 0,
    frames: Number(video.nb_read_frames ?? 0),
  };
}

export function audioCodec(file: string): string | undefined {
  return ffprobe(file).streams.find((s) => s.codec_type === 'audio')?.codec_name;
}

/** Frame `index` (in presentation order) of the first video stream, as rgb24 bytes. */
export function frameRgb(file: string, index: number, width: number, height: number): Uint8Array {
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file],
      ...['-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not read frame ${index} of ${file}: ${r.stderr}`);
  const bytes = new Uint8Array(r.stdout);
  assert.equal(bytes.byteLength, width * height * 3, `frame ${index} of ${file} has another size`);
  return bytes;
}

export function pixelAt(rgb: Uint8Array, width: number, x: number, y: number): Rgb {
  const i = (y * width + x) * 3;
  return [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
}

export function assertNear(actual: Rgb, expected: Rgb, tolerance: number, what: string): void {
  const ok = actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
  assert.ok(ok, `${what}: got rgb(${actual.join(', ')}), expected about rgb(${expected.join(', ')})`);
}

/** aiortc's flag as it should look in a 640×480 recording (stripe centres; the wave moves them ≤ 10 px). */
export function assertFlag(file: string, index: number): void {
  const rgb = frameRgb(file, index, 640, 480);
  const at = (x: number, y: number): Rgb => pixelAt(rgb, 640, x, y);
  assertNear(at(20, 20), [0, 0, 0], 40, `${file} frame ${index}, corner`);
  assertNear(at(213, 240), [0, 0, 255], 60, `${file} frame ${index}, blue stripe`);
  assertNear(at(320, 240), [255, 255, 255], 40, `${file} frame ${index}, white stripe`);
  assertNear(at(427, 240), [255, 0, 0], 60, `${file} frame ${index}, red stripe`);
}

/** A 640×480 30 fps picture: the left half LEFT, the right half RIGHT (flat colours survive any codec). */
export const LEFT: Rgb = [0xe0, 0xc0, 0x20];
export const RIGHT: Rgb = [0x30, 0x60, 0xc0];
const hex = (c: Rgb): string => `0x${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
export const HALVES = `color=c=${hex(RIGHT)}:s=640x480:r=30,drawbox=x=0:y=0:w=320:h=480:color=${hex(LEFT)}:t=fill,format=yuv420p`;

/** Makes `seconds` of HALVES in `file` with the given encoder arguments (and a 440 Hz tone when `audio`). */
export function makeHalves(file: string, seconds: number, videoArgs: string[], audioArgs?: string[]): void {
  const inputs = ['-f', 'lavfi', '-i', HALVES];
  if (audioArgs) inputs.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  ffmpeg([...inputs, '-t', String(seconds), ...videoArgs, ...(audioArgs ?? ['-an']), file]);
}

export function assertHalves(file: string, index: number): void {
  const rgb = frameRgb(file, index, 640, 480);
  assertNear(pixelAt(rgb, 640, 160, 240), LEFT, 40, `${file} frame ${index}, left half`);
  assertNear(pixelAt(rgb, 640, 480, 240), RIGHT, 40, `${file} frame ${index}, right half`);
}
