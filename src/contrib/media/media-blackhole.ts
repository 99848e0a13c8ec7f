/**
 * MediaBlackhole (aiortc's): consumes tracks and discards their frames, so that a remote track nobody renders
 * does not queue frames. `stop()` stops consuming; the tracks themselves are left as they are (aiortc's
 * behaviour): stop them to end them.
 */
import { createLogger } from '../../common/logger.js';
import { MediaStreamError } from '../../media/errors.js';
import type { MediaStreamTrack } from '../../media/track.js';

const log = createLogger('media:blackhole');

export class MediaBlackhole {
  private readonly tracks = new Set<MediaStreamTrack>();
  /** The consuming loop of each track, by a token that stop() invalidates. */
  private readonly running = new Map<MediaStreamTrack, object>();
  private started = false;
  /** Frames received and discarded, all tracks together. */
  framesDiscarded = 0;

  /** Consume this track too (at once if already started). */
  addTrack(track: MediaStreamTrack): void {
    this.tracks.add(track);
    if (this.started) this.consume(track);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const track of this.tracks) this.consume(track);
  }

  /** Stop consuming; resolves at once (a recv() in flight completes in the background and is discarded). */
  async stop(): Promise<void> {
    this.started = false;
    this.running.clear();
  }

  private consume(track: MediaStreamTrack): void {
    if (this.running.has(track)) return;
    const token = {};
    this.running.set(track, token);
    void (async () => {
      while (this.running.get(track) === token) {
        try {
          await track.recv();
          if (this.running.get(track) === token) this.framesDiscarded++;
        } catch (error) {
          if (!(error instanceof MediaStreamError)) log.warn(`${track.kind} track failed: ${String(error)}`);
          break;
        }
      }
      if (this.running.get(track) === token) this.running.delete(track);
    })();
  }
}
