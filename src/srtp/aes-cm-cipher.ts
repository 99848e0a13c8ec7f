/**
 * AES_CM_128_HMAC_SHA1_80 / _32 (RFC 3711 §4.1.1, §4.2.1) for SRTP and SRTCP. With the native addon
 * (src/common/native.ts) one OpenSSL AES-CTR context and precomputed SHA-1 pad states per session key do
 * a packet in one call; otherwise a reused AES-ECB keystream (aes-cm.ts) and HMAC-SHA1 from precomputed
 * states (hmac-sha1.ts) do it. Both give the same bytes.
 */
import { addonFor, type CipherEngine, NativeCm } from '../common/native.js';
import { AesCmKeystream, type IvSource, type KeystreamBatch, xorInto } from './aes-cm.js';
import { PROTECT_HEADROOM, type SrtpCipher } from './cipher.js';
import { HmacSha1, tagsEqual } from './hmac-sha1.js';
import { deriveSessionKey, LABEL } from './kdf.js';
import type { SrtpProfile } from './profiles.js';

const TRAILER = 4; // E flag + 31-bit SRTCP index

export class AesCmHmacCipher implements SrtpCipher, IvSource {
  readonly rtpTagLength: number;
  readonly rtcpOverhead: number;
  /** The JavaScript HMAC pads in front of the packet; the native engine needs no scratch. */
  readonly protectHeadroom: number;
  private readonly rtcpTagLength: number;
  private readonly rtpSalt: Uint8Array;
  private readonly rtcpSalt: Uint8Array;
  /** Native engine, when in use; otherwise the keystreams and MACs below. */
  private readonly nativeRtp: NativeCm | undefined;
  private readonly nativeRtcp: NativeCm | undefined;
  private readonly rtpKeystream: AesCmKeystream | undefined;
  private readonly rtcpKeystream: AesCmKeystream | undefined;
  private readonly rtpMac: HmacSha1 | undefined;
  private readonly rtcpMac: HmacSha1 | undefined;
  private readonly roc = new Uint8Array(4);

