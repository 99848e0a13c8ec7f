/**
 * AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714) for SRTP and SRTCP. Node cannot re-key a GCM object with
 * a new IV, so this costs one cipher object per packet; the key is a KeyObject made once.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import type { SrtpCipher } from './cipher.js';
import { deriveSessionKey, LABEL } from './kdf.js';
import type { SrtpProfile } from './profiles.js';

const TAG = 16;

/** Session keys and salts, after key derivation. */
export interface GcmSessionKeys {
  rtpKey: Uint8Array;
  rtpSalt: Uint8Array;
  rtcpKey: Uint8Array;
  rtcpSalt: Uint8Array;
}
const TRAILER = 4;

export class AesGcmCipher implements SrtpCipher {
  readonly rtpTagLength = TAG;
  readonly rtcpOverhead = TAG + TRAILER;
  private readonly algorithm: 'aes-128-gcm' | 'aes-256-gcm';
  private readonly rtpKey: KeyObject;
  private readonly rtcpKey: KeyObject;
  private readonly rtpSalt: Uint8Array;
  private readonly rtcpSalt: Uint8Array;
  private readonly iv = new Uint8Array(12);
  private readonly aad = new Uint8Array(12);

  constructor(keys: GcmSessionKeys) {
    const k = keys.rtpKey.byteLength;
    if ((k !== 16 && k !== 32) || keys.rtcpKey.byteLength !== k)
      throw new RangeError('GCM keys must be 16 or 32 bytes');
    if (keys.rtpSalt.byteLength !== 12 || keys.rtcpSalt.byteLength !== 12)
      throw new RangeError('GCM salts are 12 bytes');
    this.algorithm = k === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
    this.rtpKey = createSecretKey(keys.rtpKey);
    this.rtcpKey = createSecretKey(keys.rtcpKey);
    this.rtpSalt = keys.rtpSalt.slice();
    this.rtcpSalt = keys.rtcpSalt.slice();
  }

  /** Derive the session keys from a master key and salt (RFC 7714 §11). */
  static fromMaster(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array): AesGcmCipher {
    const k = profile.masterKeyLength;
    return new AesGcmCipher({
      rtpKey: deriveSessionKey(masterKey, masterSalt, LABEL.RTP_ENCRYPTION, k),
      rtpSalt: deriveSessionKey(masterKey, masterSalt, LABEL.RTP_SALT, 12),
      rtcpKey: deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_ENCRYPTION, k),
      rtcpSalt: deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_SALT, 12),
    });
  }

  /** RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt. */
  private rtpIv(ssrc: number, index: number): Uint8Array {
    const iv = this.iv;
    const roc = Math.floor(index / 0x10000);
    iv.set(this.rtpSalt);
    xorU32(iv, 2, ssrc);
    xorU32(iv, 6, roc);
    iv[10]! ^= (index >>> 8) & 0xff;
    iv[11]! ^= index & 0xff;
    return iv;
  }

  /** RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt. */
  private rtcpIv(ssrc: number, index: number): Uint8Array {
    const iv = this.iv;
    iv.set(this.rtcpSalt);
    xorU32(iv, 2, ssrc);
    xorU32(iv, 8, index & 0x7fffffff);
    return iv;
  }

  protectRtp(
    out: Uint8Array,
    start: number,
    headerLength: number,
    length: number,
    ssrc: number,
    index: number,
  ): number {
    const c = createCipheriv(this.algorithm, this.rtpKey, this.rtpIv(ssrc, index), { authTagLength: TAG });
    c.setAAD(out.subarray(start, start + headerLength));
    out.set(c.update(out.subarray(start + headerLength, start + length)), start + headerLength);
    c.final();
    out.set(c.getAuthTag(), start + length);
    return length + TAG;
  }

  unprotectRtp(
    packet: Uint8Array,
    headerLength: number,
    length: number,
    ssrc: number,
    index: number,
  ): number {
    const end = length - TAG;
    const d = createDecipheriv(this.algorithm, this.rtpKey, this.rtpIv(ssrc, index), { authTagLength: TAG });
    d.setAAD(packet.subarray(0, headerLength));
    d.setAuthTag(packet.subarray(end, length));
    const plain = d.update(packet.subarray(headerLength, end));
    try {
      d.final();
    } catch {
      return -1;
    }
    packet.set(plain, headerLength);
    return end;
  }

  protectRtcp(out: Uint8Array, start: number, length: number, ssrc: number, index: number): number {
    const trailer = (0x80000000 | index) >>> 0;
    const c = createCipheriv(this.algorithm, this.rtcpKey, this.rtcpIv(ssrc, index), { authTagLength: TAG });
    this.aad.set(out.subarray(start, start + 8));
    writeU32(this.aad, 8, trailer);
    c.setAAD(this.aad);
    out.set(c.update(out.subarray(start + 8, start + length)), start + 8);
    c.final();
    out.set(c.getAuthTag(), start + length);
    writeU32(out, start + length + TAG, trailer);
    return length + TAG + TRAILER;
  }

  unprotectRtcp(packet: Uint8Array, length: number, ssrc: number, index: number, encrypted: boolean): number {
    const tagAt = length - TRAILER - TAG;
    const d = createDecipheriv(this.algorithm, this.rtcpKey, this.rtcpIv(ssrc, index), {
      authTagLength: TAG,
    });
    d.setAuthTag(packet.subarray(tagAt, tagAt + TAG));
    if (encrypted) {
      this.aad.set(packet.subarray(0, 8));
      this.aad.set(packet.subarray(length - TRAILER, length), 8);
      d.setAAD(this.aad);
      const plain = d.update(packet.subarray(8, tagAt));
      try {
        d.final();
      } catch {
        return -1;
      }
      packet.set(plain, 8);
    } else {
      // RFC 7714 §9.2: unencrypted SRTCP authenticates the whole packet and the trailer as AAD
      d.setAAD(packet.subarray(0, tagAt));
      d.setAAD(packet.subarray(length - TRAILER, length));
      try {
        d.final();
      } catch {
        return -1;
      }
    }
    return tagAt;
  }
}

function xorU32(b: Uint8Array, at: number, v: number): void {
  b[at]! ^= v >>> 24;
  b[at + 1]! ^= (v >>> 16) & 0xff;
  b[at + 2]! ^= (v >>> 8) & 0xff;
  b[at + 3]! ^= v & 0xff;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
