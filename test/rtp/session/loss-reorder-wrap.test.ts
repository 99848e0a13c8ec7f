/**
 * Loss, reordering and duplication on the link, and sequence-number and RTP-timestamp wraps: frames come
 * out in order with their content, statistics count what happened, SRTP follows the rollover counter.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RandomSource, SeededRandom } from '../../../src/common/random.js';
import { codec, frameIndex, opusFrame, pair, sameBytes, tap, videoSource, vp8Frame } from './harness.js';

/** Fills byte arrays from a script (in call order), then from a seeded source. */
class ScriptedRandom implements RandomSource {
  private readonly fallback = new SeededRandom(99);
  constructor(private readonly script: Uint8Array[]) {}
  fill(target: Uint8Array): Uint8Array {
    const next = this.script.shift();
    if (next && next.byteLength === target.byteLength) target.set(next);
    else this.fallback.fill(target);
    return target;
  }
}

describe('loss, reordering, wraps', () => {
  it('plays audio in order through reordering, duplication and loss, and counts them', () => {
    const p = pair([{ mid: 'a', kind: 'audio', codecs: [codec('opus', 111)], a: [{ ssrc: 3 }] }], {
      conditions: { delay: 30, jitter: 10, reorder: 0.1, reorderDelay: 25, duplicate: 0.05, loss: 0.03 },
      seed: 11,
    });
    let i = 0;
    p.a.schedule(0, (now) => p.a.session.writeFrame(now, 'a', undefined, opusFrame(i++)), 20);
    p.a.schedule(10_000, () => p.a.stopActions());
    p.net.runFor(11_000);
    const frames = p.b.of('frame');
    let previous = -1;
    for (const f of frames) {
      const index = f.frame.pts / 960;
      assert.ok(index > previous, 'in order');
      previous = index;
      sameBytes(f.frame.data, opusFrame(index).data, `audio ${index}`);
    }
    assert.ok(frames.length > 450 && frames.length < 500, `${frames.length} of 500 frames`);
    const stats = p.b.session.getStats(p.net.now).inbound[0]!;
    // duplicates are replays to SRTP: dropped before they reach the stream
    assert.ok(
      p.b.session.getStats(p.net.now).srtp!.inbound.replayDrops > 0,
      'p.b.session.getStats(p.net.now).srtp!.inbound.replayDrops > 0',
    );
    assert.ok(
      stats.packetsLost > 0 && stats.packetsLost < 40,
      'stats.packetsLost > 0 && stats.packetsLost < 40',
    );
  });

  it('repairs video through reordering with NACK and keeps frames in order', () => {
    const p = pair(
      [
        {
          mid: 'v',
          kind: 'video',
          codecs: [codec('vp8', 96, { nack: true, pli: true }, 97)],
          a: [{ ssrc: 3, rtxSsrc: 4 }],
        },
      ],
      { conditions: { delay: 20, jitter: 15, reorder: 0.05, reorderDelay: 30, loss: 0.02 }, seed: 5 },
    );
    const keyframes = videoSource(p.a, 'v', { size: 4000, frames: 200 });
    p.net.runFor(8000);
    const frames = p.b.of('frame');
    let previous = -1;
    for (const f of frames) {
      const index = frameIndex(f.frame.data);
      assert.ok(index > previous, 'index > previous');
      previous = index;
      sameBytes(f.frame.data, vp8Frame(index, 4000, keyframes.has(index)).data, `frame ${index}`);
    }
    assert.ok(frames.length >= 195, `${frames.length} of 200`);
  });

  it('crosses a sequence number wrap and an RTP timestamp wrap', () => {
    // A's random draws: receiver SSRC, then its stream's initial sequence number, RTX sequence, timestamp
    const random = new ScriptedRandom([
      Uint8Array.of(1, 2, 3, 4),
      Uint8Array.of(0xff, 0xf0), // sequence 65520
      Uint8Array.of(0, 1),
      Uint8Array.of(0xff, 0xfe, 0x00, 0x00), // timestamp 2^32 − 131072: wraps after ~1.5 s of video
    ]);
    const p = pair(
      [
        {
          mid: 'v',
          kind: 'video',
          codecs: [codec('vp8', 96, { nack: true, pli: true }, 97)],
          a: [{ ssrc: 8, rtxSsrc: 9 }],
        },
      ],
      { randomA: random, conditions: { loss: 0.05 }, seed: 2 },
    );
    const wire = tap(p, 'a');
    const rr = tap(p, 'b');
    const keyframes = videoSource(p.a, 'v', { size: 2500, frames: 90 });
    p.net.runFor(4500);
    assert.equal(wire.rtp[0]!.sequenceNumber, 65520);
    assert.equal(wire.rtp[0]!.timestamp, 0xfffe0000);
    assert.ok(
      wire.rtp.some((r) => r.ssrc === 8 && r.sequenceNumber < 100),
      'wire.rtp.some((r) => r.ssrc === 8 && r.sequenceNumber < 100)',
    );
    assert.ok(
      wire.rtp.some((r) => r.ssrc === 8 && r.timestamp < 0x10000),
      'wire.rtp.some((r) => r.ssrc === 8 && r.timestamp < 0x10000)',
    );
    const frames = p.b.of('frame');
    assert.ok(frames.length >= 88, `${frames.length} of 90`);
    for (const f of frames) {
      const index = frameIndex(f.frame.data);
      sameBytes(f.frame.data, vp8Frame(index, 2500, keyframes.has(index)).data, `frame ${index}`);
      // pts keeps growing across the timestamp wrap: 3000 ticks per frame from the first
      assert.equal(f.frame.pts, index * 3000);
    }
    const stats = p.b.session.getStats(p.net.now);
    assert.equal(stats.srtp!.inbound.authFailures, 0);
    const block = rr
      .rtcpOf('rr')
      .flatMap((r) => r.reports)
      .pop()!;
    assert.ok(block.highestSequence > 0x10000, 'extended highest sequence counts the wrap');
    assert.equal(stats.inbound[0]!.packetsLost >= 0, true);
  });
});
