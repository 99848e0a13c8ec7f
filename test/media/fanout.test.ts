import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AudioStreamTrack,
  createAudioEncoder,
  createVideoEncoder,
  EncodedFanout,
  MediaStreamError,
  VideoFrame,
  VideoStreamTrack,
} from '../../src/media/index.js';
import { FakeClock } from './fake-clock.js';
import { requireNodeAv } from './node-av-available.js';

/** A video source with real content (so the encoder produces real frames), ending after `count` frames. */
class PatternTrack extends VideoStreamTrack {
  private n = 0;
  constructor(private readonly count: number) {
    super({ clock: new FakeClock() });
  }
  override async recv(): Promise<VideoFrame> {
    if (this.n >= this.count) {
      this.stop();
      throw new MediaStreamError('done');
    }
    const { pts, timeBase } = await this.nextTimestamp();
    const f = new VideoFrame(64, 48);
    f.planes[0]!.data.fill(40 + this.n++ * 3);
    f.pts = pts;
    f.timeBase = timeBase;
    return f;
  }
}

describe('EncodedFanout', () => {
  it('encodes once for many subscribers (G.711), and ends them all with the source', async () => {
    const source = new AudioStreamTrack({ clock: new FakeClock() });
    const encoder = createAudioEncoder('pcmu');
    let encodes = 0;
    const encode = encoder.encode.bind(encoder);
    encoder.encode = (f) => {
      encodes++;
      return encode(f);
    };
    const fanout = new EncodedFanout(source, encoder);
    const a = fanout.subscribe();
    const b = fanout.subscribe();
    assert.equal(a.kind, 'audio');
    for (let i = 0; i < 5; i++) {
      const fa = await a.recv();
      const fb = await b.recv();
      assert.equal(fa, fb, 'the very same EncodedFrame object');
      assert.equal(fa.pts, i * 160);
      assert.equal(fa.codec, 'pcmu');
    }
    assert.equal(encodes, 5, 'one encode per source frame, not per subscriber');
    source.stop();
    await assert.rejects(a.recv(), MediaStreamError);
    await assert.rejects(b.recv(), MediaStreamError);
    assert.equal(a.readyState, 'ended');
  });

  it('starts late and slow subscribers at a keyframe (VP8)', async (t) => {
    if (!(await requireNodeAv(t))) return;
    const fanout = new EncodedFanout(new PatternTrack(40), createVideoEncoder('vp8'), { maxQueue: 4 });
    const fast = fanout.subscribe();
    const first = await fast.recv();
    assert.ok(first.keyframe);
    for (let i = 0; i < 3; i++) assert.ok(!(await fast.recv()).keyframe);
    const late = fanout.subscribe(); // asks for a keyframe
    const joined = await late.recv();
    assert.ok(joined.keyframe, 'a late subscriber starts at a keyframe');
    // `late` now stops reading while `fast` goes on: its queue overflows, it skips to a new keyframe.
    for (let i = 0; i < 10; i++) await fast.recv();
    const resumed = await late.recv();
    assert.ok(resumed.keyframe, 'an overflowed subscriber resumes at a keyframe');
    assert.ok(late.framesSkipped > 0);
    late.stop();
    assert.equal(fanout.subscriberCount, 1);
    let n = 0;
    await assert.rejects(async () => {
      for (;;) {
        await fast.recv();
        n++;
      }
    }, MediaStreamError);
    assert.ok(n > 0);
  });
});
