import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUDIO_PTIME,
  AudioFrame,
  AudioStreamTrack,
  Fraction,
  MediaStream,
  MediaStreamError,
  MediaStreamTrack,
  VIDEO_CLOCK_RATE,
  VIDEO_PTIME,
  VIDEO_TIME_BASE,
  VideoFrame,
  VideoStreamTrack,
} from '../../src/media/index.js';
import { FakeClock } from './fake-clock.js';

describe('constants', () => {
  it('match aiortc', () => {
    assert.equal(AUDIO_PTIME, 0.02);
    assert.equal(VIDEO_CLOCK_RATE, 90000);
    assert.equal(VIDEO_PTIME, 1 / 30);
    assert.ok(VIDEO_TIME_BASE.equals(new Fraction(1, 90000)));
  });
});

describe('MediaStreamTrack', () => {
  class Plain extends MediaStreamTrack {
    async recv(): Promise<AudioFrame> {
      this.assertLive();
      return new AudioFrame();
    }
  }

  it('has a UUID id, kind unknown, live state, W3C defaults', () => {
    const t = new Plain();
    assert.match(t.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(t.kind, 'unknown');
    assert.equal(t.readyState, 'live');
    assert.equal(t.enabled, true);
    assert.equal(t.muted, false);
    assert.equal(t.label, '');
    assert.notEqual(new Plain().id, t.id);
    t.enabled = false;
    assert.equal(t.enabled, false);
  });

  it('stop() is idempotent and fires ended exactly once, to listeners, onended and on()', async () => {
    const t = new Plain();
    const seen: string[] = [];
    t.addEventListener('ended', () => seen.push('listener'));
    t.onended = () => seen.push('handler');
    t.on('ended', () => seen.push('on'));
    t.stop();
    t.stop();
    assert.deepEqual(seen, ['listener', 'handler', 'on']);
    assert.equal(t.readyState, 'ended');
    await assert.rejects(t.recv(), MediaStreamError);
  });
});

describe('AudioStreamTrack', () => {
  it('yields 20 ms of s16 mono silence at 8 kHz with pts counting samples', async () => {
    const clock = new FakeClock();
    const track = new AudioStreamTrack({ clock });
    assert.equal(track.kind, 'audio');
    for (let i = 0; i < 3; i++) {
      const f = await track.recv();
      assert.equal(f.format, 's16');
      assert.equal(f.layout, 'mono');
      assert.equal(f.samples, 160);
      assert.equal(f.sampleRate, 8000);
      assert.equal(f.pts, i * 160);
      assert.ok(f.timeBase?.equals(new Fraction(1, 8000)));
      assert.equal(f.planes.length, 1);
      assert.equal(f.planes[0]!.data.byteLength, 320);
      assert.ok(f.planes[0]!.data.every((b) => b === 0));
    }
  });

  it('paces against the clock from the first call and does not skip when the caller is late', async () => {
    const clock = new FakeClock();
    const track = new AudioStreamTrack({ clock });
    await track.recv(); // starts the clock, no wait
    assert.deepEqual(clock.sleeps, []);
    await track.recv();
    assert.equal(clock.sleeps[0], 20);
    clock.advance(100); // the caller is 100 ms late
    const late = await track.recv();
    assert.equal(late.pts, 320, 'no frame is skipped');
    assert.ok(clock.sleeps[1]! <= 0, 'a late frame is returned at once');
    const next = await track.recv();
    assert.equal(next.pts, 480);
    assert.ok(clock.sleeps[2]! <= 0, 'still catching up against the original start');
  });

  it('recv() on an ended track rejects with MediaStreamError', async () => {
    const track = new AudioStreamTrack({ clock: new FakeClock() });
    track.stop();
    await assert.rejects(track.recv(), MediaStreamError);
    await assert.rejects(track.nextTimestamp(), MediaStreamError);
  });
});

describe('VideoStreamTrack', () => {
  it('yields green 640x480 yuv420p frames at +3000 on the 90 kHz clock', async () => {
    const clock = new FakeClock();
    const track = new VideoStreamTrack({ clock });
    assert.equal(track.kind, 'video');
    for (let i = 0; i < 3; i++) {
      const f = await track.recv();
      assert.equal(f.width, 640);
      assert.equal(f.height, 480);
      assert.equal(f.format, 'yuv420p');
      assert.equal(f.pts, i * 3000);
      assert.ok(f.timeBase?.equals(VIDEO_TIME_BASE));
      assert.ok(f.planes.every((p) => p.data.every((b) => b === 0)));
      // Y=U=V=0 renders green.
      const rgb = f.reformat({ format: 'rgb24', width: 4, height: 4 }).toBytes();
      assert.ok(rgb[1]! > 100 && rgb[0]! < 10 && rgb[2]! < 10, `green pixel, got ${rgb.subarray(0, 3)}`);
    }
    assert.deepEqual(
      clock.sleeps.map((s) => Math.round(s * 1000) / 1000),
      [33.333, 33.333],
    );
  });

  it('nextTimestamp() waits until each frame is due', async () => {
    const clock = new FakeClock();
    const track = new VideoStreamTrack({ clock });
    const start = clock.now();
    for (let i = 0; i < 30; i++) await track.nextTimestamp();
    assert.ok(Math.abs(clock.now() - start - (29 * 1000) / 30) < 1e-6);
    track.stop();
    await assert.rejects(track.recv(), MediaStreamError);
  });

  it('really paces with the system clock (generous bound)', async () => {
    const track = new VideoStreamTrack();
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) await track.recv();
    assert.ok(performance.now() - t0 >= 95, 'three frame intervals at 30 fps take at least ~100 ms');
    track.stop();
  });
});

describe('MediaStream', () => {
  it('groups tracks by kind', () => {
    const a = new AudioStreamTrack();
    const v = new VideoStreamTrack();
    const s = new MediaStream([a, v]);
    assert.equal(s.getTracks().length, 2);
    assert.deepEqual(s.getAudioTracks(), [a]);
    assert.deepEqual(s.getVideoTracks(), [v]);
    assert.equal(s.getTrackById(v.id), v);
    assert.ok(s.active);
    a.stop();
    v.stop();
    assert.ok(!s.active);
    s.removeTrack(a);
    assert.equal(s.getTracks().length, 1);
    assert.ok(new VideoFrame(2, 2));
  });
});
