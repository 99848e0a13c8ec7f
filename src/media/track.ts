/**
 * MediaStreamTrack: the pull-based track of aiortc (`await track.recv()`) with the W3C surface (`id`, `kind`,
 * `label`, `enabled`, `muted`, `readyState`, `onended`) on the project's one event system.
 */
import { type EventHandler, RtcEventTarget } from '../common/events.js';
import { uuid } from '../common/random.js';
import type { AudioFrame } from './audio-frame.js';
import type { EncodedFrame } from './encoded-frame.js';
import { MediaStreamError } from './errors.js';
import type { VideoFrame } from './video-frame.js';

export type MediaKind = 'audio' | 'video' | 'unknown';
export type MediaStreamTrackState = 'live' | 'ended';
/** What `recv()` yields: raw frames, or already-encoded frames for pass-through. */
export type MediaFrame = AudioFrame | VideoFrame | EncodedFrame;

export interface MediaStreamTrackEventMap {
  ended: Event;
  mute: Event;
  unmute: Event;
}

export abstract class MediaStreamTrack extends RtcEventTarget<MediaStreamTrackEventMap> {
  readonly id: string;
  label: string;
  private state: MediaStreamTrackState = 'live';
  private enabledFlag = true;
  private mutedFlag = false;

  constructor(options: { id?: string; label?: string } = {}) {
    super();
    this.id = options.id ?? uuid();
    this.label = options.label ?? '';
  }

  /** `"unknown"` on the base class; subclasses say `"audio"` or `"video"`. */
  get kind(): MediaKind {
    return 'unknown';
  }

  get readyState(): MediaStreamTrackState {
    return this.state;
  }

  /** When false, senders should send silence or black frames instead of this track's media. */
  get enabled(): boolean {
    return this.enabledFlag;
  }

  set enabled(value: boolean) {
    this.enabledFlag = value;
  }

  /** True while the source cannot provide media (set by remote tracks and sources, not by the application). */
  get muted(): boolean {
    return this.mutedFlag;
  }

  get onended(): EventHandler<Event> {
    return this.getHandler('ended');
  }
  set onended(handler: EventHandler<Event>) {
    this.setHandler('ended', handler);
  }
  get onmute(): EventHandler<Event> {
    return this.getHandler('mute');
  }
  set onmute(handler: EventHandler<Event>) {
    this.setHandler('mute', handler);
  }
  get onunmute(): EventHandler<Event> {
    return this.getHandler('unmute');
  }
  set onunmute(handler: EventHandler<Event>) {
    this.setHandler('unmute', handler);
  }

  /** The next frame; rejects with MediaStreamError once the track has ended. */
  abstract recv(): Promise<MediaFrame>;

  /** End the track. Idempotent: `ended` fires exactly once, on the first call. */
  stop(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.emit(new Event('ended') as Event & { type: 'ended' });
  }

  /** For sources and remote tracks: change `muted` and fire `mute`/`unmute` when it changes. */
  protected setMuted(muted: boolean): void {
    if (muted === this.mutedFlag) return;
    this.mutedFlag = muted;
    const type = muted ? 'mute' : 'unmute';
    this.emit(new Event(type) as Event & { type: typeof type });
  }

  /** Throws MediaStreamError when the track has ended (the check every `recv()` starts with). */
  protected assertLive(): void {
    if (this.state !== 'live') throw new MediaStreamError(`${this.kind} track ${this.id} has ended`);
  }
}