  /** `engine`: 'auto' (the addon when TSRTC_NATIVE allows and it loads), 'native' or 'typescript'. */
  constructor(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array, engine?: CipherEngine) {
    const k = profile.masterKeyLength;
    this.rtpTagLength = profile.rtpTagLength;
    this.rtcpTagLength = profile.rtcpTagLength;
    this.rtcpOverhead = profile.rtcpTagLength + TRAILER;
    const rtpKey = deriveSessionKey(masterKey, masterSalt, LABEL.RTP_ENCRYPTION, k);
    const rtcpKey = deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_ENCRYPTION, k);
    const rtpAuth = deriveSessionKey(masterKey, masterSalt, LABEL.RTP_AUTH, profile.authKeyLength);
    const rtcpAuth = deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_AUTH, profile.authKeyLength);
    this.rtpSalt = deriveSessionKey(masterKey, masterSalt, LABEL.RTP_SALT, 14);
    this.rtcpSalt = deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_SALT, 14);
    const addon = addonFor(engine);
    if (addon) {
      this.nativeRtp = new NativeCm(addon, rtpKey, rtpAuth);
      this.nativeRtcp = new NativeCm(addon, rtcpKey, rtcpAuth);
    } else {
      this.rtpKeystream = new AesCmKeystream(rtpKey);
      this.rtcpKeystream = new AesCmKeystream(rtcpKey);
      this.rtpMac = new HmacSha1(rtpAuth);
      this.rtcpMac = new HmacSha1(rtcpAuth);
    }
    this.protectHeadroom = addon ? 0 : PROTECT_HEADROOM;
  }

  /** True when packets go through the native addon. */
  get isNative(): boolean {
    return this.nativeRtp !== undefined;
  }

  writeIv(ssrc: number, index: number, iv: Uint8Array): void {
    setIv(iv, this.rtpSalt, ssrc, index);
  }

  private rtpKeystreamXor(
    data: Uint8Array,
    offset: number,
    length: number,
    ssrc: number,
    index: number,
    batch: KeystreamBatch | undefined,
  ): void {
    if (length <= 0) return;
    const keystream = this.rtpKeystream!;
    if (batch) {
      xorInto(data, offset, length, keystream.batched(batch, this, ssrc, index, (length + 15) >>> 4, 0));
    } else {
      setIv(keystream.iv, this.rtpSalt, ssrc, index);
      keystream.xorInPlace(data, offset, length);
    }
  }

  protectRtp(
    out: Uint8Array,
    start: number,
    headerLength: number,
    length: number,
    ssrc: number,
    index: number,
    batch?: KeystreamBatch,
  ): number {
    const roc = Math.floor(index / 0x10000);
    const native = this.nativeRtp;
    if (native) {
      setIv(native.iv, this.rtpSalt, ssrc, index);
      const end = start + length;
      native.protect(
        out,
        start + headerLength,
        length - headerLength,
        start,
        length,
        roc,
        end,
        this.rtpTagLength,
      );
      return length + this.rtpTagLength;
    }
    this.rtpKeystreamXor(out, start + headerLength, length - headerLength, ssrc, index, batch);
    writeU32(out, start + length, roc); // ROC is authenticated, not sent
    const mac = this.rtpMac!.macWithHeadroom(out, start, start + length + 4);
    out.set(mac.subarray(0, this.rtpTagLength), start + length);
    return length + this.rtpTagLength;
  }

  unprotectRtp(
    packet: Uint8Array,
    headerLength: number,
    length: number,
    ssrc: number,
    index: number,
    batch?: KeystreamBatch,
  ): number {
    const authEnd = length - this.rtpTagLength;
    if (authEnd < headerLength) return -1;
    const roc = Math.floor(index / 0x10000);
    const native = this.nativeRtp;
    if (native) {
      setIv(native.iv, this.rtpSalt, ssrc, index);
      const tag = this.rtpTagLength;
      return native.unprotect(packet, headerLength, authEnd - headerLength, 0, authEnd, roc, authEnd, tag)
        ? authEnd
        : -1;
    }
    writeU32(this.roc, 0, roc);
    const mac = this.rtpMac!.mac(packet.subarray(0, authEnd), this.roc);
    if (!tagsEqual(mac, packet, authEnd, this.rtpTagLength)) return -1;
    this.rtpKeystreamXor(packet, headerLength, authEnd - headerLength, ssrc, index, batch);
    return authEnd;
  }

  protectRtcp(out: Uint8Array, start: number, length: number, ssrc: number, index: number): number {
    writeU32(out, start + length, (0x80000000 | index) >>> 0);
    const tagAt = start + length + TRAILER;
    const native = this.nativeRtcp;
    if (native) {
      setIv(native.iv, this.rtcpSalt, ssrc, index);
      native.protect(out, start + 8, length - 8, start, length + TRAILER, -1, tagAt, this.rtcpTagLength);
      return length + this.rtcpOverhead;
    }
    const keystream = this.rtcpKeystream!;
    setIv(keystream.iv, this.rtcpSalt, ssrc, index);
    keystream.xorInPlace(out, start + 8, length - 8);
    const mac = this.rtcpMac!.macWithHeadroom(out, start, start + length + TRAILER);
    out.set(mac.subarray(0, this.rtcpTagLength), tagAt);
    return length + this.rtcpOverhead;
  }

  unprotectRtcp(packet: Uint8Array, length: number, ssrc: number, index: number, encrypted: boolean): number {
    const authEnd = length - this.rtcpTagLength;
    const plainEnd = authEnd - TRAILER;
    if (plainEnd < 8) return -1;
    const native = this.nativeRtcp;
    if (native) {
      setIv(native.iv, this.rtcpSalt, ssrc, index);
      const encLength = encrypted ? plainEnd - 8 : 0;
      return native.unprotect(packet, 8, encLength, 0, authEnd, -1, authEnd, this.rtcpTagLength)
        ? plainEnd
        : -1;
    }
    const mac = this.rtcpMac!.mac(packet.subarray(0, authEnd));
    if (!tagsEqual(mac, packet, authEnd, this.rtcpTagLength)) return -1;
    if (encrypted) {
      const keystream = this.rtcpKeystream!;
      setIv(keystream.iv, this.rtcpSalt, ssrc, index);
      keystream.xorInPlace(packet, 8, plainEnd - 8);
    }
    return plainEnd;
  }
}

/** IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16), counter bytes zero (RFC 3711 §4.1.1). */
function setIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, index: number): void {
  iv.set(salt, 0);
  iv[14] = 0;
  iv[15] = 0;
  iv[4]! ^= ssrc >>> 24;
  iv[5]! ^= (ssrc >>> 16) & 0xff;
  iv[6]! ^= (ssrc >>> 8) & 0xff;
  iv[7]! ^= ssrc & 0xff;
  const hi = Math.floor(index / 0x100000000);
  const lo = index >>> 0;
  iv[8]! ^= (hi >>> 8) & 0xff;
  iv[9]! ^= hi & 0xff;
  iv[10]! ^= lo >>> 24;
  iv[11]! ^= (lo >>> 16) & 0xff;
  iv[12]! ^= (lo >>> 8) & 0xff;
  iv[13]! ^= lo & 0xff;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
