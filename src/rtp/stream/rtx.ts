/**
 * Retransmission both ways (RFC 4588). Sending: a packet a NACK asks for goes out again on the RTX SSRC
 * and payload type with the original sequence number (OSN) first in its payload, when RTX was negotiated;
 * otherwise the very same bytes go out again (plain retransmission, RFC 4585). Plain retransmissions are
 * byte-identical on purpose: the same SRTP index with a different header would reuse an AES-GCM nonce for a
 * different message. Receiving: an RTX packet is unwrapped into the media stream it repairs.
 */
import { RtpPacket } from '../packet.js';
import type { SentPacket } from './send-history.js';
import type { SendStream } from './send-stream.js';

export type Retransmission =
  /** An RTX packet to finish (transport-wide extensions) and protect. */
  | { type: 'rtx'; packet: RtpPacket; originalSequenceNumber: number }
  /** The original plain bytes, to protect and send unchanged. */
  | { type: 'plain'; bytes: Uint8Array; originalSequenceNumber: number };

/** How to resend `sent` on `stream`; undefined if its stored bytes no longer parse (never expected). */
export function retransmissionOf(stream: SendStream, sent: SentPacket): Retransmission | undefined {
  const original = RtpPacket.tryParse(sent.packet);
  if (!original) return undefined;
  const rtxPayloadType = stream.rtxPayloadTypeFor(original.payloadType);
  if (rtxPayloadType === undefined) {
    return { type: 'plain', bytes: sent.packet, originalSequenceNumber: sent.sequenceNumber };
  }
  const payload = new Uint8Array(2 + original.payload.byteLength);
  payload[0] = original.sequenceNumber >>> 8;
  payload[1] = original.sequenceNumber & 0xff;
  payload.set(original.payload, 2);
  const packet = new RtpPacket({
    payloadType: rtxPayloadType,
    sequenceNumber: stream.allocateRtxSequenceNumber(),
    timestamp: original.timestamp,
    ssrc: stream.rtxSsrc!,
    marker: original.marker,
    csrcs: original.csrcs,
    payload,
    extensions: stream.rtxExtensions(),
  });
  return { type: 'rtx', packet, originalSequenceNumber: sent.sequenceNumber };
}

/**
 * The media packet inside a received RTX packet: OSN as its sequence number, the primary SSRC and payload
 * type (`apt`). Undefined for an RTX payload too short to hold an OSN (padding-only probes).
 */
export function unwrapReceivedRtx(
  rtx: RtpPacket,
  primarySsrc: number,
  primaryPayloadType: number,
): RtpPacket | undefined {
  if (rtx.payload.byteLength < 2) return undefined;
  const packet = new RtpPacket({
    payloadType: primaryPayloadType,
    sequenceNumber: (rtx.payload[0]! << 8) | rtx.payload[1]!,
    timestamp: rtx.timestamp,
    ssrc: primarySsrc,
    marker: rtx.marker,
    csrcs: rtx.csrcs,
    payload: rtx.payload.subarray(2),
    extensions: rtx.extensions,
  });
  return packet;
}

/** Padding per padding-only packet at most (the RTP padding count is one byte). */
export const MAX_PADDING_BYTES = 255;

/**
 * A padding-only packet on the RTX stream (for bandwidth probes): no payload, `padding` bytes (1–255) of RTP
 * padding. Undefined when the stream has no RTX. Receivers drop it after counting it (no OSN inside).
 */
export function paddingPacketOf(stream: SendStream, now: number, padding: number): RtpPacket | undefined {
  const rtxPayloadType = stream.anyRtxPayloadType();
  if (rtxPayloadType === undefined || stream.rtxSsrc === undefined) return undefined;
  return new RtpPacket({
    payloadType: rtxPayloadType,
    sequenceNumber: stream.allocateRtxSequenceNumber(),
    timestamp: stream.rtpTimestampAt(now),
    ssrc: stream.rtxSsrc,
    marker: false,
    payload: new Uint8Array(0),
    padding: Math.min(MAX_PADDING_BYTES, Math.max(1, Math.round(padding))),
    extensions: stream.rtxExtensions(),
  });
}
