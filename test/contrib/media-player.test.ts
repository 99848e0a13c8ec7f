/**
 * MediaPlayer against inputs made with the FFmpeg CLI: frame counts, sizes, pts, a known colour at a known
 * pixel, a known tone; real-time pacing in virtual time; looping; one reader shared by both tracks.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Demuxer } from '../../src/contrib/media/demuxer.js';
import { loadFfmpeg } from '../../src/contrib/media/ffmpeg.js';
import { MediaPlayer } from '../../src/contrib/media/index.js';
import { END, LOOP, PlayerSource } from '../../src/contrib/media/player-source.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { MediaStreamError } from '../../src/media/errors.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { FakeClock } from '../media/fake-clock.js';
import {
  assertColour,
  drain,
  ffmpeg,
  leftChannel,
  pixel,
  requireMedia,
  TWO_COLOURS,
  TWO_COLOURS_AND_TONE,
  tempDir,
  toneFrequency,
} from './media-fixtures.js';

const { dir, cleanup } = tempDir('player');
after(cleanup);
const path = (name: string): string => join(dir, name);

before(() => {
  try {
    const av = TWO_COLOURS_AND_TONE;
    ffmpeg([...av, '-t', '1', '-c:v', 'libx264', '-profile:v', 'baseline', '-c:a', 'aac', path('av.mp4')]);
    ffmpeg([...av, '-t', '1', '-c:v', 'libvpx', '-c:a', 'libopus', path('av.webm')]);
    ffmpeg([...av, '-t', '1', '-c:v', 'mpeg4', '-c:a', 'mp3', path('av.mkv')]);
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=44100',
      '-t',
      '1',
      '-ac',
      '1',
      path('a440.wav'),
    ]);
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      TWO_COLOURS,
      '-t',
      '0.5',
      '-c:v',
      'mjpeg',
      '-pix_fmt',
      'yuvj420p',
      path('v.avi'),
    ]);
    ffmpeg(['-f', 'lavfi', '-i', TWO_COLOURS, '-frames:v', '5', path('img-%02d.png')]);
  } catch {
    // requireMedia() skips the tests when the CLI is missing.
  }
});

describe('MediaPlayer decodes', () => {
  for (const name of ['av.mp4', 'av.webm', 'av.mkv']) {
    it(`${name}: 30 frames of 320×240 with pts i/30 s, red left, blue right; 1 s of a 1 kHz tone`, async (t) => {
      if (!(await requireMedia(t))) return;
      const player = await MediaPlayer.open(path(name), { realtime: false });
      assert.equal(player.video?.kind, 'video');
      assert.equal(player.audio?.kind, 'audio');
      const [video, audio] = await Promise.all([
        drain<VideoFrame>(player.video!),
        drain<AudioFrame>(player.audio!),
      ]);
      assert.equal(video.length, 30);
      video.forEach((f, i) => {
        assert.equal(f.width, 320);
        assert.equal(f.height, 240);
        const seconds = (f.pts! * f.timeBase!.num) / f.timeBase!.den;
        assert.ok(Math.abs(seconds - i / 30) < 0.002, `frame ${i} at ${seconds} s`);
      });
      assertColour(pixel(video[10]!, 80, 120), [255, 0, 0]);
      assertColour(pixel(video[10]!, 240, 120), [0, 0, 255]);
      // aiortc's audio: s16 stereo 48 kHz, 960 samples, pts counting samples.
      assert.ok(audio.length >= 49 && audio.length <= 53, `${audio.length} audio frames`);
      audio.forEach((f, i) => {
        assert.equal(f.format, 's16');
        assert.equal(f.layout, 'stereo');
        assert.equal(f.sampleRate, 48000);
        assert.equal(f.samples, 960);
        assert.equal(f.pts, i * 960);
      });
      const frequency = toneFrequency(leftChannel(audio.slice(5, 45)), 48000);
      assert.ok(Math.abs(frequency - 1000) < 3, `tone at ${frequency} Hz`);
      assert.equal(player.video!.readyState, 'ended');
    });
  }

  it('a 440 Hz mono 44.1 kHz WAV is resampled to 48 kHz stereo and keeps its pitch', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('a440.wav'), { realtime: false });
    assert.equal(player.video, null);
    const audio = await drain<AudioFrame>(player.audio!);
    assert.ok(Math.abs(audio.length - 50) <= 1, `${audio.length} frames`);
    const [left, right] = [leftChannel(audio), audio[10]!.toFloat32()[1]!];
    assert.deepEqual(audio[10]!.toFloat32()[0], right, 'mono is copied to both channels');
    const frequency = toneFrequency(left.subarray(4800, 43200), 48000);
    assert.ok(Math.abs(frequency - 440) < 2, `tone at ${frequency} Hz`);
  });

  it('full-range JPEG video (yuvj420p) and PNG sequences keep their colours', async (t) => {
    if (!(await requireMedia(t))) return;
    const mjpeg = await drain<VideoFrame>(
      (await MediaPlayer.open(path('v.avi'), { realtime: false })).video!,
    );
    assert.equal(mjpeg.length, 15);
    assert.equal(mjpeg[0]!.format, 'yuv420p');
    assertColour(pixel(mjpeg[3]!, 80, 120), [255, 0, 0]);
    const png = await MediaPlayer.open(path('img-%02d.png'), { realtime: false });
    const frames = await drain<VideoFrame>(png.video!);
    assert.equal(frames.length, 5);
    assert.equal(frames[0]!.format, 'rgb24');
    assertColour(pixel(frames[0]!, 80, 120), [255, 0, 0], 3);
    assertColour(pixel(frames[0]!, 240, 120), [0, 0, 255], 3);
  });

  it('a lavfi source (format: lavfi) plays testsrc and a sine', async (t) => {
    if (!(await requireMedia(t))) return;
    const video = await MediaPlayer.open('testsrc=size=160x120:rate=10:duration=1', {
      format: 'lavfi',
      realtime: false,
    });
    const frames = await drain<VideoFrame>(video.video!);
    assert.equal(frames.length, 10);
    assert.equal(frames[0]!.width, 160);
    const tone = await MediaPlayer.open('sine=frequency=600:duration=1', {
      format: 'lavfi',
      realtime: false,
    });
    const audio = await drain<AudioFrame>(tone.audio!);
    const frequency = toneFrequency(leftChannel(audio.slice(2, 45)), 48000);
    assert.ok(Math.abs(frequency - 600) < 3, `tone at ${frequency} Hz`);
  });
});

describe('MediaPlayer timing and lifetime', () => {
  it('paces frames in real time against the clock (virtual time)', async (t) => {
    if (!(await requireMedia(t))) return;
    const clock = new FakeClock();
    const player = await MediaPlayer.open(path('av.webm'), { clock });
    const start = clock.now();
    const released: number[] = [];
    for (let i = 0; i < 30; i++) {
      await player.video!.recv();
      released.push(clock.now() - start);
    }
    released.forEach((ms, i) => {
      assert.ok(Math.abs(ms - (i * 1000) / 30) < 1.5, `frame ${i} released at ${ms} ms`);
    });
    player.stop();
  });

  it('reads as fast as pulled with realtime: false (no sleeps)', async (t) => {
    if (!(await requireMedia(t))) return;
    const clock = new FakeClock();
    const player = await MediaPlayer.open(path('av.webm'), { clock, realtime: false });
    await drain(player.video!);
    assert.deepEqual(clock.sleeps, []);
  });

  it('loops with timestamps that keep increasing at the frame rate', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('av.mp4'), { loop: true, realtime: false });
    const frames: VideoFrame[] = [];
    for (let i = 0; i < 75; i++) frames.push((await player.video!.recv()) as VideoFrame);
    const tb = frames[0]!.timeBase!;
    const step = tb.den / tb.num / 30;
    for (let i = 1; i < frames.length; i++) {
      const delta = frames[i]!.pts! - frames[i - 1]!.pts!;
      assert.ok(Math.abs(delta - step) <= 1, `frame ${i}: pts step ${delta}, expected ${step}`);
    }
    assertColour(pixel(frames[65]!, 80, 120), [255, 0, 0]);
    const audio: AudioFrame[] = [];
    for (let i = 0; i < 120; i++) audio.push((await player.audio!.recv()) as AudioFrame);
    assert.deepEqual(
      audio.map((f) => f.pts),
      audio.map((_, i) => i * 960),
    );
    player.stop();
    await assert.rejects(player.video!.recv(), MediaStreamError);
  });

  it('ends with an ended event, then MediaStreamError from every recv()', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('av.webm'), { realtime: false });
    let ended = 0;
    player.video!.onended = () => ended++;
    await drain(player.video!);
    assert.equal(ended, 1);
    await assert.rejects(player.video!.recv(), /has ended/);
    await assert.rejects(player.video!.recv(), MediaStreamError);
    player.stop();
    assert.equal(ended, 1);
  });

  it('one reader serves both tracks: a track pulled after the other has finished still plays from the start', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('av.mp4'), { realtime: false });
    const video = await drain<VideoFrame>(player.video!);
    assert.equal(video.length, 30);
    // The audio waited, compressed, in its own queue while the video was read.
    const audio = await drain<AudioFrame>(player.audio!);
    assert.ok(audio.length >= 49, `${audio.length} audio frames`);
    assert.equal(player.audio!.packetsDropped, 0);
    assert.equal(player.audio!.readyState, 'ended');
  });

  it('stopping a track mid-way ends it; the other track plays to the end', async (t) => {
    if (!(await requireMedia(t))) return;
    const player = await MediaPlayer.open(path('av.webm'), { realtime: false });
    await player.audio!.recv();
    player.audio!.stop();
    await assert.rejects(player.audio!.recv(), MediaStreamError);
    assert.equal((await drain(player.video!)).length, 30);
  });
});

describe('the shared reader (player-source)', () => {
  it('bounds the queue of a track nobody pulls: audio drops its oldest, video drops to a keyframe', async (t) => {
    if (!(await requireMedia(t))) return;
    const av = await loadFfmpeg('test');
    const demuxer = await Demuxer.open(av, path('av.mp4'));
    const source = new PlayerSource(demuxer, false, { packets: 8, bytes: 1 << 30 });
    const video = source.queue(demuxer.first('video')!.index, 'video');
    const audio = source.queue(demuxer.first('audio')!.index, 'audio');
    let videoPackets = 0;
    for (;;) {
      const item = await source.next(video);
      if (item === END) break;
      if (item !== LOOP) videoPackets++;
      assert.ok(audio.items.length <= 8, `audio queue at ${audio.items.length}`);
    }
    assert.equal(videoPackets, 30, 'the pulled track lost nothing');
    assert.ok(audio.dropped >= 40, `audio dropped ${audio.dropped}`);
    assert.equal(audio.items.length, 8, 'the newest 8 are kept');
    audio.clear();
  });

  it('a video queue that overflows keeps a decodable start: its head is a keyframe', async (t) => {
    if (!(await requireMedia(t))) return;
    ffmpeg([
      ...['-f', 'lavfi', '-i', TWO_COLOURS, '-f', 'lavfi', '-i', 'sine', '-t', '1'],
      ...['-c:v', 'libx264', '-g', '5', '-c:a', 'aac', path('gop5.mp4')],
    ]);
    const av = await loadFfmpeg('test');
    const demuxer = await Demuxer.open(av, path('gop5.mp4'));
    const source = new PlayerSource(demuxer, false, { packets: 4, bytes: 1 << 30 });
    const video = source.queue(demuxer.first('video')!.index, 'video');
    const audio = source.queue(demuxer.first('audio')!.index, 'audio');
    for (let item = await source.next(audio); item !== END; item = await source.next(audio)) {
      const head = video.items[0];
      if (head && head !== LOOP) assert.ok(head.keyframe, 'video queue starts at a keyframe');
    }
    assert.ok(video.dropped > 0);
    video.clear();
  });
});
