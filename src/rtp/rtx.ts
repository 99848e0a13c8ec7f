/**
 * RTX (RFC 4588): a retransmission carries the original sequence number (OSN) in its first two payload
 * bytes, on its own SSRC, payload type and sequence space.
 */
import type { RtpPacket } from './packet.js';

/** Wrap `original` for retransmission. The new packet's payload is a fresh buffer (OSN + payload). */
export function wrapRtx(
  original: RtpPacket,
  rtx: { payloadType: number; ssrc: number; sequenceNumber: number },
): RtpPacket {
  const payload = new Uint8Array(2 + original.payload.byteLength);
  payload[0] = original.sequenceNumber >>> 8;
  payload[1] = original.sequenceNumber & 0xff;
  payload.set(original.payload, 2);
  const packet = original.clone();
  packet.payloadType = rtx.payloadType;
  packet.ssrc = rtx.ssrc;
  packet.sequenceNumber = rtx.sequenceNumber & 0xffff;
  packet.payload = payload;
  packet.padding = 0;
  return packet;
}

/**
 * Recover the original packet from an RTX packet (payload stays a view). Returns undefined when the RTX
 * payload is too short to hold the OSN (padding-only RTX probes are such packets).
 */
export function unwrapRtx(
  rtxPacket: RtpPacket,
  original: { payloadType: number; ssrc: number },
): RtpPacket | undefined {
  if (rtxPacket.payload.byteLength < 2) return undefined;
  const packet = rtxPacket.clone();
  packet.sequenceNumber = (rtxPacket.payload[0]! << 8) | rtxPacket.payload[1]!;
  packet.payloadType = original.payloadType;
  packet.ssrc = original.ssrc;
  packet.payload = rtxPacket.payload.subarray(2);
  packet.padding = 0;
  return packet;
}
