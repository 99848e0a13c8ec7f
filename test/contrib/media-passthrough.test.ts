/**
 * MediaPlayer with `decode: false`: EncodedFrames that an RTP sender can carry, checked by decoding them with
 * tsrtc's own codecs (including from a keyframe in the middle, as a receiver that joins late does) and by
 * comparing timestamps with what ffprobe reads from the container.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { annexBNalUnits, av1Obus } from '../../src/contrib/media/bitstream.js';
import { DemuxedFrame, MediaFileError, MediaPlayer } from '../../src/contrib/media/index.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { createAudioDecoder, createVideoDecoder } from '../../src/media/codecs/index.js';
import type { CodecName, EncodedFrame } from '../../src/media/encoded-frame.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import {
  assertColour,
  drain,
  ffmpeg,
  leftChannel,
  pixel,
  requireMedia,
  TWO_COLOURS,
  tempDir,
  toneFrequency,
} from './media-fixtures.js';

const { dir, cleanup } = tempDir('passthrough');
after(cleanup);
const path = (name: string): string => join(dir, name);
const V = ['-f', 'lavfi', '-i', TWO_COLOURS, '-t', '1'];
const TONE = ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000', '-t', '1'];

before(() => {
  try {
    const x264 = ['-c:v', 'libx264', '-profile:v', 'baseline', '-g', '10', '-pix_fmt', 'yuv420p'];
    ffmpeg([...V, ...TONE, ...x264, '-c:a', 'aac', path('h264.mp4')]);
    ffmpeg([...V, ...x264, path('h264.ts')]);
    ffmpeg([...V, ...x264, path('h264.mkv')]);
    ffmpeg([...V, '-c:v', 'libx264', '-bf', '3', '-g', '10', '-pix_fmt', 'yuv420p', path('bframes.mp4')]);
    ffmpeg([...V, '-c:v', 'libvpx', '-g', '10', '-an', path('vp8.webm')]);
    ffmpeg([...V, '-c:v', 'libvpx', '-g', '10', '-an', path('vp8.ivf')]);
    ffmpeg([...V, '-c:v', 'libvpx-vp9', '-g', '10', '-deadline', 'realtime', '-an', path('vp9.webm')]);
    ffmpeg([...V, '-c:v', 'libaom-av1', '-cpu-used', '8', '-g', '10', '-an', path('av1.webm')]);
    ffmpeg([...TONE, '-c:a', 'libopus', path('opus.ogg')]);
    ffmpeg([...TONE, '-c:a', 'libopus', path('opus.webm')]);
    ffmpeg([...TONE, '-ar', '8000', '-ac', '1', '-c:a', 'pcm_mulaw', path('pcmu.wav')]);
    ffmpeg([...TONE, '-c:a', 'aac', path('aac.m4a')]);
  } catch {
    // requireMedia() skips the tests when the CLI is missing.
  }
});

/** pts of a stream's packets, in decode order, as ffprobe reads them (and the time base). */
function probePts(file: string, stream: 'v' | 'a'): { pts: number[]; timeBase: string } {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      stream,
      '-show_entries',
      'packet=pts:stream=time_base',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8' },
  );
  const json = JSON.parse(r.stdout) as { packets: { pts: number }[]; streams: { time_base: string }[] };
  return { pts: json.packets.map((p) => p.pts), timeBase: json.streams[0]!.time_base };
}

async function decodeVideo(codec: CodecName, frames: EncodedFrame[]): Promise<VideoFrame[]> {
  const decoder = createVideoDecoder(codec);
  const out: VideoFrame[] = [];
  for (const f of frames) out.push(...(await decoder.decode(f)));
  assert.equal(decoder.stats.decodeErrors, 0);
  decoder.close();
  return out;
}

const VIDEO_CASES: [string, CodecName][] = [
  ['h264.mp4', 'h264'],
  ['h264.ts', 'h264'],
  ['h264.mkv', 'h264'],
  ['vp8.webm', 'vp8'],
  ['vp8.ivf', 'vp8'],
  ['vp9.webm', 'vp9'],
  ['av1.webm', 'av1'],
];

