/**
 * One direction of SRTP/SRTCP under one master key: header checks, packet-index bookkeeping (ROC
 * estimation), replay protection and statistics around the profile's cipher. Unprotect never throws on
 * network input: a bad packet is dropped (undefined) and counted.
 */
import type { CipherEngine } from '../common/native.js';
import { ByteSlab } from '../common/slab.js';
import { AesCmHmacCipher } from './aes-cm-cipher.js';
import { AesGcmCipher } from './aes-gcm-cipher.js';
import type { SrtpCipher } from './cipher.js';
import { type SrtpProfile, type SrtpProfileName, srtpProfile } from './profiles.js';
import { estimateIndex, StreamTable } from './stream-table.js';

export interface SrtpContextOptions {
  profile: SrtpProfileName | string | number | SrtpProfile;
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
  /** Replay window in packets, for SRTP and SRTCP alike (default 1024). */
  replayWindowSize?: number;
  /**
   * Most SSRCs tracked at once (default 1024). Inbound, the least recently used is evicted beyond it;
   * outbound (`direction: 'outbound'`), sender state is never evicted and a new SSRC beyond it throws.
   */
  maxStreams?: number;
  /**
   * Which way this context protects (default 'inbound'). Outbound state must never be forgotten while the
   * key lives: an evicted sender's next packets would reuse keystream and nonces.
   */
  direction?: 'inbound' | 'outbound';
  /** AEAD only: largest encrypted length handled by the JavaScript GHASH engine (tuning; see docs). */
  gcmJsMaxLength?: number;
  /** 'auto' (default: the native addon per TSRTC_NATIVE), 'native' or 'typescript' (tests compare both). */
  engine?: CipherEngine;
}

export interface SrtpStats {
  rtpPackets: number;
  rtcpPackets: number;
  /** Packets dropped because their auth tag did not verify. */
  authFailures: number;
  /** Packets dropped as replays or as older than the window. */
  replayDrops: number;
  /** Packets dropped as too short or not RTP/RTCP. */
  malformed: number;
  /** SSRC states evicted to stay within maxStreams. */
  streamsEvicted: number;
}

const RTP_HEADER = 12;
const RTCP_HEADER = 8;

/**
 * Protected packets are carved from slabs (src/common/slab.ts): one small view per packet instead of a
 * pooled Buffer (whose allocation and the garbage of its 8 KiB pools cost as much as the native seal).
 * Each region is handed out once and every byte of the returned view is written.
 */
const slab = new ByteSlab();

export class SrtpContext {
  readonly profile: SrtpProfile;
  private readonly cipher: SrtpCipher;
  /** A native GCM cipher seals from the caller's packet straight into the output (no copy first). */
  private readonly sealsFromSource: AesGcmCipher | undefined;
  private readonly streams: StreamTable;
  private readonly counters: SrtpStats = {
    rtpPackets: 0,
    rtcpPackets: 0,
    authFailures: 0,
    replayDrops: 0,
    malformed: 0,
    streamsEvicted: 0,
  };

  constructor(options: SrtpContextOptions) {
    const p = srtpProfile(options.profile);
    if (options.masterKey.byteLength !== p.masterKeyLength) {
      throw new RangeError(`${p.name} needs a ${p.masterKeyLength}-byte master key`);
    }
    if (options.masterSalt.byteLength !== p.masterSaltLength) {
      throw new RangeError(`${p.name} needs a ${p.masterSaltLength}-byte master salt`);
    }
    this.profile = p;
    this.cipher = p.aead
      ? AesGcmCipher.fromMaster(
          p,
          options.masterKey,
          options.masterSalt,
          options.gcmJsMaxLength,
          options.engine,
        )
      : new AesCmHmacCipher(p, options.masterKey, options.masterSalt, options.engine);
    this.sealsFromSource =
      this.cipher instanceof AesGcmCipher && this.cipher.isNative ? this.cipher : undefined;
    this.streams = new StreamTable(
      options.maxStreams ?? 1024,
      options.replayWindowSize ?? 1024,
      options.direction === 'outbound',
    );
  }

  get stats(): Readonly<SrtpStats> {
    this.counters.streamsEvicted = this.streams.evicted;
    return this.counters;
  }

  /** Number of SSRCs with state. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Protect an RTP packet; returns new memory (the caller may keep it; `packet` is not touched). Throws TypeError when `packet` is not RTP, and RangeError
   * for a new SSRC when an outbound context already holds `maxStreams` senders.
   */
  protectRtp(packet: Uint8Array): Uint8Array {
    const headerLength = rtpHeaderLength(packet);
    if (headerLength < 0) throw new TypeError('not an RTP packet');
    const ssrc = readU32(packet, 8);
    const seq = (packet[2]! << 8) | packet[3]!;
    const state = this.streams.obtain(ssrc, false);
    let index = estimateIndex(state.rtpHighest, seq);
    if (index < 0) index += 0x10000; // sender went backwards across ROC 0: keep the same ROC
    if (index > state.rtpHighest) state.rtpHighest = index;
    const len = packet.byteLength;
    const cipher = this.cipher;
    const fromSource = this.sealsFromSource;
    if (fromSource) {
      const out = slab.take(len + cipher.rtpTagLength);
      fromSource.protectRtpFrom(packet, out, headerLength, len, ssrc, index);
      this.counters.rtpPackets++;
      return out;
    }
    const headroom = cipher.protectHeadroom;
    const out = slab.take(headroom + len + cipher.rtpTagLength);
    out.set(packet, headroom);
    const n = cipher.protectRtp(out, headroom, headerLength, len, ssrc, index, state.rtpKeystream);
    this.counters.rtpPackets++;
    return headroom === 0 ? out : protectedView(out, headroom, n);
  }

