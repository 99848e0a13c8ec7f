/**
 * MediaRecorder output checked with ffprobe and ffmpeg: container and codec by file name, duration, frame count,
 * decoding to the end without an error; remux without re-encoding (same packets, bit-identical pictures).
 * Timestamps and finalisation: media-recorder-timing.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MediaPlayer } from '../../src/contrib/media/index.js';
import {
  assertDecodesCleanly,
  ffprobe,
  frameMd5s,
  packets,
  requireMedia,
  videoFrameTimes,
} from './media-fixtures.js';
import { recorderFixtures } from './recorder-fixtures.js';

const { dir, path, duration, record } = recorderFixtures('recorder', { bframes: true });

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
      assert.equal(videoFrameTimes(path(output))[0], 0, `${output} starts at 0`);
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
