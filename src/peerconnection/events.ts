/** The peer connection's event classes (W3C) and its event handler attributes. */
import { type EventHandler, RtcEventTarget } from '../common/events.js';
import type { RTCDataChannelEvent } from '../datachannel/sctp-transport.js';
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

export interface PeerConnectionEventMap {
  icecandidate: RTCPeerConnectionIceEvent;
  icecandidateerror: Event;
  icegatheringstatechange: Event;
  iceconnectionstatechange: Event;
  connectionstatechange: Event;
  signalingstatechange: Event;
  negotiationneeded: Event;
  track: RTCTrackEvent;
  datachannel: RTCDataChannelEvent;
}

/** The `on<event>` attributes of RTCPeerConnection (W3C event handler IDL attributes). */
export abstract class PeerConnectionEventTarget extends RtcEventTarget<PeerConnectionEventMap> {
  get onicecandidate(): EventHandler<RTCPeerConnectionIceEvent> {
    return this.getHandler('icecandidate');
  }
  set onicecandidate(h: EventHandler<RTCPeerConnectionIceEvent>) {
    this.setHandler('icecandidate', h);
  }
  get onicecandidateerror(): EventHandler<Event> {
    return this.getHandler('icecandidateerror');
  }
  set onicecandidateerror(h: EventHandler<Event>) {
    this.setHandler('icecandidateerror', h);
  }
  get onicegatheringstatechange(): EventHandler<Event> {
    return this.getHandler('icegatheringstatechange');
  }
  set onicegatheringstatechange(h: EventHandler<Event>) {
    this.setHandler('icegatheringstatechange', h);
  }
  get oniceconnectionstatechange(): EventHandler<Event> {
    return this.getHandler('iceconnectionstatechange');
  }
  set oniceconnectionstatechange(h: EventHandler<Event>) {
    this.setHandler('iceconnectionstatechange', h);
  }
  get onconnectionstatechange(): EventHandler<Event> {
    return this.getHandler('connectionstatechange');
  }
  set onconnectionstatechange(h: EventHandler<Event>) {
    this.setHandler('connectionstatechange', h);
  }
  get onsignalingstatechange(): EventHandler<Event> {
    return this.getHandler('signalingstatechange');
  }
  set onsignalingstatechange(h: EventHandler<Event>) {
    this.setHandler('signalingstatechange', h);
  }
  get onnegotiationneeded(): EventHandler<Event> {
    return this.getHandler('negotiationneeded');
  }
  set onnegotiationneeded(h: EventHandler<Event>) {
    this.setHandler('negotiationneeded', h);
  }
  get ontrack(): EventHandler<RTCTrackEvent> {
    return this.getHandler('track');
  }
  set ontrack(h: EventHandler<RTCTrackEvent>) {
    this.setHandler('track', h);
  }
  get ondatachannel(): EventHandler<RTCDataChannelEvent> {
    return this.getHandler('datachannel');
  }
  set ondatachannel(h: EventHandler<RTCDataChannelEvent>) {
    this.setHandler('datachannel', h);
  }
}
