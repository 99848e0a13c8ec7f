/** MediaStream (W3C): a set of tracks under one id, as `addTrack(track, stream)` and `ontrack` use it. */
import { uuid } from '../common/random.js';
import type { MediaStreamTrack } from './track.js';

export class MediaStream {
  readonly id: string;
  private readonly tracks = new Map<string, MediaStreamTrack>();

  constructor(tracksOrId?: readonly MediaStreamTrack[] | string) {
    this.id = typeof tracksOrId === 'string' ? tracksOrId : uuid();
    if (Array.isArray(tracksOrId)) for (const t of tracksOrId) this.addTrack(t);
  }

  /** True while at least one track is live. */
  get active(): boolean {
    return [...this.tracks.values()].some((t) => t.readyState === 'live');
  }

  addTrack(track: MediaStreamTrack): void {
    this.tracks.set(track.id, track);
  }

  removeTrack(track: MediaStreamTrack): void {
    this.tracks.delete(track.id);
  }

  getTrackById(id: string): MediaStreamTrack | null {
    return this.tracks.get(id) ?? null;
  }

  getTracks(): MediaStreamTrack[] {
    return [...this.tracks.values()];
  }

  getAudioTracks(): MediaStreamTrack[] {
    return this.getTracks().filter((t) => t.kind === 'audio');
  }

  getVideoTracks(): MediaStreamTrack[] {
    return this.getTracks().filter((t) => t.kind === 'video');
  }
}
