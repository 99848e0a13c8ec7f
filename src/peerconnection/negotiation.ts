/**
 * Builds our offers and answers as SDP models (src/sdp) from the peer connection's state, and reads what
 * a negotiated pair of descriptions means for the transports.
 */
import type { RTCIceCandidate } from '../ice/candidate.js';
import { isRtx, rtxFor, sameCodecFormat } from '../sdp/codecs.js';
import { createAnswer } from '../sdp/jsep/answer.js';
import type { BundlePolicy } from '../sdp/jsep/bundle.js';
import { transportSectionIndex } from '../sdp/jsep/bundle.js';
import type { LocalCodec } from '../sdp/jsep/codec-negotiation.js';
import { dataChannelSection } from '../sdp/jsep/data-channel.js';
import { createOffer, type OfferSection } from '../sdp/jsep/offer.js';
import { iceParametersOf } from '../sdp/jsep/transport.js';
import type {
  Codec,
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
import type { RTCRtpSender, RTCRtpTransceiver } from './transceiver.js';

export interface LocalTransportInfo {
  usernameFragment: string;
  password: string;
  fingerprints: Fingerprint[];
  /** The DTLS role of a running transport (a re-answer keeps it). */
  dtlsRole?: 'client' | 'server' | undefined;
}

/** One m-line as we track it across negotiations: its mid and what it carries. */
export type SectionSlot =
  | { mid: string; kind: 'audio' | 'video'; transceiver: RTCRtpTransceiver }
  | { mid: string; kind: 'application' };

/** Our codecs for a kind, in the order and subset of setCodecPreferences (all of them without preferences). */
export function codecsFor(
  kind: 'audio' | 'video',
  preferences: readonly RTCRtpCodecCapability[],
): LocalCodec[] {
  const all = kind === 'audio' ? AUDIO_CODECS : VIDEO_CODECS;
  if (preferences.length === 0) return all;
  const chosen: LocalCodec[] = [];
  for (const p of preferences) {
    const match = all.find((c) =>
      matchesCapability(kind, c.mimeType, c.clockRate, c.channels, c.parameters ?? {}, p),
    );
    if (match && !chosen.includes(match)) chosen.push(match);
  }
  return chosen;
}

/**
 * Does a codec match a W3C codec capability? Mime type and clock rate, channels when both say, and the
 * fmtp when the capability has one — as a format (H.264 profile and packetization mode, VP9 profile).
 */
function matchesCapability(
  kind: 'audio' | 'video',
  mimeType: string,
  clockRate: number,
  channels: number | undefined,
  parameters: Record<string, string>,
  p: RTCRtpCodecCapability,
): boolean {
  if (mimeType.toLowerCase() !== p.mimeType.toLowerCase() || clockRate !== p.clockRate) return false;
  if (p.channels !== undefined && channels !== undefined && channels !== p.channels) return false;
  if (p.sdpFmtpLine === undefined) return true;
  const name = mimeType.slice(mimeType.indexOf('/') + 1);
  return sameCodecFormat(
    kind,
    { name, clockRate, channels, parameters },
    { name, clockRate, channels, parameters: parseFmtpLine(p.sdpFmtpLine) },
  );
}

function parseFmtpLine(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of line.split(';')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (key) out[key] = eq < 0 ? '' : part.slice(eq + 1).trim();
  }
  return out;
}

/** A section's codecs from the offer's shared list, following the transceiver's preferences. */
function preferredSubset(kind: 'audio' | 'video', preferences: readonly RTCRtpCodecCapability[]) {
  return (shared: readonly Codec[]): Codec[] => {
    if (preferences.length === 0) return [...shared];
    const out: Codec[] = [];
    const wantsRtx = preferences.some((p) => p.mimeType.toLowerCase() === `${kind}/rtx`);
    for (const p of preferences) {
      for (const c of shared) {
        if (isRtx(c) || out.includes(c)) continue;
        if (!matchesCapability(kind, `${kind}/${c.name}`, c.clockRate, c.channels, c.parameters, p)) continue;
        out.push(c);
        const rtx = wantsRtx ? rtxFor(shared, c.payloadType) : undefined;
        if (rtx) out.push(rtx);
      }
    }
    return out;
  };
}

