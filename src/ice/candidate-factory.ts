/** Builds the gatherer's local candidates: priorities and foundations as RFC 8445 §5.1 says. */
import type { TransportAddress } from '../common/engine.js';
import { RTCIceCandidate } from './candidate.js';
import { candidateFoundation, candidatePriority, type RTCIceCandidateType } from './priority.js';

export interface CandidateSpec {
  type: RTCIceCandidateType;
  address: TransportAddress;
  baseAddress: TransportAddress;
  related?: TransportAddress | undefined;
  /** The STUN/TURN server URL that produced it (part of the foundation). */
  server?: string;
  /** Position of the interface (earlier = preferred): feeds the local preference. */
  localIndex: number;
  /** For relayed candidates: the transport to the TURN server (tcp/tls rank below udp). */
  relayProtocol?: 'udp' | 'tcp' | 'tls';
}

export function buildCandidate(spec: CandidateSpec): RTCIceCandidate {
  const relayPenalty = spec.relayProtocol === 'tls' ? 2000 : spec.relayProtocol === 'tcp' ? 1000 : 0;
  const localPreference = Math.max(0, 65535 - spec.localIndex * 16 - relayPenalty);
  return new RTCIceCandidate({
    foundation: candidateFoundation(spec.type, spec.baseAddress.address, 'udp', spec.server ?? ''),
    component: 1,
    priority: candidatePriority(spec.type, localPreference, 1),
    address: spec.address.address,
    port: spec.address.port,
    protocol: 'udp',
    type: spec.type,
    relatedAddress: spec.related?.address ?? null,
    relatedPort: spec.related?.port ?? null,
    relayProtocol: spec.relayProtocol ?? null,
    url: spec.server ?? null,
  });
}
