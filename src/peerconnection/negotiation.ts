/**
 * Builds our offers and answers as SDP models (src/sdp) from the peer connection's state, and reads what
 * a negotiated pair of descriptions means for the transports.
 */
import type { RTCIceCandidate } from '../ice/candidate.js';
import { createAnswer } from '../sdp/jsep/answer.js';
import type { BundlePolicy } from '../sdp/jsep/bundle.js';
import { transportSectionIndex } from '../sdp/jsep/bundle.js';
import type { LocalCodec } from '../sdp/jsep/codec-negotiation.js';
import { dataChannelSection } from '../sdp/jsep/data-channel.js';
import { createOffer, type OfferSection } from '../sdp/jsep/offer.js';
import { iceParametersOf } from '../sdp/jsep/transport.js';
import type {
  Fingerprint,
  MediaDirection,
  MediaSection,
  SdpCandidate,
  SessionDescription,
} from '../sdp/types.js';
import {
  AUDIO_CODECS,
  AUDIO_HEADER_EXTENSIONS,
  type RTCRtpCodecCapability,
  VIDEO_CODECS,
  VIDEO_HEADER_EXTENSIONS,
} from './capabilities.js';
import type { RTCRtpTransceiver } from './transceiver.js';

export interface LocalTransportInfo {
  usernameFragment: string;
  password: string;
  fingerprints: Fingerprint[];
}

/** One m-line as we track it across negotiations: its mid and what it carries. */
export type SectionSlot =
  | { mid: string; kind: 'audio' | 'video'; transceiver: RTCRtpTransceiver }
  | { mid: string; kind: 'application' };

function codecsFor(kind: 'audio' | 'video', preferences: readonly RTCRtpCodecCapability[]): LocalCodec[] {
  const all = kind === 'audio' ? AUDIO_CODECS : VIDEO_CODECS;
  if (preferences.length === 0) return all;
  const chosen: LocalCodec[] = [];
  for (const p of preferences) {
    const match = all.find(
      (c) => c.mimeType.toLowerCase() === p.mimeType.toLowerCase() && c.clockRate === p.clockRate,
    );
    if (match && !chosen.includes(match)) chosen.push(match);
  }
  return chosen;
}

function addSenderAttributes(section: MediaSection, transceiver: RTCRtpTransceiver): void {
  const track = transceiver.sender.track;
  if (!track) return;
  const streams = transceiver.sender.streamIds.length > 0 ? transceiver.sender.streamIds : ['-'];
  section.msids = streams.map((stream) => ({ streamId: stream, trackId: track.id }));
}

export function buildOffer(options: {
  sessionId: string;
  sessionVersion: string;
  slots: readonly SectionSlot[];
  transport: LocalTransportInfo;
  maxMessageSize: number;
  cname: string;
  /** The last negotiated local description: its sections keep their payload types and extension ids. */
  previous: SessionDescription | undefined;
  bundlePolicy: BundlePolicy;
}): SessionDescription {
  const previousByMid = new Map((options.previous?.media ?? []).map((m) => [m.mid, m]));
  const preferences = (kind: 'audio' | 'video'): readonly RTCRtpCodecCapability[] => {
    for (const slot of options.slots) {
      if (slot.kind === kind && slot.transceiver.codecPreferences.length > 0)
        return slot.transceiver.codecPreferences;
    }
    return [];
  };
  const sections: OfferSection[] = options.slots.map((slot) => {
    const previous = previousByMid.get(slot.mid);
    if (slot.kind === 'application') return { kind: 'application', mid: slot.mid };
    const t = slot.transceiver;
    const section: OfferSection = {
      kind: slot.kind,
      mid: slot.mid,
      direction: t.direction === 'stopped' ? 'inactive' : t.direction,
      rejected: t.stopped,
    };
    if (previous) section.previous = previous;
    const track = t.sender.track;
    if (track && !t.stopped) {
      section.sender = {
        streamIds: t.sender.streamIds,
        trackId: track.id,
        cname: options.cname,
        ssrc: t.sender.ssrc,
        rtxSsrc: t.sender.rtxSsrc,
      };
    }
    return section;
  });
  return createOffer({
    sessionId: options.sessionId,
    sessionVersion: options.sessionVersion,
    iceUfrag: options.transport.usernameFragment,
    icePwd: options.transport.password,
    fingerprints: options.transport.fingerprints,
    codecs: {
      audio: codecsFor('audio', preferences('audio')),
      video: codecsFor('video', preferences('video')),
    },
    headerExtensions: { audio: AUDIO_HEADER_EXTENSIONS, video: VIDEO_HEADER_EXTENSIONS },
    sections,
    bundlePolicy: options.bundlePolicy,
    initial: options.previous === undefined,
    maxMessageSize: options.maxMessageSize,
  });
}

