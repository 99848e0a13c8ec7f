/**
 * MediaRelay (aiortc's): one source track shared by any number of consumers, each with a track of its own.
 * One reader per source pulls it when some subscriber needs a frame (nobody pulling, nothing read) and hands
 * the same frame object to every subscriber. Each subscriber has its own bounded queue: a slow one drops its
 * own oldest frames and never slows the others nor grows memory. `buffered: false` keeps only the latest frame.
 *
 * EncodedFrame sources work too (one pass-through source to many senders): a subscriber starts at a keyframe,
 * and one that overflows drops its backlog and skips delta frames to the next keyframe, so its decoder never
 * sees a broken reference chain. Stopping a subscriber leaves the source running; the source ending ends them all
 * (after each has received what it had queued).
 */
import { EncodedFrame } from '../../media/encoded-frame.js';
import { MediaStreamError } from '../../media/errors.js';
import { type MediaFrame, type MediaKind, MediaStreamTrack } from '../../media/track.js';

export interface RelaySubscribeOptions {
  /** Queue frames for a subscriber that falls behind (default true); false keeps only the latest frame. */
  buffered?: boolean;
  /** Frames a buffered subscriber may fall behind before it drops its oldest (default 30: 1 s of video). */
  maxQueue?: number;
}

const DEFAULT_MAX_QUEUE = 30;

class RelaySource {
  readonly subscribers = new Set<RelayTrack>();
  private pulling: Promise<void> | null = null;
  ended: MediaStreamError | null = null;

  constructor(readonly track: MediaStreamTrack) {}

  /** Read one frame from the source for everyone (one read at a time, however many subscribers wait). */
  pull(): Promise<void> {
    this.pulling ??= this.pullOnce().finally(() => {
      this.pulling = null;
    });
    return this.pulling;
  }

  remove(subscriber: RelayTrack): void {
    this.subscribers.delete(subscriber);
  }

  private async pullOnce(): Promise<void> {
    let frame: MediaFrame;
    try {
      frame = await this.track.recv();
    } catch (error) {
      this.ended =
        error instanceof MediaStreamError
          ? error
          : new MediaStreamError(`relayed ${this.track.kind} track failed: ${String(error)}`);
      for (const sub of [...this.subscribers]) sub.sourceEnded();
      return;
    }
    for (const sub of this.subscribers) sub.deliver(frame);
  }
}

export class RelayTrack extends MediaStreamTrack {
  private readonly queue: MediaFrame[] = [];
  private waitingForKeyframe = true;
  /** Frames this subscriber dropped because it fell behind (or joined between keyframes). */
  framesDropped = 0;

  /** @internal created by MediaRelay.subscribe */
  constructor(
    private readonly source: RelaySource,
    private readonly buffered: boolean,
    private readonly maxQueue: number,
  ) {
    super({ label: source.track.label });
  }

  override get kind(): MediaKind {
    return this.source.track.kind;
  }

  async recv(): Promise<MediaFrame> {
    for (;;) {
      this.assertLive();
      const next = this.queue.shift();
      if (next) return next;
      if (this.source.ended) {
        this.stop();
        throw this.source.ended;
      }
      await this.source.pull();
    }
  }

  /** Unsubscribe; the source and the other subscribers go on. */
  override stop(): void {
    if (this.readyState === 'ended') return;
    this.queue.length = 0;
    this.source.remove(this);
    super.stop();
  }

  /** @internal */
  deliver(frame: MediaFrame): void {
    const encodedVideo = frame instanceof EncodedFrame && frame.kind === 'video';
    if (encodedVideo && this.waitingForKeyframe && !frame.keyframe) {
      this.framesDropped++;
      return;
    }
    this.waitingForKeyframe = false;
    if (!this.buffered) {
      // Latest only; for encoded video a delta frame cannot replace an undelivered one without breaking the chain.
      if (encodedVideo && this.queue.length && !frame.keyframe) {
        this.framesDropped += this.queue.length + 1;
        this.queue.length = 0;
        this.waitingForKeyframe = true;
        return;
      }
      this.framesDropped += this.queue.length;
      this.queue.length = 0;
      this.queue.push(frame);
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      if (encodedVideo) {
        this.framesDropped += this.queue.length;
        this.queue.length = 0;
        if (!frame.keyframe) {
          this.framesDropped++;
          this.waitingForKeyframe = true;
          return;
        }
      } else {
        this.queue.shift();
        this.framesDropped++;
      }
    }
    this.queue.push(frame);
  }

  /** @internal the source ended: what is queued is still delivered, then recv() throws. */
  sourceEnded(): void {
    if (this.queue.length === 0) this.stop();
  }
}

export class MediaRelay {
  /** One reader per source track; weak, so a relay never keeps a dropped track alive. */
  private readonly sources = new WeakMap<MediaStreamTrack, RelaySource>();

  /** A new track that receives `track`'s frames (the same frame objects every subscriber gets). */
  subscribe(track: MediaStreamTrack, options: RelaySubscribeOptions = {}): RelayTrack {
    let source = this.sources.get(track);
    if (!source || source.ended) {
      if (track.readyState === 'ended')
        throw new MediaStreamError(`the ${track.kind} track ${track.id} has ended`);
      source = new RelaySource(track);
      this.sources.set(track, source);
    }
    const maxQueue = Math.max(1, options.maxQueue ?? DEFAULT_MAX_QUEUE);
    const subscriber = new RelayTrack(source, options.buffered ?? true, maxQueue);
    source.subscribers.add(subscriber);
    return subscriber;
  }
}
