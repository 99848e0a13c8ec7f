/** tsrtc/ice: the sans-I/O ICE agent, candidates, the TURN client, RTCIceServer parsing and the ORTC objects. */
export * from './agent.js';
export {
  parseCandidate,
  RTCIceCandidate,
  type RTCIceCandidateFields,
  type RTCIceCandidateInit,
  type RTCIceCandidateType,
  type RTCIceComponent,
  type RTCIceProtocol,
  type RTCIceServerTransportProtocol,
  type RTCIceTcpCandidateType,
  writeCandidate,
} from './candidate.js';
export {
  type GathererSink,
  RTCIceGatherer,
  type RTCIceGathererEvent,
  type RTCIceGathererState,
  type RTCIceGatherOptions,
  type RTCIceParameters,
  RTCPeerConnectionIceErrorEvent,
} from './gatherer.js';
export * from './ice-server.js';
export { candidateFoundation, candidatePriority, pairPriority } from './priority.js';
export {
  type RTCIceCandidatePair,
  RTCIceTransport,
  type RTCIceTransportOptions,
} from './transport.js';
export * from './turn/index.js';
