/**
 * MediaRecorder output checked with ffprobe and ffmpeg: container and codec by file name, duration, frame count,
 * decoding to the end without an error; remux without re-encoding (same packets, bit-identical pictures);
 * timestamps across gaps and rebased to 0; finalisation when the tracks end without stop().
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MediaPlayer, MediaRecorder } from '../../src/contrib/media/index.js';
import { createVideoEncoder } from '../../src/media/codecs/index.js';
import type { EncodedFrame } from '../../src/media/encoded-frame.js';
import { MediaStreamError } from '../../src/media/errors.js';
import { type MediaFrame, MediaStreamTrack } from '../../src/media/track.js';
import {
  assertDecodesCleanly,
  colourFrames,
  ffmpeg,
  ffprobe,
  frameMd5s,
  packets,
  requireMedia,
  ScriptedTrack,
  TWO_COLOURS,
  tempDir,
  toneFrames,
} from './media-fixtures.js';

const { dir, cleanup } = tempDir('recorder');
after(cleanup);
const path = (name: string): string => join(dir, name);

before(() => {
  try {
    const av = [
      '-f',
      'lavfi',
      '-i',
      TWO_COLOURS,
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=1000:sample_rate=48000',
    ];
    const x264 = ['-c:v', 'libx264', '-profile:v', 'baseline', '-g', '15'];
    ffmpeg([...av, '-t', '2', ...x264, '-c:a', 'aac', path('src.mp4')]);
    ffmpeg([...av, '-t', '2', '-c:v', 'libvpx', '-g', '15', '-c:a', 'libopus', path('src.webm')]);
    const high = ['-c:v', 'libx264', '-profile:v', 'high', '-bf', '3', '-g', '15', '-pix_fmt', 'yuv420p'];
    ffmpeg(['-f', 'lavfi', '-i', TWO_COLOURS, '-t', '2', ...high, path('bframes.mp4')]);
  } catch {
    // requireMedia() skips the tests when the CLI is missing.
  }
});

const duration = (file: string): number => Number(ffprobe(file).format.duration);

async function record(file: string, tracks: (MediaStreamTrack | null)[]): Promise<MediaRecorder> {
  const recorder = new MediaRecorder(file);
  for (const t of tracks) if (t) recorder.addTrack(t);
  await recorder.start();
  await recorder.finished; // the tracks end: the file is finalised without stop()
  assert.equal(recorder.error, null);
  return recorder;
}

describe('MediaRecorder encodes', () => {
  const cases: [string, string | null, string | null][] = [
    ['out.mp4', 'h264', 'aac'],
    ['out.webm', 'vp8', 'opus'],
    ['out.mkv', 'h264', 'aac'],
    ['out.ogg', null, 'opus'],
    ['out.wav', null, 'pcm_s16le'],
    ['out.mp3', null, 'mp3'],
  ];
  for (const [name, video, audio] of cases) {
    it(`${name}: ${[video, audio].filter(Boolean).join(' + ')}, 2 s, decodes to the end`, async (t) => {
      if (!(await requireMedia(t))) return;
      const player = await MediaPlayer.open(path('src.mp4'), { realtime: false });
      await record(path(name), [player.audio, player.video]);
      const probe = ffprobe(path(name));
      const v = probe.streams.find((s) => s.codec_type === 'video');
      const a = probe.streams.find((s) => s.codec_type === 'audio');
      assert.equal(v?.codec_name ?? null, video);
      assert.equal(a?.codec_name ?? null, audio);
      if (v) {
        assert.equal(Number(v.nb_read_frames), 60);
        assert.equal(v.width, 320);
      }
      assert.ok(Math.abs(duration(path(name)) - 2) < 0.06, `duration ${duration(path(name))}`);
      assertDecodesCleanly(path(name));
    });
  }

  it('a PNG sequence (frame-%3d.png): one picture per frame, colours kept', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('src.webm'), { realtime: false });
    await record(path('frame-%3d.png'), [player.video]);
    const files = readdirSync(dir).filter((f) => /^frame-\d{3}\.png$/.test(f));
    assert.equal(files.length, 60);
    const r = spawnSync(
      'ffmpeg',
      ['-v', 'error', '-i', path('frame-030.png'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
      { maxBuffer: 1 << 24 },
    );
    const left = r.stdout.subarray((120 * 320 + 80) * 3, (120 * 320 + 80) * 3 + 3);
    assert.ok(left[0]! > 230 && left[1]! < 30 && left[2]! < 30, `left pixel ${[...left]}`);
  });
});

describe('MediaRecorder remuxes without re-encoding', () => {
  const cases: [string, string, 'v' | 'a', string][] = [
    ['src.mp4', 'remux.mp4', 'v', 'h264'],
    ['src.webm', 'remux.webm', 'v', 'vp8'],
    ['src.webm', 'remux-opus.webm', 'a', 'opus'],
    ['src.webm', 'remux.ogg', 'a', 'opus'],
  ];
  for (const [input, output, stream, codec] of cases) {
    it(`${codec} from ${input} into ${output}: same packets, bit-identical decode`, async (t) => {
      if (!(await requireMedia(t))) return;
      const player = await MediaPlayer.open(path(input), { decode: false, realtime: false });
      await record(path(output), [stream === 'v' ? player.video : player.audio]);
      const probe = ffprobe(path(output));
      assert.equal(probe.streams.length, 1);
      assert.equal(probe.streams[0]!.codec_name, codec);
      const before = packets(path(input), stream);
      const after = packets(path(output), stream);
      assert.equal(after.length, before.length);
      // Packet for packet the same bytes; only H.264 keyframes (4 with -g 15) gain their SPS/PPS in-band, as MP4
      // keeps them out of band.
      const changed = after.filter((p, i) => p.md5 !== before[i]!.md5).length;
      assert.equal(changed, codec === 'h264' ? 4 : 0, `${changed} packets differ`);
      if (stream === 'v') assert.deepEqual(frameMd5s(path(output), 'v'), frameMd5s(path(input), 'v'));
      assertDecodesCleanly(path(output));
    });
  }

  it('H.264 with B-frames (decode order, pts out of order) into MP4 and MKV: same pictures, starting at 0', async (t) => {
    if (!(await requireMedia(t))) return;
    for (const output of ['bframes-out.mp4', 'bframes-out.mkv']) {
      const player = await MediaPlayer.open(path('bframes.mp4'), { decode: false, realtime: false });
      await record(path(output), [player.video]);
      assert.deepEqual(frameMd5s(path(output), 'v'), frameMd5s(path('bframes.mp4'), 'v'));
      assert.ok(Math.abs(duration(path(output)) - 2) < 0.01, `${output}: duration ${duration(path(output))}`);
      const r = spawnSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-select_streams',
          'v',
          '-show_entries',
          'frame=pts_time',
          '-of',
          'csv=p=0',
          path(output),
        ],
        { encoding: 'utf8' },
      );
      assert.equal(Number.parseFloat(r.stdout), 0, `${output} starts at 0`);
      assertDecodesCleanly(path(output));
    }
  });

  it('VP8 EncodedFrames into MP4 (which does not take VP8) are transcoded to H.264', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('src.webm'), { decode: false, realtime: false });
    await record(path('transcoded.mp4'), [player.video]);
    const v = ffprobe(path('transcoded.mp4')).streams[0]!;
    assert.equal(v.codec_name, 'h264');
    assert.equal(Number(v.nb_read_frames), 60);
    assertDecodesCleanly(path('transcoded.mp4'));
  });
});

describe('MediaRecorder timestamps', () => {
  it('video pts start at 0 and keep a 2 s gap; audio gaps become silence', async (t) => {
    if (!(await requireMedia(t))) return;
    // 30 frames from pts 900000 (10 s), a 2 s gap, 30 more.
    const at = (i: number): number => 900_000 + i * 3000 + (i >= 30 ? 180_000 : 0);
    const video = new ScriptedTrack('video', colourFrames(60, at));
    const audioAt = (i: number): number => 480_000 + i * 960 + (i >= 50 ? 96_000 : 0);
    const audio = new ScriptedTrack('audio', toneFrames(100, 440, 48000, audioAt));
    await record(path('gaps.mkv'), [video, audio]);
    const probe = ffprobe(path('gaps.mkv'));
    const v = probe.streams.find((s) => s.codec_type === 'video')!;
    assert.equal(Number(v.nb_read_frames), 60);
    const r = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'v',
        '-show_entries',
        'frame=pts_time',
        '-of',
        'csv=p=0',
        path('gaps.mkv'),
      ],
      { encoding: 'utf8' },
    );
    const times = r.stdout.trim().split('\n').map(Number.parseFloat).filter(Number.isFinite);
    assert.equal(times[0], 0);
    assert.ok(Math.abs(times[30]! - times[29]! - (2 + 1 / 30)) < 0.01, `gap ${times[30]! - times[29]!}`);
    assert.ok(Math.abs(duration(path('gaps.mkv')) - 4) < 0.1, `duration ${duration(path('gaps.mkv'))}`);
    assertDecodesCleanly(path('gaps.mkv'));
    // Audio alone in WAV: 2 s of tone plus 2 s of silence in the middle = 4 s.
    const wav = new ScriptedTrack('audio', toneFrames(100, 440, 48000, audioAt));
    await record(path('gaps.wav'), [wav]);
    assert.ok(Math.abs(duration(path('gaps.wav')) - 4) < 0.001, `duration ${duration(path('gaps.wav'))}`);
  });

  it('a recording cut short (the tracks end mid-file, no stop()) is a finished file that plays to its end', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('src.webm'), { realtime: false });
    // The "call" ends abruptly after 0.7 s: both tracks end, nobody calls stop().
    const recorder = await record(path('cut.webm'), [cut(player.video!, 21), cut(player.audio!, 35)]);
    assert.equal(recorder.error, null);
    const v = ffprobe(path('cut.webm')).streams.find((s) => s.codec_type === 'video')!;
    assert.equal(Number(v.nb_read_frames), 21);
    assert.ok(Math.abs(duration(path('cut.webm')) - 0.7) < 0.05, `duration ${duration(path('cut.webm'))}`);
    assertDecodesCleanly(path('cut.webm'));
  });

  it('stop() finalises while the tracks are still live', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('src.mp4'), { loop: true, realtime: false });
    const recorder = new MediaRecorder(path('stopped.mp4'));
    recorder.addTrack(player.video!);
    await recorder.start();
    await new Promise((r) => setTimeout(r, 300));
    await recorder.stop();
    assert.equal(player.video!.readyState, 'live', 'the recorder leaves its tracks alone');
    player.stop();
    const v = ffprobe(path('stopped.mp4')).streams[0]!;
    assert.ok(Number(v.nb_read_frames) > 0);
    assertDecodesCleanly(path('stopped.mp4'));
  });

  it('stop() right after start() (still opening) finishes instead of waiting for the tracks', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('src.mp4'), { loop: true });
    const recorder = new MediaRecorder(path('quick.mp4'));
    recorder.addTrack(player.video!);
    const started = recorder.start();
    await recorder.stop();
    await started;
    assert.equal(recorder.error, null);
    player.stop();
  });

  it('H.264 EncodedFrames from tsrtc’s own encoder remux into MP4', async (t) => {
    if (!(await requireMedia(t))) return;
    const encoder = createVideoEncoder('h264');
    const encoded: EncodedFrame[] = [];
    for (const frame of colourFrames(30, (i) => i * 3000)) encoded.push(...(await encoder.encode(frame)));
    encoder.close();
    await record(path('own.mp4'), [new ScriptedTrack('video', encoded)]);
    const v = ffprobe(path('own.mp4')).streams[0]!;
    assert.equal(v.codec_name, 'h264');
    assert.equal(Number(v.nb_read_frames), 30);
    assert.ok(Math.abs(duration(path('own.mp4')) - 1) < 0.05);
    assertDecodesCleanly(path('own.mp4'));
    assert.ok(existsSync(path('own.mp4')));
  });
});

/** A track that passes `n` frames of another, then ends as a remote track does when the call drops. */
function cut(source: MediaStreamTrack, n: number): MediaStreamTrack {
  let left = n;
  class Cut extends MediaStreamTrack {
    override get kind() {
      return source.kind;
    }
    async recv(): Promise<MediaFrame> {
      this.assertLive();
      if (left-- <= 0) {
        this.stop();
        throw new MediaStreamError('the call ended');
      }
      return source.recv();
    }
  }
  return new Cut();
}
