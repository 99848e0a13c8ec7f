/** SCTP chunk types, parameter types and protocol defaults (RFC 9260, 3758, 6525, 8260, 9653). */

export const ChunkType = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  SACK: 3,
  HEARTBEAT: 4,
  HEARTBEAT_ACK: 5,
  ABORT: 6,
  SHUTDOWN: 7,
  SHUTDOWN_ACK: 8,
  ERROR: 9,
  COOKIE_ECHO: 10,
  COOKIE_ACK: 11,
  SHUTDOWN_COMPLETE: 14,
  I_DATA: 64,
  RECONFIG: 130,
  FORWARD_TSN: 192,
  I_FORWARD_TSN: 194,
} as const;

export const ParamType = {
  HEARTBEAT_INFO: 1,
  STATE_COOKIE: 7,
  UNRECOGNIZED_PARAMETER: 8,
  COOKIE_PRESERVATIVE: 9,
  SUPPORTED_ADDRESS_TYPES: 12,
  OUTGOING_SSN_RESET: 13,
  INCOMING_SSN_RESET: 14,
  SSN_TSN_RESET: 15,
  RECONFIG_RESPONSE: 16,
  ADD_OUTGOING_STREAMS: 17,
  ADD_INCOMING_STREAMS: 18,
  ZERO_CHECKSUM_ACCEPTABLE: 0x8001,
  SUPPORTED_EXTENSIONS: 0x8008,
  FORWARD_TSN_SUPPORTED: 0xc000,
} as const;

/** RFC 6525 §4.4 result codes. */
export const ReconfigResult = {
  SUCCESS_NOTHING_TO_DO: 0,
  SUCCESS_PERFORMED: 1,
  DENIED: 2,
  ERROR_WRONG_SSN: 3,
  ERROR_REQUEST_IN_PROGRESS: 4,
  ERROR_BAD_SEQUENCE_NUMBER: 5,
  IN_PROGRESS: 6,
} as const;

/** RFC 9260 §3.3.10 cause codes used here. */
export const ErrorCause = {
  INVALID_STREAM: 1,
  STALE_COOKIE: 3,
  UNRECOGNIZED_CHUNK: 6,
  NO_USER_DATA: 9,
  PROTOCOL_VIOLATION: 13,
  USER_INITIATED_ABORT: 12,
} as const;

/** DATA chunk flags. */
export const DATA_END = 0x01;
export const DATA_BEGIN = 0x02;
export const DATA_UNORDERED = 0x04;
export const DATA_IMMEDIATE = 0x08;

export const COMMON_HEADER_SIZE = 12;
export const DATA_HEADER_SIZE = 16;
export const I_DATA_HEADER_SIZE = 20;

/** RFC 9653 error detection method: DTLS (RFC 8261) below SCTP. */
export const ZERO_CHECKSUM_METHOD_DTLS = 1;

export const DEFAULTS = {
  /** SCTP packet size; with DTLS and UDP/IPv6 headers this stays under a 1280-byte path MTU. */
  mtu: 1200,
  rtoInitial: 1000,
  rtoMin: 200,
  rtoMax: 60_000,
  /** Association.Max.Retrans / Path.Max.Retrans: consecutive timeouts before the peer is declared dead. */
  maxRetransmissions: 10,
  maxInitRetransmits: 8,
  heartbeatInterval: 30_000,
  delayedSackTimeout: 200,
  cookieLifetime: 60_000,
  /** Our advertised receive window. */
  receiveWindow: 1024 * 1024,
  maxStreams: 65_535,
  /** At most this many bytes of DATA may be sent in one burst (RFC 9260 §7.2.4 max burst, in bytes). */
  maxBurstPackets: 16,
} as const;
