/**
 * One encode feeding many senders: EncodedFanout pulls raw frames from a source track, encodes each once, and
 * hands the same EncodedFrame objects to every subscriber track (aiortc encodes per peer connection, its
 * users' top CPU complaint). Subscribers are pass-through tracks: `recv()` yields EncodedFrames.
 *
 * Slow subscribers do not hold the others back: each has a bounded queue; when it overflows, that subscriber
 * drops its backlog, skips delta frames until the next keyframe and asks the encoder for one.
 */
import type { AudioFrame } from './audio-frame.js';
import type { Encoder } from './codecs/codec.js';
import type { EncodedFrame } from './encoded-frame.js';
import { MediaStreamError } from './errors.js';
import { type MediaKind, MediaStreamTrack } from './track.js';
import type { VideoFrame } from './video-frame.js';

export interface EncodedFanoutOptions {
  /** Frames a subscriber may fall behind before it skips to the next keyframe (default 30). */
  maxQueue?: number;
}

export class EncodedFanout<F extends AudioFrame | VideoFrame = AudioFrame | VideoFrame> {
  private readonly subscribers = new Set<EncodedSubscriberTrack>();
  private pulling: Promise<void> | null = null;
  private ended = false;
  private readonly maxQueue: number;

  constructor(
    readonly source: MediaStreamTrack,
    readonly encoder: Encoder<F>,
    options: EncodedFanoutOptions = {},
  ) {
    this.maxQueue = options.maxQueue ?? 30;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** A new track that yields this source's encoded frames; it starts at the next keyframe. */
  subscribe(): EncodedSubscriberTrack {
    if (this.ended) throw new MediaStreamError('the source track has ended');
    const track = new EncodedSubscriberTrack(this, this.source.kind, this.maxQueue);
    this.subscribers.add(track);
    this.encoder.requestKeyframe();
    return track;
  }

  /** @internal */
  unsubscribe(track: EncodedSubscriberTrack): void {
    this.subscribers.delete(track);
  }

  /** @internal A subscriber needs more frames: pull and encode one source frame (one pull at a time). */
  pull(): Promise<void> {
    this.pulling ??= this.pullOnce().finally(() => {
      this.pulling = null;
    });
    return this.pulling;
  }

  private async pullOnce(): Promise<void> {
    let encoded: EncodedFrame[];
    try {
      const frame = await this.source.recv();
      encoded = await this.encoder.encode(frame as F);
    } catch (error) {
      this.end(error);
      return;
    }
    for (const sub of this.subscribers) for (const e of encoded) sub.deliver(e);
  }

  private end(error: unknown): void {
    this.ended = true;
    for (const sub of [...this.subscribers]) sub.sourceEnded(error);
    this.subscribers.clear();
    this.encoder.close();
  }
}

export class EncodedSubscriberTrack extends MediaStreamTrack {
  private readonly queue: EncodedFrame[] = [];
  private waitingForKeyframe = true;
  private failure: unknown = null;
  /** Frames skipped because this subscriber fell behind or joined between keyframes. */
  framesSkipped = 0;

  constructor(
    private readonly fanout: EncodedFanout,
    private readonly mediaKind: MediaKind,
    private readonly maxQueue: number,
  ) {
    super();
  }

  override get kind(): MediaKind {
    return this.mediaKind;
  }

  /** Ask for a keyframe (e.g. on a PLI from this subscriber's peer); every subscriber receives it. */
  requestKeyframe(): void {
    this.fanout.encoder.requestKeyframe();
  }

  async recv(): Promise<EncodedFrame> {
    for (;;) {
      this.assertLive();
      const next = this.queue.shift();
      if (next) return next;
      if (this.failure) {
        this.stop();
        throw this.failure;
      }
      await this.fanout.pull();
    }
  }

  override stop(): void {
    this.fanout.unsubscribe(this);
    super.stop();
  }

  /** @internal */
  deliver(frame: EncodedFrame): void {
    if (this.waitingForKeyframe && frame.kind === 'video' && !frame.keyframe) {
      this.framesSkipped++;
      return;
    }
    this.waitingForKeyframe = false;
    if (this.queue.length >= this.maxQueue) {
      this.framesSkipped += this.queue.length;
      this.queue.length = 0;
      if (frame.kind === 'video') {
        this.waitingForKeyframe = !frame.keyframe;
        if (this.waitingForKeyframe) {
          this.framesSkipped++;
          this.fanout.encoder.requestKeyframe();
          return;
        }
      }
    }
    this.queue.push(frame);
  }

  /** @internal */
  sourceEnded(error: unknown): void {
    this.failure =
      error instanceof MediaStreamError ? error : new MediaStreamError(`source failed: ${String(error)}`);
    if (this.queue.length === 0) this.stop();
  }
}
