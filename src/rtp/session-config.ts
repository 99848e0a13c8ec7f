/**
 * What a MediaSession needs to know after a negotiation, as plain data (JSON-friendly, no SDP types): per
 * media section (mid) its kind, direction, codecs and payload types, header extension ids, RTCP feedback,
 * the SSRCs and rids we send, and what we accept from the peer. `src/peerconnection/media-config.ts` builds it
 * from a negotiated pair of descriptions; tests and ORTC-style users write it by hand.
 */
import type { CodecName } from '../media/encoded-frame.js';
import type { RtpExtensionIds } from './extension-map.js';

/** Which RTCP feedback (`a=rtcp-fb`) both sides agreed on for a codec. */
export interface RtcpFeedbackConfig {
  /** `nack`: generic NACK (RFC 4585) — we answer it from the send history and send it for lost packets. */
  nack: boolean;
  /** `nack pli`: picture loss indication. */
  pli: boolean;
  /** `ccm fir`: full intra request (RFC 5104). */
  fir: boolean;
  /** `goog-remb`: receiver estimated maximum bitrate. */
  remb: boolean;
  /** `transport-cc`: transport-wide congestion control feedback. */
  transportCc: boolean;
}

export const NO_FEEDBACK: Readonly<RtcpFeedbackConfig> = {
  nack: false,
  pli: false,
  fir: false,
  remb: false,
  transportCc: false,
};

/** One negotiated payload type. */
export interface MediaCodecConfig {
  payloadType: number;
  /**
   * The codec tsrtc payloads and depayloads (`opus`, `vp8`, …), or undefined for formats it carries no
   * frames for (CN, telephone-event, RED, ULPFEC): their packets are counted and dropped.
   */
  codec: CodecName | undefined;
  /** The rtpmap encoding name as negotiated (`VP8`, `opus`, `telephone-event`). */
  name: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters. */
  parameters: Record<string, string>;
  feedback: RtcpFeedbackConfig;
  /** The RTX payload type repairing this one (`a=fmtp:<rtx> apt=<this>`), when negotiated. */
  rtxPayloadType?: number;
}

/** One RTP stream we send in a section (one per simulcast layer). */
export interface SendEncodingConfig {
  ssrc: number;
  /** The RTX SSRC (`a=ssrc-group:FID <ssrc> <rtx>`); retransmissions go there when RTX is negotiated. */
  rtxSsrc?: number;
  /** The RID of this layer (`a=rid:<rid> send`), written in the rid header extension. */
  rid?: string;
}

/** A stream the peer announced (`a=ssrc`, `a=ssrc-group:FID`). */
export interface ReceiveSsrcConfig {
  ssrc: number;
  rtxSsrc?: number;
}

export type MediaSectionDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One media section (m-line) as negotiated, from our side. */
export interface MediaSectionConfig {
  mid: string;
  kind: 'audio' | 'video';
  /** Our direction: `sendrecv` and `sendonly` send, `sendrecv` and `recvonly` receive. */
  direction: MediaSectionDirection;
  /** Payload types we send with, in the peer's order of preference (the first usable one is preferred). */
  sendCodecs: MediaCodecConfig[];
  /** Payload types we accept (our description's). */
  receiveCodecs: MediaCodecConfig[];
  /** Negotiated header extension ids (shared by both directions under BUNDLE). */
  extensions: RtpExtensionIds;
  /** `a=rtcp-rsize` on both sides: feedback may be sent without a report and SDES (RFC 5506). */
  rtcpReducedSize: boolean;
  /** The streams we send; empty when we do not send. */
  sendEncodings: SendEncodingConfig[];
  /** SSRCs the peer announced for this section (may be empty: then MID/RID/payload type route). */
  receiveSsrcs: ReceiveSsrcConfig[];
  /** RIDs the peer sends (simulcast); empty for a single stream. */
  receiveRids: string[];
}

export interface MediaSessionConfig {
  media: MediaSectionConfig[];
}

export function sends(direction: MediaSectionDirection): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

export function receives(direction: MediaSectionDirection): boolean {
  return direction === 'sendrecv' || direction === 'recvonly';
}

/** The RTCP feedback switched on for any codec of a list (a section-level view). */
export function anyFeedback(codecs: readonly MediaCodecConfig[]): RtcpFeedbackConfig {
  const out = { ...NO_FEEDBACK };
  for (const c of codecs) {
    out.nack ||= c.feedback.nack;
    out.pli ||= c.feedback.pli;
    out.fir ||= c.feedback.fir;
    out.remb ||= c.feedback.remb;
    out.transportCc ||= c.feedback.transportCc;
  }
  return out;
}

/** The codec of a payload type, and whether it is the RTX of another (then `repairs` is that codec). */
export function codecOfPayloadType(
  codecs: readonly MediaCodecConfig[],
  payloadType: number,
): { codec: MediaCodecConfig; rtx: boolean } | undefined {
  for (const c of codecs) {
    if (c.payloadType === payloadType) return { codec: c, rtx: false };
    if (c.rtxPayloadType === payloadType) return { codec: c, rtx: true };
  }
  return undefined;
}