/** The a=ssrc lines (cname, msid) and the RTX FID group of a section we send in. */
function addSenderSsrcs(section: MediaSection, sender: RTCRtpSender, trackId: string, cname: string): void {
  const rtx = section.codecs.some((c) => isRtx(c));
  const ssrcs = rtx ? [sender.ssrc, sender.rtxSsrc] : [sender.ssrc];
  if (rtx) section.ssrcGroups = [{ semantics: 'FID', ssrcs: [sender.ssrc, sender.rtxSsrc] }];
  section.ssrcs = [];
  for (const ssrc of ssrcs) {
    section.ssrcs.push({ ssrc, attribute: 'cname', value: cname });
    for (const m of section.msids) {
      section.ssrcs.push({ ssrc, attribute: 'msid', value: `${m.streamId} ${m.trackId ?? trackId}` });
    }
  }
}

/**
 * The rids a sender sends simulcast with (RFC 8853): its encodings' rids when it has several video
 * encodings, all with rids; empty for a single stream.
 */
export function simulcastRids(transceiver: RTCRtpTransceiver): string[] {
  const encodings = transceiver.sender.currentEncodings;
  if (transceiver.kind !== 'video' || encodings.length < 2) return [];
  const rids = encodings.map((e) => e.rid);
  return rids.every((r): r is string => typeof r === 'string' && r.length > 0) ? rids : [];
}

/** `a=rid:<rid> send` per layer and `a=simulcast:send a;b;c`: RID-based, no SSRCs (as Chromium writes it). */
function addSimulcast(section: MediaSection, rids: readonly string[]): void {
  section.rids = rids.map((id) => ({ id, direction: 'send' as const, payloadTypes: [], restrictions: {} }));
  section.simulcast = { send: rids.map((rid) => [{ rid, paused: false }]) };
  section.ssrcs = [];
  section.ssrcGroups = [];
}

/**
 * msid, and either a=ssrc lines or (simulcast) a=rid/a=simulcast. `offeredRecv` is the rids the remote offer
 * wants to receive (answers only): we answer with the layers we have of those; an offer that wants no
 * simulcast gets one stream.
 */
function addSenderAttributes(
  section: MediaSection,
  transceiver: RTCRtpTransceiver,
  cname: string,
  offeredRecv?: readonly string[],
): void {
  const sender = transceiver.sender;
  const d = section.direction ?? 'sendrecv';
  const sends = d === 'sendrecv' || d === 'sendonly';
  const ours = simulcastRids(transceiver);
  const rids = offeredRecv === undefined ? ours : ours.filter((r) => offeredRecv.includes(r));
  // A simulcast sender announces its layers even before it has a track (addTransceiver('video', …)).
  if (sends && rids.length > 0) addSimulcast(section, rids);
  // JSEP §5.2.1: a section that may send names its stream(s) and track even before a track is attached.
  if (!sender.track && !sends) return;
  const trackId = sender.track?.id ?? sender.senderId;
  const streams = sender.streamIds.length > 0 ? sender.streamIds : ['-'];
  section.msids = streams.map((stream) => ({ streamId: stream, trackId }));
  if (sends && rids.length === 0) addSenderSsrcs(section, sender, trackId, cname);
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
  const sections: OfferSection[] = options.slots.map((slot) => {
    const previous = previousByMid.get(slot.mid);
    if (slot.kind === 'application') return { kind: 'application', mid: slot.mid };
    const t = slot.transceiver;
    const section: OfferSection = {
      kind: slot.kind,
      mid: slot.mid,
      direction: t.direction === 'stopped' ? 'inactive' : t.direction,
      rejected: t.stopped,
      selectCodecs: preferredSubset(slot.kind, t.codecPreferences),
    };
    if (previous) section.previous = previous;
    return section;
  });
  const offer = createOffer({
    sessionId: options.sessionId,
    sessionVersion: options.sessionVersion,
    iceUfrag: options.transport.usernameFragment,
    icePwd: options.transport.password,
    fingerprints: options.transport.fingerprints,
    codecs: { audio: AUDIO_CODECS, video: VIDEO_CODECS },
    headerExtensions: { audio: AUDIO_HEADER_EXTENSIONS, video: VIDEO_HEADER_EXTENSIONS },
    sections,
    bundlePolicy: options.bundlePolicy,
    initial: options.previous === undefined,
    maxMessageSize: options.maxMessageSize,
  });
  offer.media.forEach((section, i) => {
    const slot = options.slots[i];
    if (slot && slot.kind !== 'application' && !slot.transceiver.stopped)
      addSenderAttributes(section, slot.transceiver, options.cname);
  });
  return offer;
}

