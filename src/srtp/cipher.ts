/** The per-profile transform a context drives; index bookkeeping and replay live in the context. */
import type { KeystreamBatch } from './aes-cm.js';

export interface SrtpCipher {
  /** Bytes added to an RTP packet (the auth tag). */
  readonly rtpTagLength: number;
  /** Bytes added to an RTCP packet (tag plus the 4-byte E flag and index). */
  readonly rtcpOverhead: number;
  /** Scratch bytes protectRtp/protectRtcp use before `start` (PROTECT_HEADROOM or 0). */
  readonly protectHeadroom: number;
  /**
   * Encrypt and authenticate the RTP packet at out[start, start + length) in place, writing the tag after
   * it. out[start - protectHeadroom, start) is scratch space. `batch` (the stream's) lets the keystream be precomputed
   * for the following indices. Returns the protected length.
   */
  protectRtp(
    out: Uint8Array,
    start: number,
    headerLength: number,
    length: number,
    ssrc: number,
    index: number,
    batch?: KeystreamBatch,
  ): number;
  /** Verify and decrypt packet[0, length) in place; returns the plaintext length or -1 on auth failure. */
  unprotectRtp(
    packet: Uint8Array,
    headerLength: number,
    length: number,
    ssrc: number,
    index: number,
    batch?: KeystreamBatch,
  ): number;
  /** As protectRtp for RTCP: appends E flag, SRTCP index and tag. Returns the protected length. */
  protectRtcp(out: Uint8Array, start: number, length: number, ssrc: number, index: number): number;
  /** Verify and (when `encrypted`) decrypt in place; returns the plaintext length or -1 on auth failure. */
  unprotectRtcp(packet: Uint8Array, length: number, ssrc: number, index: number, encrypted: boolean): number;
}

/** Room a caller leaves before a packet it protects (HMAC inner-pad headroom). */
export const PROTECT_HEADROOM = 64;
