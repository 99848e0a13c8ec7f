/**
 * The MediaStreams of the peer (W3C "set the associated remote streams"): one object per remote stream id
 * (a=msid), shared by every track the peer puts in it, so `ontrack`'s `streams` compare equal across tracks.
 */
import { MediaStream } from '../media/media-stream.js';
import type { MediaStreamTrack } from '../media/track.js';
import type { MediaSection } from '../sdp/types.js';

export class RemoteStreams {
  private readonly byId = new Map<string, MediaStream>();

  /** The track is no longer fed: it leaves every stream it is in. */
  dissociate(track: MediaStreamTrack): void {
    for (const stream of this.byId.values())
      if (stream.getTracks().includes(track)) stream.removeTrack(track);
  }

  /** The streams a remote section puts `track` in (none for msid `-`), created on first sight. */
  associate(track: MediaStreamTrack, section: MediaSection | undefined): MediaStream[] {
    const streams: MediaStream[] = [];
    for (const msid of section?.msids ?? []) {
      if (msid.streamId === '-') continue;
      let stream = this.byId.get(msid.streamId);
      if (!stream) {
        stream = new MediaStream(msid.streamId);
        this.byId.set(msid.streamId, stream);
      }
      stream.addTrack(track);
      streams.push(stream);
    }
    return streams;
  }
}
