/**
 * The MediaStreams of the peer (W3C "set the associated remote streams"): one object per remote stream id
 * (a=msid), shared by every track the peer puts in it, so `ontrack`'s `streams` compare equal across tracks.
 */
import { MediaStream } from '../media/media-stream.js';
import type { MediaStreamTrack } from '../media/track.js';
import type { MediaSection, SessionDescription } from '../sdp/types.js';
import { RTCTrackEvent } from './events.js';
import type { RTCRtpTransceiver } from './transceiver.js';

/** What a remote description changes for the receivers (TransceiverSet.remoteTrackChanges). */
export interface RemoteTrackChanges {
  /** Newly fed receivers: their `track` event is due. */
  readonly started: readonly RTCRtpTransceiver[];
  /** Receivers no longer fed: their track is muted and leaves its streams. */
  readonly stopped: readonly RTCRtpTransceiver[];
}

export class RemoteStreams {
  private readonly byId = new Map<string, MediaStream>();

  /**
   * W3C "process remote tracks": tracks no longer fed are muted and leave their streams; newly fed ones join
   * the streams their section names. Returns the `track` events to fire, in order.
   */
  process(changes: RemoteTrackChanges, remote: SessionDescription): RTCTrackEvent[] {
    for (const t of changes.stopped) {
      t.receiver.track.setRemoteMuted(true);
      this.dissociate(t.receiver.track);
    }
    return changes.started.map((t) => {
      const track = t.receiver.track;
      const streams = this.associate(
        track,
        remote.media.find((m) => m.mid === t.mid),
      );
      return new RTCTrackEvent('track', { receiver: t.receiver, track, streams, transceiver: t });
    });
  }

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