describe('MediaPlayer pass-through (decode: false)', () => {
  for (const [name, codec] of VIDEO_CASES) {
    it(`${name}: ${codec} frames that decode, from the start and from a later keyframe, with exact pts`, async (t) => {
      if (!(await requireMedia(t))) return;
      const player = await MediaPlayer.open(path(name), { decode: false, realtime: false });
      const frames = await drain<EncodedFrame>(player.video!);
      assert.equal(frames.length, 30);
      assert.ok(frames.every((f) => f.codec === codec));
      const keyframes = frames.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0);
      assert.ok(keyframes.length >= 3, `keyframes at ${keyframes}`);
      if (codec === 'h264') {
        for (const f of frames) assert.deepEqual([...f.data.subarray(0, 4)], [0, 0, 0, 1], 'Annex B');
        for (const k of keyframes) {
          const types = annexBNalUnits(frames[k]!.data).map((n) => n[0]! & 0x1f);
          assert.ok(
            types.includes(7) && types.includes(8) && types.indexOf(7) < types.indexOf(5),
            `${types}`,
          );
        }
      }
      if (codec === 'av1') {
        for (const k of keyframes) assert.ok(av1Obus(frames[k]!.data)?.some((o) => o.type === 1));
      }
      const pictures = await decodeVideo(codec, frames);
      assert.equal(pictures.length, 30);
      assert.equal(pictures[0]!.width, 320);
      assertColour(pixel(pictures[15]!, 80, 120), [255, 0, 0]);
      // A receiver joining at the second keyframe decodes everything from there.
      const late = await decodeVideo(codec, frames.slice(keyframes[1]!));
      assert.equal(late.length, 30 - keyframes[1]!);
      assertColour(pixel(late[0]!, 240, 120), [0, 0, 255]);
      // pts and time base are the container's, rebased to 0.
      const probe = probePts(path(name), 'v');
      const [num, den] = probe.timeBase.split('/').map(Number);
      assert.equal(`${frames[0]!.timeBase.num}/${frames[0]!.timeBase.den}`, `${num}/${den}`);
      assert.deepEqual(
        frames.map((f) => f.pts),
        probe.pts.map((p) => p - probe.pts[0]!),
      );
    });
  }

  it('H.264 with B-frames: decode order, each frame with its dts (increasing, never after its pts)', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('bframes.mp4'), { decode: false, realtime: false });
    const frames = await drain<DemuxedFrame>(player.video!);
    assert.equal(frames.length, 30);
    assert.ok(frames.every((f) => f instanceof DemuxedFrame && f.dts <= f.pts));
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.dts > frames[i - 1]!.dts, 'dts increase');
    assert.ok(
      frames.some((f, i) => i > 0 && f.pts < frames[i - 1]!.pts),
      'some pts go back (B-frames)',
    );
    // tsrtc's decoder (built for WebRTC, which has no B-frames) has no drain: the last pictures it holds back
    // for reordering stay inside.
    const pictures = await decodeVideo('h264', frames);
    assert.ok(pictures.length >= 26, `${pictures.length} pictures`);
  });

  for (const name of ['opus.ogg', 'opus.webm']) {
    it(`${name}: Opus frames of 20 ms that decode to the 1 kHz tone`, async (t) => {
      if (!(await requireMedia(t))) return;
      const player = await MediaPlayer.open(path(name), { decode: false, realtime: false });
      assert.equal(player.video, null);
      const frames = await drain<EncodedFrame>(player.audio!);
      assert.ok(frames.length >= 50 && frames.length <= 52, `${frames.length} frames`);
      const tb = frames[0]!.timeBase;
      const steps = frames.slice(1, 40).map((f, i) => ((f.pts - frames[i]!.pts) * tb.num) / tb.den);
      // WebM counts milliseconds: its first step absorbs Opus's 6.5 ms pre-skip rounding.
      const slack = tb.den <= 1000 ? 0.0011 : 1e-9;
      assert.ok(
        steps.every((s) => Math.abs(s - 0.02) <= slack),
        `steps ${steps}`,
      );
      const decoder = createAudioDecoder('opus');
      const pcm: AudioFrame[] = [];
      for (const f of frames) pcm.push(...(await decoder.decode(f)));
      decoder.close();
      const frequency = toneFrequency(leftChannel(pcm.slice(5, 45)), pcm[0]!.sampleRate);
      assert.ok(Math.abs(frequency - 1000) < 3, `tone at ${frequency} Hz`);
    });
  }

  it('pcmu.wav: G.711 cut into 20 ms frames on an 8 kHz clock', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('pcmu.wav'), { decode: false, realtime: false });
    const frames = await drain<EncodedFrame>(player.audio!);
    assert.equal(frames.length, 50);
    frames.forEach((f, i) => {
      assert.equal(f.codec, 'pcmu');
      assert.equal(f.data.byteLength, 160);
      assert.equal(f.pts, i * 160);
      assert.equal(`${f.timeBase}`, '1/8000');
    });
    const decoder = createAudioDecoder('pcmu');
    const pcm: AudioFrame[] = [];
    for (const f of frames) pcm.push(...(await decoder.decode(f)));
    const frequency = toneFrequency(leftChannel(pcm), 8000);
    assert.ok(Math.abs(frequency - 1000) < 3, `tone at ${frequency} Hz`);
  });

  it('a codec WebRTC cannot carry: the file is refused when nothing is left, the track is null otherwise', async (t) => {
    if (!(await requireMedia(t))) return;
    await assert.rejects(
      MediaPlayer.open(path('aac.m4a'), { decode: false }),
      (e: unknown) =>
        e instanceof MediaFileError &&
        e.message.includes('aac.m4a') &&
        /audio codec aac cannot be passed through/.test(e.message),
    );
    const mixed = await MediaPlayer.open(path('h264.mp4'), { decode: false, realtime: false });
    assert.equal(mixed.audio, null);
    assert.equal((await drain(mixed.video!)).length, 30);
  });
});
