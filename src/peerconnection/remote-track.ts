/**
 * The track an RTCRtpReceiver hands to the application: frames are pushed in by the receive path and pulled
 * with `recv()` (aiortc's RemoteStreamTrack). Ending the track rejects waiting and later `recv()` calls
 * with MediaStreamError. The queue is bounded: when the application does not pull, the oldest frames go.
 */
import { MediaStreamError } from '../media/errors.js';
import { type MediaFrame, type MediaKind, MediaStreamTrack } from '../media/track.js';

const MAX_QUEUED = 64;

export class RemoteStreamTrack extends MediaStreamTrack {
  private readonly trackKind: MediaKind;
  private readonly queue: MediaFrame[] = [];
  private readonly waiters: { resolve: (f: MediaFrame) => void; reject: (e: Error) => void }[] = [];
  /** Frames dropped because the application pulled too slowly. */
  droppedFrames = 0;
  /** @internal Called once, at the first `recv()`: the receive path decodes only for tracks someone reads. */
  onDemand: (() => void) | undefined;
  private demandedFlag = false;

  constructor(kind: 'audio' | 'video', id?: string) {
    super(id === undefined ? {} : { id });
    this.trackKind = kind;
    // W3C: a remote track is muted until media arrives (the receive path calls setRemoteMuted(false)).
    this.setMuted(true);
    this.addEventListener('ended', () => {
      for (const w of this.waiters.splice(0))
        w.reject(new MediaStreamError(`${kind} track ${this.id} has ended`));
    });
  }

  override get kind(): MediaKind {
    return this.trackKind;
  }

  /** @internal Someone has read (or is reading) this track. */
  get demanded(): boolean {
    return this.demandedFlag;
  }

  recv(): Promise<MediaFrame> {
    if (!this.demandedFlag) {
      this.demandedFlag = true;
      this.onDemand?.();
    }
    if (this.readyState !== 'live') {
      return Promise.reject(new MediaStreamError(`${this.trackKind} track ${this.id} has ended`));
    }
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * @internal Media started (`false`) or stopped (`true`) arriving for this track: `muted` changes and
   * `unmute`/`mute` fires. The receive path calls it when the first packet arrives; a remote description
   * that stops the peer sending calls it with `true`.
   */
  setRemoteMuted(muted: boolean): void {
    if (this.readyState === 'live') this.setMuted(muted);
  }

  /** @internal The receive path delivers a decoded or encoded frame. */
  pushFrame(frame: MediaFrame): void {
    if (this.readyState !== 'live') return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(frame);
      return;
    }
    this.queue.push(frame);
    if (this.queue.length > MAX_QUEUED) {
      this.queue.shift();
      this.droppedFrames++;
    }
  }
}
