/**
 * MediaRelay with fast, slow and unbuffered subscribers (synthetic sources, no FFmpeg needed), encoded frames,
 * and lifetimes; MediaBlackhole consuming and stopping.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaBlackhole, MediaRelay } from '../../src/contrib/media/index.js';
import { EncodedFrame } from '../../src/media/encoded-frame.js';
import { MediaStreamError } from '../../src/media/errors.js';
import { Fraction } from '../../src/media/time-base.js';
import type { MediaFrame } from '../../src/media/track.js';
import { colourFrames, drain, ScriptedTrack, toneFrames } from './media-fixtures.js';

const ptsOf = (frames: MediaFrame[]): number[] => frames.map((f) => f.pts ?? -1);

describe('MediaRelay', () => {
  it('every subscriber gets every frame, the same objects, from one pull per frame', async () => {
    const frames = colourFrames(20, (i) => i * 3000);
    const source = new ScriptedTrack('video', frames);
    const relay = new MediaRelay();
    const subs = [relay.subscribe(source), relay.subscribe(source), relay.subscribe(source)];
    assert.ok(subs.every((s) => s.kind === 'video'));
    const got = await Promise.all(subs.map((s) => drain(s)));
    for (const g of got) {
      assert.equal(g.length, 20);
      g.forEach((f, i) => {
        assert.equal(f, frames[i]);
      });
    }
    assert.equal(source.pulls, 21, 'one recv per frame (+1 that saw the end), not one per subscriber');
    assert.ok(subs.every((s) => s.readyState === 'ended'));
  });

  it('a slow subscriber drops its own oldest frames and neither slows the fast one nor grows', async () => {
    const source = new ScriptedTrack('audio', toneFrames(200, 440));
    const relay = new MediaRelay();
    const fast = relay.subscribe(source);
    const slow = relay.subscribe(source, { maxQueue: 10 });
    const fastFrames = await drain(fast);
    assert.equal(fastFrames.length, 200, 'the fast subscriber got everything');
    // The slow one never pulled: it kept the latest 10 and then sees the end.
    const slowFrames = await drain(slow);
    assert.deepEqual(ptsOf(slowFrames), ptsOf(fastFrames.slice(190)));
    assert.equal(slow.framesDropped, 190);
  });

  it('unbuffered: a subscriber only ever gets the latest frame', async () => {
    const source = new ScriptedTrack(
      'video',
      colourFrames(10, (i) => i * 3000),
    );
    const relay = new MediaRelay();
    const fast = relay.subscribe(source);
    const latest = relay.subscribe(source, { buffered: false });
    for (let i = 0; i < 5; i++) await fast.recv();
    assert.equal((await latest.recv()).pts, 4 * 3000);
    for (let i = 0; i < 3; i++) await fast.recv();
    assert.equal((await latest.recv()).pts, 7 * 3000);
    assert.equal(latest.framesDropped, 6); // 0–3 replaced, then 5 and 6
  });

  it('stopping a subscriber leaves the source and the others running; the source ending ends them all', async () => {
    const source = new ScriptedTrack(
      'video',
      colourFrames(6, (i) => i * 3000),
    );
    const relay = new MediaRelay();
    const a = relay.subscribe(source);
    const b = relay.subscribe(source);
    let endedB = 0;
    b.onended = () => endedB++;
    await a.recv();
    b.stop();
    assert.equal(endedB, 1);
    await assert.rejects(b.recv(), MediaStreamError);
    assert.equal(source.readyState, 'live');
    assert.equal((await drain(a)).length, 5);
    assert.equal(source.readyState, 'ended');
    assert.throws(() => relay.subscribe(source), MediaStreamError);
  });

  it('a late subscriber starts with the next frame; the relay reads nothing while nobody pulls', async () => {
    const source = new ScriptedTrack(
      'video',
      colourFrames(10, (i) => i * 3000),
    );
    const relay = new MediaRelay();
    const first = relay.subscribe(source);
    await first.recv();
    await first.recv();
    const late = relay.subscribe(source);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(source.pulls, 2, 'no pull without a waiting subscriber');
    assert.equal((await late.recv()).pts, 2 * 3000);
    assert.equal((await first.recv()).pts, 2 * 3000);
  });

  it('encoded video: a subscriber starts at a keyframe and an overflowing one skips to the next keyframe', async () => {
    const tb = new Fraction(1, 90000);
    const frames = Array.from(
      { length: 40 },
      (_, i) => new EncodedFrame('vp8', new Uint8Array([i]), i * 3000, tb, i % 10 === 0),
    );
    const source = new ScriptedTrack('video', frames);
    const relay = new MediaRelay();
    const fast = relay.subscribe(source);
    await fast.recv(); // frame 0
    await fast.recv(); // frame 1
    const late = relay.subscribe(source, { maxQueue: 4 });
    const lateFrames = await (async () => {
      for (let i = 0; i < 25; i++) await fast.recv(); // up to frame 26: late overflows at 14
      return drain<EncodedFrame>(late);
    })();
    // Joined at frame 2 (a delta): waited for keyframe 10, overflowed, waited for keyframe 20; queued 20..23,
    // then every later frame overflowed again to keyframe 30 and kept 30..33 when the source ended.
    assert.ok(lateFrames.length > 0);
    assert.ok(lateFrames[0]!.keyframe, 'starts at a keyframe');
    for (let i = 1; i < lateFrames.length; i++) {
      assert.ok(
        lateFrames[i]!.keyframe || lateFrames[i]!.pts === lateFrames[i - 1]!.pts + 3000,
        'no broken chain',
      );
    }
    assert.ok(late.framesDropped > 0);
    await drain(fast);
  });
});

describe('MediaBlackhole', () => {
  it('consumes every frame of its tracks until they end', async () => {
    const blackhole = new MediaBlackhole();
    const audio = new ScriptedTrack('audio', toneFrames(30, 440));
    const video = new ScriptedTrack(
      'video',
      colourFrames(12, (i) => i * 3000),
    );
    blackhole.addTrack(audio);
    blackhole.addTrack(video);
    await blackhole.start();
    for (let i = 0; i < 100 && blackhole.framesDiscarded < 42; i++)
      await new Promise((r) => setTimeout(r, 1));
    assert.equal(blackhole.framesDiscarded, 42);
    assert.equal(audio.readyState, 'ended');
    await blackhole.stop();
  });

  it('stop() stops consuming and leaves the tracks live', async () => {
    const blackhole = new MediaBlackhole();
    const video = new ScriptedTrack(
      'video',
      colourFrames(1000, (i) => i * 3000),
      1,
    );
    blackhole.addTrack(video);
    await blackhole.start();
    await new Promise((r) => setTimeout(r, 5));
    await blackhole.stop();
    const pulls = video.pulls;
    assert.ok(pulls > 0);
    await new Promise((r) => setTimeout(r, 10));
    assert.ok(video.pulls <= pulls + 1, 'at most the recv() in flight completes');
    assert.equal(video.readyState, 'live');
  });
});