export function buildAnswer(options: {
  sessionId: string;
  sessionVersion: string;
  offer: SessionDescription;
  transport: LocalTransportInfo;
  maxMessageSize: number;
  directionFor: (mid: string | undefined) => MediaDirection;
  transceiverFor: (mid: string | undefined) => RTCRtpTransceiver | undefined;
}): SessionDescription {
  const answer = createAnswer(options.offer, {
    sessionId: options.sessionId,
    sessionVersion: options.sessionVersion,
    iceUfrag: options.transport.usernameFragment,
    icePwd: options.transport.password,
    fingerprints: options.transport.fingerprints,
    codecs: { audio: AUDIO_CODECS, video: VIDEO_CODECS },
    headerExtensions: { audio: AUDIO_HEADER_EXTENSIONS, video: VIDEO_HEADER_EXTENSIONS },
    localDirection: (mid) => options.directionFor(mid),
    maxMessageSize: options.maxMessageSize,
  });
  answer.extmapAllowMixed = true;
  for (const section of answer.media) {
    const t = options.transceiverFor(section.mid);
    if (t && section.port !== 0) addSenderAttributes(section, t);
  }
  return answer;
}

/** Put our gathered candidates (and end-of-candidates when gathering is done) into every live section. */
export function withCandidates(
  desc: SessionDescription,
  candidates: readonly RTCIceCandidate[],
  complete: boolean,
): SessionDescription {
  const out = structuredClone(desc);
  const lines: SdpCandidate[] = candidates
    .filter((c) => c.parsed)
    .map((c) => ({ ...c.parsed!, extensions: [] }));
  out.media.forEach((section, i) => {
    if (section.port === 0 && !section.bundleOnly) return;
    if (transportSectionIndex(out, i) !== i) return; // bundled sections share the tagged section's candidates
    section.candidates = lines.map((l) => ({ ...l }));
    section.endOfCandidates = complete;
    if (lines.length > 0 && section.port === 9) {
      const first = lines[0]!;
      section.port = first.port;
      section.connection = {
        netType: 'IN',
        addrType: first.address.includes(':') ? 'IP6' : 'IP4',
        address: first.address,
      };
    }
  });
  return out;
}

/** The section carrying the transport for the session (the BUNDLE tag, or the first live section). */
export function transportSection(desc: SessionDescription): MediaSection | undefined {
  for (let i = 0; i < desc.media.length; i++) {
    const owner = transportSectionIndex(desc, i);
    const s = owner === undefined ? undefined : desc.media[owner];
    if (s && s.port !== 0) return s;
  }
  return desc.media.find((m) => m.bundleOnly);
}

export function remoteIceParameters(
  desc: SessionDescription,
): { usernameFragment: string; password: string; iceLite: boolean } | undefined {
  const section = transportSection(desc);
  if (!section) return undefined;
  const p = iceParametersOf(desc, section);
  return p
    ? { usernameFragment: p.usernameFragment, password: p.password, iceLite: desc.iceLite }
    : undefined;
}

export function remoteFingerprints(desc: SessionDescription): Fingerprint[] {
  const section = transportSection(desc);
  return section && section.fingerprints.length > 0 ? section.fingerprints : desc.fingerprints;
}

export function negotiatedDataSection(
  local: SessionDescription,
  remote: SessionDescription,
): { remotePort: number; remoteMaxMessageSize: number } | undefined {
  const l = local.media.find((m) => m.kind === 'application' && m.port !== 0);
  const r = remote.media.find(
    (m) => m.kind === 'application' && m.mid === l?.mid && (m.port !== 0 || m.bundleOnly),
  );
  if (!l || !r) return undefined;
  const info = dataChannelSection(r);
  if (!info) return undefined;
  return { remotePort: info.sctpPort, remoteMaxMessageSize: info.maxMessageSize };
}
