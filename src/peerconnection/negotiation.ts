/**
 * Builds our offers and answers as SDP models (src/sdp) from the peer connection's state, and reads what
 * a negotiated pair of descriptions means for the transports.
 */
import type { RTCIceCandidate } from '../ice/candidate.js';
import { createAnswer } from '../sdp/jsep/answer.js';
import { transportSectionIndex } from '../sdp/jsep/bundle.js';
import { type LocalCodec, offerCodecs } from '../sdp/jsep/codec-negotiation.js';
import { createDataChannelSection, dataChannelSection } from '../sdp/jsep/data-channel.js';
import { offerHeaderExtensions } from '../sdp/jsep/header-extensions.js';
import { iceParametersOf } from '../sdp/jsep/transport.js';
import {
  emptyMediaSection,
  emptySession,
  type Fingerprint,
  type MediaDirection,
  type MediaSection,
  type SdpCandidate,
  type SessionDescription,
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

function addTransportAttributes(
  section: MediaSection,
  info: LocalTransportInfo,
  setup: 'actpass' | 'active' | 'passive',
): void {
  section.iceUfrag = info.usernameFragment;
  section.icePwd = info.password;
  section.iceOptions = ['trickle'];
  section.fingerprints = info.fingerprints.map((f) => ({ ...f }));
  section.setup = setup;
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
}): SessionDescription {
  const desc = emptySession(options.sessionId, options.sessionVersion);
  desc.msidSemantics = [{ semantic: 'WMS', identifiers: [] }];
  desc.extmapAllowMixed = true;
  for (const slot of options.slots) {
    let section: MediaSection;
    if (slot.kind === 'application') {
      section = createDataChannelSection({ mid: slot.mid, maxMessageSize: options.maxMessageSize });
    } else {
      const t = slot.transceiver;
      const codecs = offerCodecs(slot.kind, codecsFor(slot.kind, t.codecPreferences));
      section = emptyMediaSection(
        slot.kind,
        'UDP/TLS/RTP/SAVPF',
        codecs.map((c) => String(c.payloadType)),
      );
      section.codecs = codecs;
      section.headerExtensions = offerHeaderExtensions(
        slot.kind === 'audio' ? AUDIO_HEADER_EXTENSIONS : VIDEO_HEADER_EXTENSIONS,
      );
      section.rtcpMux = true;
      section.rtcpReducedSize = true;
      const dir = t.direction;
      section.direction = dir === 'stopped' ? 'inactive' : dir;
      if (t.stopped) section.port = 0;
      addSenderAttributes(section, t);
    }
    section.mid = slot.mid;
    section.connection = { netType: 'IN', addrType: 'IP4', address: '0.0.0.0' };
    addTransportAttributes(section, options.transport, 'actpass');
    desc.media.push(section);
  }
  const live = desc.media.filter((m) => m.port !== 0 && m.mid !== undefined).map((m) => m.mid!);
  if (live.length > 0) desc.groups = [{ semantics: 'BUNDLE', mids: live }];
  return desc;
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
