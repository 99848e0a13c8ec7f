/**
 * FrameDecoder's chain of decodes when one frame's decode fails: the frame is dropped and counted as a decode
 * error, the frames behind it still decode and reach the track, and no rejection is left unhandled. The codec
 * is the real G.711 decoder behind a thin wrapper that fails once (the pipeline's handling is under test, and
 * no real decoder fails on demand).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AudioFrame } from '../../src/media/audio-frame.js';
import type { Decoder, DecoderStats } from '../../src/media/codecs/codec.js';
import { G711Decoder } from '../../src/media/codecs/g711.js';
import { EncodedFrame } from '../../src/media/encoded-frame.js';
import { Fraction } from '../../src/media/time-base.js';
import type { Clock } from '../../src/net/clock.js';
import { FrameDecoder } from '../../src/peerconnection/frame-decoder.js';
import { RemoteStreamTrack } from '../../src/peerconnection/remote-track.js';

const clock: Clock = { now: () => 0, wallTime: () => 0 };

/** 20 ms of PCMU at 8 kHz. */
function pcmuFrame(pts: number): EncodedFrame {
  return new EncodedFrame('pcmu', new Uint8Array(160).fill(0x55), pts, new Fraction(1, 8000), true);
}

/** The real G.711 decoder; its first decode() rejects, or its stats throw once, as `failure` says. */
class FailingOnceDecoder implements Decoder<AudioFrame> {
  readonly codec = 'pcmu';
  readonly kind = 'audio';
  readonly keyframeNeeded = false;
  private readonly real = new G711Decoder('pcmu');
  private failed = false;

  constructor(private readonly failure: 'decode-rejects' | 'stats-throw') {}

  get stats(): DecoderStats {
    if (this.failure === 'stats-throw' && !this.failed) {
      this.failed = true;
      throw new Error('decoder state is gone');
    }
    return this.real.stats;
  }

  decode(frame: EncodedFrame): Promise<AudioFrame[]> {
    if (this.failure === 'decode-rejects' && !this.failed) {
      this.failed = true;
      return Promise.reject(new Error('decoder lost its state'));
    }
    return this.real.decode(frame);
  }

  close(): void {}
}

/** `promise`, or a message naming what did not happen within 5 s. */
function within<T>(promise: Promise<T>, what: string, timers: NodeJS.Timeout[]): Promise<T | string> {
  return Promise.race([
    promise,
    new Promise<string>((resolve) => {
      timers.push(setTimeout(() => resolve(`${what} not within 5 s`), 5000));
    }),
  ]);
}

describe('FrameDecoder when a decode fails', () => {
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  const timers: NodeJS.Timeout[] = [];
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    for (const t of timers.splice(0)) clearTimeout(t);
  });

  for (const failure of ['decode-rejects', 'stats-throw'] as const) {
    it(`${failure}: the frame is counted as a decode error, the next one decodes, nothing is unhandled`, async () => {
      const track = new RemoteStreamTrack('audio');
      const decoder = new FrameDecoder(
        'audio',
        track,
        clock,
        () => undefined,
        () => new FailingOnceDecoder(failure),
      );
      try {
        decoder.push(pcmuFrame(0), 0);
        decoder.push(pcmuFrame(160), 0);
        const next = await within(track.recv(), 'the frame after the failed one', timers);
        assert.ok(next instanceof AudioFrame, String(next));
        assert.equal(next.pts, 160);
        assert.equal(next.samples, 160);
        // Unhandled rejections are reported when the microtask queue drains: one macrotask turn lets it run.
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(unhandled, []);
        assert.equal(decoder.stats.decodeErrors, 1);
        assert.equal(decoder.stats.framesDropped, 1);
        assert.equal(decoder.stats.framesDecoded, 1);
      } finally {
        decoder.close();
        track.stop();
      }
    });
  }
});
