/**
 * Shapes shared by every payloader and depayloader. Depayloaders take a structural RTP packet so they work with
 * tsrtc's RtpPacket or any object with the same fields; payloaders return payloads with marker flags and leave
 * sequence numbers and timestamps to the caller.
 */

export interface RtpPacketLike {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker: boolean;
  readonly payload: Uint8Array;
}

/** One RTP payload a payloader produced, with the marker bit it wants. */
export interface RtpPayloadChunk {
  readonly payload: Uint8Array;
  readonly marker: boolean;
}

/** What one payload says about the frame it belongs to. */
export interface PayloadInfo {
  /** The payload begins a frame (VP8 S=1 PID=0, VP9 B=1, AV1 Z=0, H.264 a NAL unit start). */
  readonly frameStart: boolean;
  /** The payload shows the frame is a keyframe (always true for audio). */
  readonly keyframe: boolean;
}

export interface Payloader {
  /** Largest payload produced, in bytes (the RTP header, SRTP tag and extensions come on top). */
  readonly maxPayloadSize: number;
  /** Split one encoded frame into RTP payloads; the last one has the marker set for video. */
  packetize(frame: Uint8Array): RtpPayloadChunk[];
}

export interface Depayloader {
  /** Inspect one payload; null when it is malformed (the caller drops and counts it). */
  inspect(payload: Uint8Array): PayloadInfo | null;
  /**
   * Reassemble one frame from all of its packets in sequence order; null when they do not form a valid frame.
   * Never throws on malformed input.
   */
  depacketize(packets: readonly RtpPacketLike[]): Uint8Array | null;
}

/** 1200 bytes leaves room for RTP header, extensions, SRTP tag and TURN framing within a 1280-byte IPv6 MTU path. */
export const DEFAULT_MAX_PAYLOAD_SIZE = 1200;

/** Sizes that split `total` bytes into `count` parts differing by at most one byte (balanced fragments). */
export function balancedSizes(total: number, capacity: number): number[] {
  const count = Math.max(1, Math.ceil(total / capacity));
  const base = Math.floor(total / count);
  const extra = total % count;
  return Array.from({ length: count }, (_, i) => base + (i < extra ? 1 : 0));
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
