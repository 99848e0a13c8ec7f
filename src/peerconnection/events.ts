/** The peer connection's event classes (W3C). */
import type { RTCIceCandidate } from '../ice/candidate.js';
import type { MediaStream } from '../media/media-stream.js';
import type { MediaStreamTrack } from '../media/track.js';
import type { RTCRtpReceiver, RTCRtpTransceiver } from './transceiver.js';

export class RTCPeerConnectionIceEvent extends Event {
  readonly candidate: RTCIceCandidate | null;
  readonly url: string | null;
  constructor(type: 'icecandidate', init: { candidate: RTCIceCandidate | null; url?: string | null }) {
    super(type);
    this.candidate = init.candidate;
    this.url = init.url ?? null;
  }
}

export class RTCTrackEvent extends Event {
  readonly receiver: RTCRtpReceiver;
  readonly track: MediaStreamTrack;
  readonly streams: readonly MediaStream[];
  readonly transceiver: RTCRtpTransceiver;
  constructor(
    type: 'track',
    init: {
      receiver: RTCRtpReceiver;
      track: MediaStreamTrack;
      streams?: MediaStream[];
      transceiver: RTCRtpTransceiver;
    },
  ) {
    super(type);
    this.receiver = init.receiver;
    this.track = init.track;
    this.streams = init.streams ?? [];
    this.transceiver = init.transceiver;
  }
}
