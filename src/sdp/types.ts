/**
 * The SDP model (RFC 8866 plus the WebRTC attributes of RFC 8829/8839/8842/8843/8851/8853/8841).
 * Plain data: every field is JSON-friendly, so descriptions can be cloned, compared and logged.
 * A field is `undefined` when its line was absent; lists are empty when no line was present.
 */
import type { ParsedCandidate } from '../ice/candidate.js';

export type MediaKind = 'audio' | 'video' | 'application' | (string & {});
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
/** RFC 4145 / 8842 `a=setup` values. */
export type SetupRole = 'actpass' | 'active' | 'passive' | 'holdconn';

/** `o=` (RFC 8866 §5.2). Ids are strings: browsers use 64-bit values beyond Number's exact range. */
export interface Origin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/** `c=`. `address` keeps any `/ttl/count` suffix verbatim. */
export interface ConnectionData {
  netType: string;
  addrType: string;
  address: string;
}

/** `b=<type>:<value>` (AS and CT in kbit/s, TIAS in bit/s). */
export interface Bandwidth {
  type: 'AS' | 'TIAS' | 'CT' | (string & {});
  value: number;
}

/** `t=` with the `r=` lines that follow it, verbatim. */
export interface Timing {
  start: number;
  stop: number;
  repeats: string[];
}

/** `a=group:<semantics> <mid>…` (BUNDLE, LS, FID…). */
export interface MediaGroup {
  semantics: string;
  mids: string[];
}

/** `a=msid-semantic:<semantic> <id>…` (`WMS` with `*` or stream ids). */
export interface MsidSemantic {
  semantic: string;
  identifiers: string[];
}

/** `a=fingerprint:<algorithm> <hex:hex:…>` (RFC 8122), verbatim case. */
export interface Fingerprint {
  algorithm: string;
  value: string;
}

/** An attribute this model has no field for, kept to be written back (`value` undefined for flags). */
export interface SdpAttribute {
  name: string;
  value?: string;
}

/** `a=extmap:<id>[/<direction>] <uri> [<extension attributes>]` (RFC 8285). */
export interface HeaderExtension {
  id: number;
  direction?: MediaDirection;
  uri: string;
  attributes?: string;
}

/** `a=rtcp-fb:<pt> <type> [<parameter>]` (RFC 4585), e.g. `nack pli`, `transport-cc`. */
export interface RtcpFeedback {
  type: string;
  parameter?: string;
}

/**
 * One RTP payload type: its `rtpmap`, `fmtp` (as a parameter map; a token without `=`, like RED's `111/111` or
 * telephone-event's `0-15`, maps to '') and its `rtcp-fb` lines. Static payload types without an `rtpmap`
 * line get their name and clock rate from RFC 3551.
 */
export interface Codec {
  payloadType: number;
  name: string;
  clockRate: number;
  channels?: number;
  parameters: Record<string, string>;
  feedback: RtcpFeedback[];
}

/** `a=msid:<stream id> [<track id>]` (RFC 8830); stream id `-` means "no stream". */
export interface Msid {
  streamId: string;
  trackId?: string;
}

/** `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576). */
export interface SsrcAttribute {
  ssrc: number;
  attribute: string;
  value?: string;
}

/** `a=ssrc-group:<semantics> <ssrc>…` (FID for RTX, SIM, FEC-FR). */
export interface SsrcGroup {
  semantics: string;
  ssrcs: number[];
}

/** `a=rid:<id> <send|recv> [pt=…;restriction=…]` (RFC 8851). */
export interface Rid {
  id: string;
  direction: 'send' | 'recv';
  payloadTypes: number[];
  restrictions: Record<string, string>;
}

/** One stream in `a=simulcast`: a rid, `~` marks it paused. */
export interface SimulcastStream {
  rid: string;
  paused: boolean;
}

/** `a=simulcast:send 1;2,3 recv 4` (RFC 8853): a list of streams, each a list of alternatives. */
export interface Simulcast {
  send?: SimulcastStream[][];
  recv?: SimulcastStream[][];
  /** The order the two directions were written in, so the line round-trips. */
  recvFirst?: boolean;
}

/** `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605). */
export interface RtcpAddress {
  port: number;
  netType?: string;
  addrType?: string;
  address?: string;
}

/** The legacy `a=sctpmap:<port> <protocol> [<streams>]` of draft-ietf-mmusic-sctp-sdp-05. */
export interface SctpMap {
  port: number;
  protocol: string;
  streams?: number;
}