  /**
   * Verify, replay-check and decrypt an SRTP packet in place. Returns a view of the RTP packet (sharing
   * memory with `packet`), or undefined when dropped (counted in `stats`).
   */
  unprotectRtp(packet: Uint8Array): Uint8Array | undefined {
    const headerLength = rtpHeaderLength(packet);
    if (headerLength < 0 || packet.byteLength < headerLength + this.cipher.rtpTagLength) {
      this.counters.malformed++;
      return undefined;
    }
    const ssrc = readU32(packet, 8);
    const seq = (packet[2]! << 8) | packet[3]!;
    const known = this.streams.get(ssrc);
    const index = estimateIndex(known ? known.rtpHighest : -1, seq);
    if (index < 0 || (known?.rtpReplay && !known.rtpReplay.check(index))) {
      this.counters.replayDrops++;
      return undefined;
    }
    const n = this.cipher.unprotectRtp(
      packet,
      headerLength,
      packet.byteLength,
      ssrc,
      index,
      known?.rtpKeystream,
    );
    if (n < 0) {
      this.counters.authFailures++;
      return undefined;
    }
    const state = known ?? this.streams.obtain(ssrc, true);
    state.rtpReplay!.update(index);
    if (index > state.rtpHighest) state.rtpHighest = index;
    this.counters.rtpPackets++;
    return packet.subarray(0, n);
  }

  /**
   * Protect an RTCP (compound) packet; returns new memory. Throws TypeError when not RTCP, and RangeError
   * as protectRtp for one SSRC too many.
   */
  protectRtcp(packet: Uint8Array): Uint8Array {
    if (packet.byteLength < RTCP_HEADER || packet[0]! >> 6 !== 2) throw new TypeError('not an RTCP packet');
    const ssrc = readU32(packet, 4);
    const state = this.streams.obtain(ssrc, false);
    const index = state.rtcpNextIndex;
    if (index > 0x7fffffff) throw new RangeError('SRTCP index exhausted: the session must be re-keyed');
    state.rtcpNextIndex++;
    const len = packet.byteLength;
    const cipher = this.cipher;
    const headroom = cipher.protectHeadroom;
    const out = slab.take(headroom + len + cipher.rtcpOverhead);
    out.set(packet, headroom);
    const n = cipher.protectRtcp(out, headroom, len, ssrc, index);
    this.counters.rtcpPackets++;
    return headroom === 0 ? out : protectedView(out, headroom, n);
  }

  /** Verify, replay-check and decrypt an SRTCP packet in place; undefined when dropped (counted). */
  unprotectRtcp(packet: Uint8Array): Uint8Array | undefined {
    const len = packet.byteLength;
    if (len < RTCP_HEADER + this.cipher.rtcpOverhead || packet[0]! >> 6 !== 2) {
      this.counters.malformed++;
      return undefined;
    }
    const trailerAt = this.profile.aead ? len - 4 : len - this.cipher.rtcpOverhead;
    const trailer = readU32(packet, trailerAt);
    const encrypted = trailer >= 0x80000000;
    const index = trailer & 0x7fffffff;
    const ssrc = readU32(packet, 4);
    const known = this.streams.get(ssrc);
    if (known?.rtcpReplay && !known.rtcpReplay.check(index)) {
      this.counters.replayDrops++;
      return undefined;
    }
    const n = this.cipher.unprotectRtcp(packet, len, ssrc, index, encrypted);
    if (n < 0) {
      this.counters.authFailures++;
      return undefined;
    }
    const state = known ?? this.streams.obtain(ssrc, true);
    state.rtcpReplay!.update(index);
    this.counters.rtcpPackets++;
    return packet.subarray(0, n);
  }

  /** Forget an SSRC (e.g. after BYE). Outbound contexts keep its indices (see StreamTable.delete). */
  removeStream(ssrc: number): boolean {
    return this.streams.delete(ssrc);
  }
}

/** Header length (fixed header, CSRCs, extension block) or -1 when not a well-formed RTP header. */
function rtpHeaderLength(p: Uint8Array): number {
  const len = p.byteLength;
  if (len < RTP_HEADER || p[0]! >> 6 !== 2) return -1;
  let at = RTP_HEADER + (p[0]! & 0x0f) * 4;
  if (p[0]! & 0x10) {
    if (at + 4 > len) return -1;
    at += 4 + ((p[at + 2]! << 8) | p[at + 3]!) * 4;
  }
  return at > len ? -1 : at;
}

/** The protected bytes after the cipher's scratch headroom. */
function protectedView(out: Uint8Array, headroom: number, length: number): Uint8Array {
  return new Uint8Array(out.buffer, out.byteOffset + headroom, length);
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
