/** tsrtc/sctp: the sans-I/O SCTP association (RFC 9260 with RFC 3758, 6525, 8260, 9653). */

export { crc32c } from '../common/crc.js';
export {
  type RTCSctpCapabilities,
  RTCSctpTransport,
  type RTCSctpTransportOptions,
  type RTCSctpTransportState,
} from '../datachannel/sctp-transport.js';
export { Association } from './association.js';
export { AssociationCore } from './association-core.js';
export type { ForwardTsnChunk, InitChunk, SackChunk } from './chunks.js';
export { ChunkType, DEFAULTS, ParamType } from './constants.js';
export { sctpChecksum } from './crc32c.js';
export type {
  AssociationEvent,
  AssociationOptions,
  AssociationState,
  AssociationStats,
  CloseReason,
  SendOptions,
} from './options.js';
