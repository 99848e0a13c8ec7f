/** The ICE agent's public types: roles, parameters, options, events and statistics. */
import type { RandomSource } from '../common/random.js';
import type { RTCIceTransportState } from '../common/transport.js';
import type { RTCIceCandidate } from './candidate.js';

export type IceRole = 'controlling' | 'controlled';

/** RTCIceParameters: the credentials exchanged in signaling (RFC 8445 §5.3). */
export interface IceParameters {
  usernameFragment: string;
  password: string;
  iceLite?: boolean;
}

export interface IceAgentOptions {
  role: IceRole;
  /** Local credentials; generated when absent (8-char ufrag, 24-char password). */
  local?: IceParameters;
  /** 64-bit tie-breaker for role conflicts (random when absent). */
  tieBreaker?: bigint;
  /** Regular (RFC 8445) or aggressive (USE-CANDIDATE on every check) when controlling. Default regular. */
  nomination?: 'regular' | 'aggressive';
  /** Ta: the pacing of new checks, ms. Default 50. */
  pacing?: number;
  /** Consent check interval, ms, randomised ±20% (RFC 7675 §5.1). Default 2500 (libwebrtc pings as often). */
  consentInterval?: number;
  /**
   * Without a consent response for this long the agent turns `failed`. Default 15000, as libwebrtc;
   * RFC 7675 says 30000.
   */
  consentTimeout?: number;
  /** Without a consent response for this long (a check outstanding) the agent turns `disconnected`. Default 5000. */
  disconnectedTimeout?: number;
  /** Checks that select no pair within this time turn the agent `failed` (twice this once a pair is valid). Default 30000. */
  checklistTimeout?: number;
  /** With regular nomination, nominate the best valid pair at most this long after the first. Default 500. */
  nominationDelay?: number;
  /** Initial retransmission timeout for connectivity checks, ms. Default 500 (RFC 8445 §14.3). */
  checkRto?: number;
  /** Caps that bound memory against a hostile peer (RFC 8445 §6.1.2.5 suggests 100 pairs). */
  maxPairs?: number;
  maxRemoteCandidates?: number;
  /** Where credentials, tie-breakers, transaction ids and timer jitter come from (default: the CSPRNG). */
  random?: RandomSource;
}

/** Routing for a datagram: the local base (host socket id or TURN allocation id) it goes out of. */
export interface IceTransmitMeta {
  baseId: string;
}

export type IceAgentEvent =
  | { type: 'statechange'; state: RTCIceTransportState }
  | { type: 'selectedpairchange'; local: RTCIceCandidate; remote: RTCIceCandidate }
  | { type: 'rolechange'; role: IceRole }
  | { type: 'remotecandidate'; candidate: RTCIceCandidate };

export type CandidatePairState = 'frozen' | 'waiting' | 'in-progress' | 'succeeded' | 'failed';

/** Per-pair statistics, shaped after W3C RTCIceCandidatePairStats. */
export interface IcePairStats {
  id: string;
  local: RTCIceCandidate;
  remote: RTCIceCandidate;
  state: CandidatePairState;
  /** The 64-bit pair priority as a number (stats are JSON-serialisable; ordering is exact up to 2^53). */
  priority: number;
  nominated: boolean;
  selected: boolean;
  requestsSent: number;
  requestsReceived: number;
  responsesSent: number;
  responsesReceived: number;
  consentRequestsSent: number;
  currentRoundTripTime: number | undefined;
  totalRoundTripTime: number;
  bytesSent: number;
  packetsSent: number;
  bytesReceived: number;
  packetsReceived: number;
  lastRequestTimestamp: number | undefined;
  lastResponseTimestamp: number | undefined;
}

/** What the agent dropped or refused, for diagnosis and for tests of hostile input. */
export interface IceAgentCounters {
  malformed: number;
  unauthorized: number;
  badRequest: number;
  unknownAttributes: number;
  roleConflicts: number;
  unmatchedResponses: number;
  ignoredCandidates: number;
  prunedPairs: number;
}