/**
 * A candidate line: the fields `parseCandidate` (src/ice/candidate.ts) gives, plus the extension pairs it skips
 * (`generation`, `network-id`, `network-cost`, …) in their order, so the line round-trips.
 */
export interface SdpCandidate extends ParsedCandidate {
  extensions: [string, string][];
}

/** An `m=` section with everything below it. */
export interface MediaSection {
  kind: MediaKind;
  port: number;
  numberOfPorts?: number;
  protocol: string;
  /** Payload types for RTP, `webrtc-datachannel` or the SCTP port for data, verbatim. */
  formats: string[];
  information?: string;
  connection?: ConnectionData;
  bandwidths: Bandwidth[];
  encryptionKey?: string;

  mid?: string;
  direction?: MediaDirection;
  bundleOnly: boolean;
  rtcp?: RtcpAddress;
  rtcpMux: boolean;
  rtcpMuxOnly: boolean;
  rtcpReducedSize: boolean;
  /** `a=rtcp-xr:<value>` (RFC 3611), verbatim; Chromium writes `rcvr-rtt=all`. */
  rtcpXr?: string;

  iceUfrag?: string;
  icePwd?: string;
  iceOptions?: string[];
  candidates: SdpCandidate[];
  endOfCandidates: boolean;
  fingerprints: Fingerprint[];
  setup?: SetupRole;

  extmapAllowMixed: boolean;
  headerExtensions: HeaderExtension[];
  codecs: Codec[];
  /** `a=rtcp-fb:* …`: feedback that applies to every payload type. */
  wildcardFeedback: RtcpFeedback[];
  msids: Msid[];
  ssrcGroups: SsrcGroup[];
  ssrcs: SsrcAttribute[];
  rids: Rid[];
  simulcast?: Simulcast;

  sctpPort?: number;
  maxMessageSize?: number;
  sctpmap?: SctpMap;

  attributes: SdpAttribute[];
}

/** A whole session description. */
export interface SessionDescription {
  version: number;
  origin: Origin;
  sessionName: string;
  information?: string;
  uri?: string;
  emails: string[];
  phones: string[];
  connection?: ConnectionData;
  bandwidths: Bandwidth[];
  timing: Timing[];
  timeZones?: string;
  encryptionKey?: string;

  groups: MediaGroup[];
  msidSemantics: MsidSemantic[];
  extmapAllowMixed: boolean;
  iceLite: boolean;
  iceUfrag?: string;
  icePwd?: string;
  iceOptions?: string[];
  fingerprints: Fingerprint[];
  setup?: SetupRole;
  headerExtensions: HeaderExtension[];
  attributes: SdpAttribute[];

  media: MediaSection[];
}

/** A media section with every list empty and every flag off: the starting point for building one. */
export function emptyMediaSection(kind: MediaKind, protocol: string, formats: string[] = []): MediaSection {
  return {
    kind,
    port: 9,
    protocol,
    formats,
    bandwidths: [],
    bundleOnly: false,
    rtcpMux: false,
    rtcpMuxOnly: false,
    rtcpReducedSize: false,
    candidates: [],
    endOfCandidates: false,
    fingerprints: [],
    extmapAllowMixed: false,
    headerExtensions: [],
    codecs: [],
    wildcardFeedback: [],
    msids: [],
    ssrcGroups: [],
    ssrcs: [],
    rids: [],
    attributes: [],
  };
}

/** A session with Chromium's defaults (`o=- <id> <version> IN IP4 127.0.0.1`, `s=-`, `t=0 0`) and no media. */
export function emptySession(sessionId: string, sessionVersion = '2'): SessionDescription {
  return {
    version: 0,
    origin: {
      username: '-',
      sessionId,
      sessionVersion,
      netType: 'IN',
      addrType: 'IP4',
      address: '127.0.0.1',
    },
    sessionName: '-',
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [{ start: 0, stop: 0, repeats: [] }],
    groups: [],
    msidSemantics: [],
    extmapAllowMixed: false,
    iceLite: false,
    fingerprints: [],
    headerExtensions: [],
    attributes: [],
    media: [],
  };
}

/** A deep copy (descriptions are plain data). */
export function cloneSession(desc: SessionDescription): SessionDescription {
  return structuredClone(desc);
}

/** Bump `o=`'s session version, as every new local description after the first must (RFC 8829 §5.2.2). */
export function incrementSessionVersion(desc: SessionDescription): void {
  desc.origin.sessionVersion = (BigInt(desc.origin.sessionVersion) + 1n).toString();
}
