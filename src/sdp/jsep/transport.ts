/**
 * Per-section transport attributes with the session-level fallback RFC 8839 §5.4 and RFC 8842 §5 allow:
 * ICE credentials and options, fingerprints, `setup`, and candidates in and out of a description.
 */
import { parseSdpCandidate } from '../attributes.js';
import type { Fingerprint, MediaSection, SdpCandidate, SessionDescription, SetupRole } from '../types.js';
import { writeCandidateLine } from '../write.js';

export interface SdpIceParameters {
  usernameFragment: string;
  password: string;
  iceLite: boolean;
  /** `ice-options` tokens (`trickle`, `ice2`, …). */
  options: string[];
}

/** The section by mid, or undefined. */
export function sectionByMid(desc: SessionDescription, mid: string): MediaSection | undefined {
  return desc.media.find((m) => m.mid === mid);
}

/** The section a W3C candidate addresses: by `sdpMid` first, else by `sdpMLineIndex` (RFC 8829 §5.8). */
export function sectionIndexFor(
  desc: SessionDescription,
  target: { sdpMid?: string | null; sdpMLineIndex?: number | null },
): number | undefined {
  if (target.sdpMid !== undefined && target.sdpMid !== null) {
    const i = desc.media.findIndex((m) => m.mid === target.sdpMid);
    return i >= 0 ? i : undefined;
  }
  const index = target.sdpMLineIndex;
  if (index === undefined || index === null || !Number.isInteger(index)) return undefined;
  return index >= 0 && index < desc.media.length ? index : undefined;
}

/** ICE parameters of a section, falling back to the session level; undefined when ufrag or pwd is missing. */
export function iceParametersOf(
  desc: SessionDescription,
  section: MediaSection,
): SdpIceParameters | undefined {
  const usernameFragment = section.iceUfrag ?? desc.iceUfrag;
  const password = section.icePwd ?? desc.icePwd;
  if (usernameFragment === undefined || password === undefined) return undefined;
  return {
    usernameFragment,
    password,
    iceLite: desc.iceLite,
    options: section.iceOptions ?? desc.iceOptions ?? [],
  };
}

/** Write ICE parameters into a section (media level, as browsers do); `ice-lite` goes to the session. */
export function setIceParameters(
  desc: SessionDescription,
  section: MediaSection,
  params: { usernameFragment: string; password: string; iceLite?: boolean; options?: string[] },
): void {
  section.iceUfrag = params.usernameFragment;
  section.icePwd = params.password;
  if (params.options !== undefined) section.iceOptions = [...params.options];
  if (params.iceLite !== undefined) desc.iceLite = params.iceLite;
}

/** True when the peer said it can take trickled candidates (`a=ice-options:trickle`). */
export function supportsTrickle(desc: SessionDescription, section?: MediaSection): boolean {
  const options = section?.iceOptions ?? desc.iceOptions ?? desc.media.find((m) => m.iceOptions)?.iceOptions;
  return options?.includes('trickle') ?? false;
}

/** Fingerprints of a section, else the session's (RFC 8122 §5: media level wins). */
export function fingerprintsOf(desc: SessionDescription, section: MediaSection): Fingerprint[] {
  return section.fingerprints.length > 0 ? section.fingerprints : desc.fingerprints;
}

/** `setup` of a section, else the session's. */
export function setupOf(desc: SessionDescription, section: MediaSection): SetupRole | undefined {
  return section.setup ?? desc.setup;
}

/** Normalized form for comparing fingerprints: lowercase algorithm, uppercase hex. */
export function normalizeFingerprint(f: Fingerprint): Fingerprint {
  return { algorithm: f.algorithm.toLowerCase(), value: f.value.toUpperCase() };
}

/** True when `candidate` equals one of `expected` (algorithm case-insensitive, hex case-insensitive). */
export function fingerprintMatches(candidate: Fingerprint, expected: readonly Fingerprint[]): boolean {
  const c = normalizeFingerprint(candidate);
  return expected.some((e) => {
    const n = normalizeFingerprint(e);
    return n.algorithm === c.algorithm && n.value === c.value;
  });
}

/**
 * Parse a trickled candidate string (`candidate:…` or `a=candidate:…`, as in RTCIceCandidateInit.candidate).
 * Undefined for the empty string (end of candidates) and for garbage.
 */
export function parseCandidateAttribute(text: string): SdpCandidate | undefined {
  let s = text.trim();
  if (s.startsWith('a=')) s = s.slice(2);
  if (!s.startsWith('candidate:')) return undefined;
  return parseSdpCandidate(s.slice('candidate:'.length));
}

/** The `candidate:…` text of a candidate (what RTCIceCandidate.candidate holds). */
export function candidateAttribute(c: SdpCandidate): string {
  return writeCandidateLine(c);
}

function sameCandidate(a: SdpCandidate, b: SdpCandidate): boolean {
  return (
    a.foundation === b.foundation &&
    a.componentId === b.componentId &&
    a.protocol === b.protocol &&
    a.address === b.address &&
    a.port === b.port &&
    a.type === b.type
  );
}

/** Add a candidate to a section unless it is already there; returns false for a duplicate. */
export function addCandidate(section: MediaSection, candidate: SdpCandidate): boolean {
  if (section.candidates.some((c) => sameCandidate(c, candidate))) return false;
  section.candidates.push(candidate);
  return true;
}

/**
 * Point the m-line and `c=` at a default candidate (RFC 8839 §4.2.1.1): the one to use when the peer does
 * no ICE. Browsers choose the highest-priority RTP candidate.
 */
export function setDefaultCandidate(section: MediaSection, candidate: SdpCandidate): void {
  section.port = candidate.port;
  section.connection = {
    netType: 'IN',
    addrType: candidate.address.includes(':') ? 'IP6' : 'IP4',
    address: candidate.address,
  };
}
