/**
 * MediaRecorder timing, checked with ffprobe and ffmpeg: timestamps across gaps and rebased to 0; finalisation
 * when the tracks end without stop(), on stop() while live and right after start(); tsrtc's own H.264 remuxed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MediaPlayer, MediaRecorder } from '../../src/contrib/media/index.js';
import { createVideoEncoder } from '../../src/media/codecs/index.js';
import type { EncodedFrame } from '../../src/media/encoded-frame.js';
import { MediaStreamError } from '../../src/media/errors.js';
import { type MediaFrame, MediaStreamTrack } from '../../src/media/track.js';
import {
  assertDecodesCleanly,
  colourFrames,
  ffprobe,
  requireMedia,
  ScriptedTrack,
  toneFrames,
  videoFrameTimes,
} from './media-fixtures.js';
import { recorderFixtures } from './recorder-fixtures.js';

const { path, duration, record } = recorderFixtures('recorder-timing');

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
    const times = videoFrameTimes(path('gaps.mkv'));
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
