/** RTCP packet models (RFC 3550, RFC 4585, RFC 5104, RFC 3611, draft-holmer TWCC, REMB). */

export const RTCP_PT = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
  RTPFB: 205,
  PSFB: 206,
  XR: 207,
} as const;

/** RFC 3550 §6.4.1 reception report block. */
export interface RtcpReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, as an 8-bit fixed-point number (0–255). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed). */
  packetsLost: number;
  highestSequence: number;
  jitter: number;
  /** Middle 32 bits of the last SR's NTP timestamp. */
  lastSr: number;
  /** Delay since the last SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface RtcpSenderReport {
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: RtcpReportBlock[];
  /** Profile-specific extension bytes after the report blocks (usually empty). */
  extension?: Uint8Array;
}

export interface RtcpReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: RtcpReportBlock[];
  extension?: Uint8Array;
}

export const SDES_ITEM = {
  END: 0,
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const;

export interface RtcpSdesChunk {
  source: number;
  items: { type: number; value: string }[];
}

export interface RtcpSourceDescription {
  type: 'sdes';
  chunks: RtcpSdesChunk[];
}

export interface RtcpBye {
  type: 'bye';
  sources: number[];
  reason?: string;
}

export interface RtcpApp {
  type: 'app';
  subtype: number;
  ssrc: number;
  /** Four ASCII characters. */
  name: string;
  /** Application data; its length is a multiple of 4. */
  data: Uint8Array;
}

/** RFC 4585 generic NACK (RTPFB FMT 1): the lost sequence numbers, expanded. */
export interface RtcpGenericNack {
  type: 'nack';
  senderSsrc: number;
  mediaSsrc: number;
  lost: number[];
}

/** Transport-wide congestion control feedback (RTPFB FMT 15). */
export interface RtcpTransportWideCc {
  type: 'twcc';
  senderSsrc: number;
  mediaSsrc: number;
  baseSequenceNumber: number;
  packetStatusCount: number;
  /** Reference time in multiples of 64 ms (24-bit signed). */
  referenceTime: number;
  fbPktCount: number;
  /** Packets reported received, with their receive delta in microseconds (multiples of 250). */
  received: { sequenceNumber: number; deltaUs: number }[];
}

export interface RtcpPictureLossIndication {
  type: 'pli';
  senderSsrc: number;
  mediaSsrc: number;
}

/** RFC 5104 full intra request (PSFB FMT 4). */
export interface RtcpFullIntraRequest {
  type: 'fir';
  senderSsrc: number;
  mediaSsrc: number;
  entries: { ssrc: number; sequenceNumber: number }[];
}

/** Receiver estimated maximum bitrate (PSFB FMT 15, "REMB"). */
export interface RtcpRemb {
  type: 'remb';
  senderSsrc: number;
  /** Bits per second (mantissa × 2^exp on the wire; precision is 18 bits). */
  bitrate: number;
  ssrcs: number[];
}

/** Application-layer feedback (PSFB FMT 15) other than REMB. */
export interface RtcpApplicationFeedback {
  type: 'afb';
  senderSsrc: number;
  mediaSsrc: number;
  data: Uint8Array;
}

/** An RTPFB or PSFB message with a FMT this library does not model. */
export interface RtcpGenericFeedback {
  type: 'rtpfb' | 'psfb';
  fmt: number;
  senderSsrc: number;
  mediaSsrc: number;
  fci: Uint8Array;
}

export type RtcpXrBlock =
  | { type: 'rrtr'; ntpSeconds: number; ntpFraction: number }
  | { type: 'dlrr'; items: { ssrc: number; lastRr: number; delaySinceLastRr: number }[] }
  | { type: 'unknown'; blockType: number; typeSpecific: number; data: Uint8Array };

/** RFC 3611 extended report. */
export interface RtcpExtendedReport {
  type: 'xr';
  ssrc: number;
  blocks: RtcpXrBlock[];
}

/** Any other packet type, kept raw. */
export interface RtcpUnknown {
  type: 'unknown';
  packetType: number;
  count: number;
  body: Uint8Array;
}

export type RtcpPacket =
  | RtcpSenderReport
  | RtcpReceiverReport
  | RtcpSourceDescription
  | RtcpBye
  | RtcpApp
  | RtcpGenericNack
  | RtcpTransportWideCc
  | RtcpPictureLossIndication
  | RtcpFullIntraRequest
  | RtcpRemb
  | RtcpApplicationFeedback
  | RtcpGenericFeedback
  | RtcpExtendedReport
  | RtcpUnknown;