export function buildAnswer(options: {
  sessionId: string;
  sessionVersion: string;
  offer: SessionDescription;
  transport: LocalTransportInfo;
  maxMessageSize: number;
  cname: string;
  directionFor: (mid: string | undefined) => MediaDirection;
  transceiverFor: (mid: string | undefined) => RTCRtpTransceiver | undefined;
  /** The DTLS role of a running transport: a re-answer keeps it (`client` answers active, `server` passive). */
  dtlsRole?: 'client' | 'server' | undefined;
}): SessionDescription {
  const answer = createAnswer(options.offer, {
    sessionId: options.sessionId,
    sessionVersion: options.sessionVersion,
    iceUfrag: options.transport.usernameFragment,
    icePwd: options.transport.password,
    fingerprints: options.transport.fingerprints,
    codecs: { audio: AUDIO_CODECS, video: VIDEO_CODECS },
    sectionCodecs: (mid, kind) => {
      const t = options.transceiverFor(mid);
      // A stopped transceiver's section is rejected (JSEP §5.3.1): no codec is acceptable for it. When it
      // is the offerer's BUNDLE tag the whole group goes with it (RFC 8843 §7.3.3), data included.
      if (t?.stopped) return [];
      if (!t || t.codecPreferences.length === 0) return undefined;
      return t.kind === kind ? codecsFor(t.kind, t.codecPreferences) : undefined;
    },
    headerExtensions: { audio: AUDIO_HEADER_EXTENSIONS, video: VIDEO_HEADER_EXTENSIONS },
    localDirection: (mid) => options.directionFor(mid),
    ...(options.dtlsRole ? { preferredSetup: options.dtlsRole === 'client' ? 'active' : 'passive' } : {}),
    maxMessageSize: options.maxMessageSize,
  });
  answer.extmapAllowMixed = true;
  for (const section of answer.media) {
    const t = options.transceiverFor(section.mid);
    if (!t || section.port === 0) continue;
    const offered = options.offer.media.find((m) => m.mid === section.mid);
    const recv = offered?.simulcast?.recv?.flatMap((alts) => alts.filter((a) => !a.paused).map((a) => a.rid));
    const offeredRecvRids = (recv ?? []).filter((rid) =>
      offered?.rids.some((r) => r.id === rid && r.direction === 'recv'),
    );
    addSenderAttributes(section, t, options.cname, offeredRecvRids);
  }
  return answer;
}

/** The candidates one section of our description lists, or undefined when it carries no transport. */
export type SectionCandidates = (
  mid: string,
) => { candidates: readonly RTCIceCandidate[]; complete: boolean } | undefined;

/**
 * Put our gathered candidates (and end-of-candidates when gathering is done) into the sections that carry
 * a transport: each section outside a BUNDLE group and each group's tag lists its own transport's
 * candidates (in an initial offer every section that is not bundle-only has a transport of its own, JSEP
 * §5.2.1); the other sections of a group list none. Returns a new description; `desc` is not changed.
 */
export function withCandidates(
  desc: SessionDescription,
  candidatesOf: SectionCandidates,
): SessionDescription {
  // A copy of the description and its sections only: the fields below are replaced, never mutated in place,
  // so nested data is shared with `desc` (a structuredClone of the whole description cost ~0.1 ms a call).
  const out: SessionDescription = { ...desc, media: desc.media.map((section) => ({ ...section })) };
  for (const section of out.media) {
    if ((section.port === 0 && !section.bundleOnly) || section.mid === undefined) continue;
    const found = candidatesOf(section.mid);
    if (!found) continue;
    const lines: SdpCandidate[] = found.candidates
      .filter((c) => c.parsed)
      .map((c) => ({ ...c.parsed!, extensions: [] }));
    section.candidates = lines;
    section.endOfCandidates = found.complete;
    if (lines.length > 0 && section.port === 9) {
      const first = lines[0]!;
      section.port = first.port;
      section.connection = {
        netType: 'IN',
        addrType: first.address.includes(':') ? 'IP6' : 'IP4',
        address: first.address,
      };
    }
  }
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
): { mid: string; remotePort: number; remoteMaxMessageSize: number } | undefined {
  // A bundle-only section (port 0 in a max-bundle offer) is in use, not rejected.
  const l = local.media.find((m) => m.kind === 'application' && (m.port !== 0 || m.bundleOnly));
  const r = remote.media.find(
    (m) => m.kind === 'application' && m.mid === l?.mid && (m.port !== 0 || m.bundleOnly),
  );
  if (!l || !r || l.mid === undefined) return undefined;
  const info = dataChannelSection(r);
  if (!info) return undefined;
  return { mid: l.mid, remotePort: info.sctpPort, remoteMaxMessageSize: info.maxMessageSize };
}
