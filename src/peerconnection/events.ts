/** The peer connection's event classes (W3C) and its event handler attributes. */
import { type EventHandler, type EventInit, RtcEventTarget } from '../common/events.js';
import type { RTCDataChannelEvent } from '../datachannel/sctp-transport.js';
import { RTCIceCandidate } from '../ice/candidate.js';
import { MediaStream } from '../media/media-stream.js';
import { MediaStreamTrack } from '../media/track.js';
import { RTCRtpReceiver, RTCRtpTransceiver } from './transceiver.js';
import { toDictionary, toInterface, toNullableDOMString, toSequence } from './webidl.js';

export interface RTCPeerConnectionIceEventInit extends EventInit {
  candidate?: RTCIceCandidate | null;
  url?: string | null;
}

/** The `icecandidate` event (W3C §4.8.2); its init dictionary is converted as WebIDL does. */
export class RTCPeerConnectionIceEvent extends Event {
  readonly candidate: RTCIceCandidate | null;
  readonly url: string | null;
  constructor(type: string, eventInitDict: RTCPeerConnectionIceEventInit = {}) {
    // biome-ignore lint/complexity/noArguments: WebIDL: the type argument is required
    if (arguments.length === 0) throw new TypeError('RTCPeerConnectionIceEvent needs a type');
    const init = toDictionary(
      eventInitDict,
      'RTCPeerConnectionIceEventInit',
    ) as RTCPeerConnectionIceEventInit;
    super(type, init);
    this.candidate =
      init.candidate === undefined || init.candidate === null
        ? null
        : toInterface(init.candidate, RTCIceCandidate, 'candidate');
    this.url = toNullableDOMString(init.url, 'url');
  }
}

export interface RTCTrackEventInit extends EventInit {
  receiver: RTCRtpReceiver;
  track: MediaStreamTrack;
  streams?: MediaStream[];
  transceiver: RTCRtpTransceiver;
}

/** The `track` event (W3C §5.7); receiver, track and transceiver are required. */
export class RTCTrackEvent extends Event {
  readonly receiver: RTCRtpReceiver;
  readonly track: MediaStreamTrack;
  readonly streams: readonly MediaStream[];
  readonly transceiver: RTCRtpTransceiver;
  constructor(type: string, eventInitDict: RTCTrackEventInit) {
    const init = toDictionary(eventInitDict, 'RTCTrackEventInit') as Partial<RTCTrackEventInit>;
    // Members in WebIDL (lexicographic) order, each required one checked as it is converted.
    const receiver = required(init.receiver, RTCRtpReceiver, 'receiver');
    const streams =
      init.streams === undefined
        ? []
        : toSequence(init.streams, 'streams', (s, i) => toInterface(s, MediaStream, `streams[${i}]`));
    const track = required(init.track, MediaStreamTrack, 'track');
    const transceiver = required(init.transceiver, RTCRtpTransceiver, 'transceiver');
    super(type, init);
    this.receiver = receiver;
    this.track = track;
    this.streams = Object.freeze(streams);
    this.transceiver = transceiver;
  }
}

/**
 * tsrtc extension (no W3C equivalent; browsers expose the figure only in getStats): the connection's send-side
 * bandwidth estimate moved by 5 % or more. `availableOutgoingBitrate` is what every sender together may use,
 * the same figure as the selected candidate pair's stats.
 */
export class RTCBandwidthEstimateEvent extends Event {
  /** Bits per second for all senders together. */
  readonly availableOutgoingBitrate: number;
  /** The delay-based part (trendline detector) and the loss-based part, bits per second. */
  readonly delayBasedBitrate: number;
  readonly lossBasedBitrate: number;
  /** The sender is application-limited (sends less than the estimate allows). */
  readonly applicationLimited: boolean;

  constructor(
    type: string,
    init: {
      availableOutgoingBitrate: number;
      delayBasedBitrate: number;
      lossBasedBitrate: number;
      applicationLimited: boolean;
    },
  ) {
    super(type);
    this.availableOutgoingBitrate = init.availableOutgoingBitrate;
    this.delayBasedBitrate = init.delayBasedBitrate;
    this.lossBasedBitrate = init.lossBasedBitrate;
    this.applicationLimited = init.applicationLimited;
  }
}

function required<T>(
  value: unknown,
  ctor: { readonly prototype: T; readonly name: string },
  what: string,
): T {
  if (value === undefined) throw new TypeError(`${what} is required`);
  return toInterface(value, ctor, what);
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
  bandwidthestimate: RTCBandwidthEstimateEvent;
}

/** The `on<event>` attributes of RTCPeerConnection (W3C event handler IDL attributes). */
export abstract class PeerConnectionEventTarget extends RtcEventTarget<PeerConnectionEventMap> {
  get onicecandidate(): EventHandler<RTCPeerConnectionIceEvent> {
    return this.getHandler('icecandidate');
  }
  set onicecandidate(h: EventHandler<RTCPeerConnectionIceEvent>) {
    this.setHandler('icecandidate', h);
  }
  /** tsrtc extension: see RTCBandwidthEstimateEvent. */
  get onbandwidthestimate(): EventHandler<RTCBandwidthEstimateEvent> {
    return this.getHandler('bandwidthestimate');
  }
  set onbandwidthestimate(h: EventHandler<RTCBandwidthEstimateEvent>) {
    this.setHandler('bandwidthestimate', h);
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
