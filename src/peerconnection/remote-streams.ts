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
  /** Every receiver the description feeds: its track's streams follow the section's a=msid. */
  readonly fed: readonly RTCRtpTransceiver[];
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
      this.associate(t.receiver.track, undefined);
    }
    const streamsOf = new Map<RTCRtpTransceiver, MediaStream[]>();
    for (const t of changes.fed) {
      streamsOf.set(
        t,
        this.associate(
          t.receiver.track,
          remote.media.find((m) => m.mid === t.mid),
        ),
      );
    }
    return changes.started.map((t) => {
      const track = t.receiver.track;
      const streams = streamsOf.get(t) ?? [];
      return new RTCTrackEvent('track', { receiver: t.receiver, track, streams, transceiver: t });
    });
  }

  /**
   * W3C "set the associated remote streams": `track` is in exactly the streams the section names (none for
   * msid `-`, or without a section), created on first sight; it leaves the others.
   */
  associate(track: MediaStreamTrack, section: MediaSection | undefined): MediaStream[] {
    const ids = new Set((section?.msids ?? []).map((m) => m.streamId).filter((id) => id !== '-'));
    for (const stream of this.byId.values()) {
      if (!ids.has(stream.id) && stream.getTracks().includes(track)) stream.removeTrack(track);
    }
    return [...ids].map((id) => {
      let stream = this.byId.get(id);
      if (!stream) {
        stream = new MediaStream(id);
        this.byId.set(id, stream);
      }
      if (!stream.getTracks().includes(track)) stream.addTrack(track);
      return stream;
    });
  }
}
