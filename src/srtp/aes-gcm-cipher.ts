/**
 * AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714) for SRTP and SRTCP.
 *
 * Three engines that give identical bytes. With the native addon (src/common/native.ts) one OpenSSL GCM
 * context per session key is re-nonced per packet and works in place: it takes every packet. Without it,
 * the JavaScript engine runs GHASH (ghash.ts) over a reused AES-ECB keystream (J0, J0+1, … in one call,
 * batched across a stream's packets), and a `node:crypto` GCM object per packet (Node cannot re-IV one:
 * ≈ 2 µs to create, and its finalisation loads the GC) takes packets above `jsMaxLength` (default 1,500;
 * measured under sustained load, the JavaScript engine is faster up to about 900 bytes and even at 1,200).
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { addonFor, type CipherEngine, INLINE_AAD, NativeAead } from '../common/native.js';
import { AesCmKeystream, type IvSource, type KeystreamBatch, xorInto } from './aes-cm.js';
import type { SrtpCipher } from './cipher.js';
import { Ghash } from './ghash.js';
import { tagsEqual } from './hmac-sha1.js';
import { deriveSessionKey, LABEL } from './kdf.js';
import type { SrtpProfile } from './profiles.js';

const TAG = 16;
const TRAILER = 4;
/** Default largest encrypted length (bytes) handled by the JavaScript GHASH engine. */
export const GCM_JS_MAX_LENGTH = 1500;

/** Session keys and salts, after key derivation. */
export interface GcmSessionKeys {
  rtpKey: Uint8Array;
  rtpSalt: Uint8Array;
  rtcpKey: Uint8Array;
  rtcpSalt: Uint8Array;
}

/** One session key with the JavaScript and node:crypto engines ready. */
class GcmKey {
  readonly algorithm: 'aes-128-gcm' | 'aes-256-gcm';
  readonly key: KeyObject;
  readonly keystream: AesCmKeystream;
  readonly ghash: Ghash;
  readonly iv = new Uint8Array(12);
  private readonly sum = new Uint8Array(16);

  constructor(
    key: Uint8Array,
    readonly salt: Uint8Array,
  ) {
    this.algorithm = key.byteLength === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
    this.key = createSecretKey(key);
    this.keystream = new AesCmKeystream(key);
    this.ghash = new Ghash(this.keystream.generate(1, 0).slice()); // H = E_K(0^128): IV starts all zero
  }

  /**
   * JavaScript engine. Encrypts (or, after verifying, decrypts) text[offset, offset + length) in place;
   * `aad` is hashed as the associated data. When decrypting, returns false (and leaves the text alone) if
   * the tag at text[tagAt] does not match. `batched` is the keystream from J0 on, when precomputed.
   */
  seal(
    aad: Uint8Array,
    aadOffset: number,
    aadLength: number,
    text: Uint8Array,
    offset: number,
    length: number,
    tagOut: Uint8Array | undefined,
    tagAt: number,
    decrypt: boolean,
    batched?: Uint8Array,
  ): boolean {
    let ks = batched;
    if (!ks) {
      this.keystream.iv.set(this.iv);
      this.keystream.iv.fill(0, 12);
      ks = this.keystream.generate(((length + 15) >>> 4) + 1, 1); // block 0 = E(J0) masks the tag
    }
    const g = this.ghash;
    g.reset();
    g.update(aad, aadOffset, aadLength);
    if (!decrypt) xorInto(text, offset, length, ks, 16);
    g.update(text, offset, length);
    g.finish(aadLength, length, this.sum);
    for (let i = 0; i < 16; i++) this.sum[i]! ^= ks[i]!;
    if (decrypt) {
      if (!tagsEqual(this.sum, text, tagAt, TAG)) return false;
      xorInto(text, offset, length, ks, 16);
    } else {
      tagOut!.set(this.sum, tagAt);
    }
    return true;
  }
}

/** One session key on the native engine: the OpenSSL context (its nonce is the IV) and the salt. */
interface NativeGcmKey {
  readonly aead: NativeAead;
  readonly salt: Uint8Array;
}

export interface AesGcmCipherOptions {
  /** Without the addon: largest encrypted length handled by the JavaScript GHASH engine. */
  jsMaxLength?: number;
  /** 'auto' (the addon when TSRTC_NATIVE allows and it loads), 'native' (required) or 'typescript'. */
  engine?: CipherEngine;
}

export class AesGcmCipher implements SrtpCipher, IvSource {
  readonly rtpTagLength = TAG;
  readonly rtcpOverhead = TAG + TRAILER;
  readonly protectHeadroom = 0;
  /** Native engine, when in use; otherwise the JavaScript/node:crypto keys below. */
  private readonly nativeRtp: NativeGcmKey | undefined;
  private readonly nativeRtcp: NativeGcmKey | undefined;
  private readonly rtp: GcmKey | undefined;
  private readonly rtcp: GcmKey | undefined;
  private readonly aad = new Uint8Array(12);
  /** Native, unencrypted SRTCP: the AAD (packet and trailer) and tag gathered into one buffer. */
  private gather = new Uint8Array(0);
  private readonly jsMaxLength: number;

  constructor(keys: GcmSessionKeys, options: AesGcmCipherOptions = {}) {
    const k = keys.rtpKey.byteLength;
    if ((k !== 16 && k !== 32) || keys.rtcpKey.byteLength !== k)
      throw new RangeError('GCM keys must be 16 or 32 bytes');
    if (keys.rtpSalt.byteLength !== 12 || keys.rtcpSalt.byteLength !== 12)
      throw new RangeError('GCM salts are 12 bytes');
    const addon = addonFor(options.engine);
    const algorithm = k === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
    if (addon) {
      this.nativeRtp = { aead: new NativeAead(addon, algorithm, keys.rtpKey), salt: keys.rtpSalt.slice() };
      this.nativeRtcp = { aead: new NativeAead(addon, algorithm, keys.rtcpKey), salt: keys.rtcpSalt.slice() };
    } else {
      this.rtp = new GcmKey(keys.rtpKey, keys.rtpSalt.slice());
      this.rtcp = new GcmKey(keys.rtcpKey, keys.rtcpSalt.slice());
    }
    this.jsMaxLength = options.jsMaxLength ?? GCM_JS_MAX_LENGTH;
  }

  /** Derive the session keys from a master key and salt (RFC 7714 §11). */
  static fromMaster(
    profile: SrtpProfile,
    masterKey: Uint8Array,
    masterSalt: Uint8Array,
    jsMaxLength?: number,
    engine?: CipherEngine,
  ): AesGcmCipher {
    const k = profile.masterKeyLength;
    return new AesGcmCipher(
      {
        rtpKey: deriveSessionKey(masterKey, masterSalt, LABEL.RTP_ENCRYPTION, k),
        rtpSalt: deriveSessionKey(masterKey, masterSalt, LABEL.RTP_SALT, 12),
        rtcpKey: deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_ENCRYPTION, k),
        rtcpSalt: deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_SALT, 12),
      },
      { jsMaxLength, engine },
    );
  }

  /** True when packets go through the native addon. */
  get isNative(): boolean {
    return this.nativeRtp !== undefined;
  }

  /** IvSource for batched RTP keystream (JavaScript engine): the 12-byte IV then a zero counter word. */
  writeIv(ssrc: number, index: number, iv: Uint8Array): void {
    rtpIv(iv, this.rtp!.salt, ssrc, index);
    iv.fill(0, 12, 16);
  }

  private rtpKeystream(textLength: number, ssrc: number, index: number, batch: KeystreamBatch | undefined) {
    return batch
      ? this.rtp!.keystream.batched(batch, this, ssrc, index, ((textLength + 15) >>> 4) + 1, 1)
      : undefined;
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
    const textLength = length - headerLength;
    const native = this.nativeRtp;
    if (native) {
      rtpIv(native.aead.nonce, native.salt, ssrc, index);
      native.aead.seal(out, start + headerLength, textLength, undefined, 0, start, headerLength);
      return length + TAG;
    }
    const key = this.rtp!;
    const iv = rtpIv(key.iv, key.salt, ssrc, index);
    if (textLength <= this.jsMaxLength) {
      const ks = this.rtpKeystream(textLength, ssrc, index, batch);
      key.seal(
        out,
        start,
        headerLength,
        out,
        start + headerLength,
        textLength,
        out,
        start + length,
        false,
        ks,
      );
      return length + TAG;
    }
    const c = createCipheriv(key.algorithm, key.key, iv, { authTagLength: TAG });
    c.setAAD(out.subarray(start, start + headerLength));
    out.set(c.update(out.subarray(start + headerLength, start + length)), start + headerLength);
    c.final();
    out.set(c.getAuthTag(), start + length);
    return length + TAG;
  }

  /**
   * Native engine only (`isNative`): protect src[0, length) into out[0, length + 16) without copying it
   * first: the header is copied, the payload sealed from `src` straight into `out`. Same bytes as
   * protectRtp; `src` is not modified.
   */
  protectRtpFrom(
    src: Uint8Array,
    out: Uint8Array,
    headerLength: number,
    length: number,
    ssrc: number,
    index: number,
  ): number {
    const native = this.nativeRtp!;
    for (let i = 0; i < headerLength; i++) out[i] = src[i]!;
    rtpIv(native.aead.nonce, native.salt, ssrc, index);
    native.aead.seal(src, headerLength, length - headerLength, out, headerLength, 0, headerLength);
    return length + TAG;
  }

  unprotectRtp(
    packet: Uint8Array,
    headerLength: number,
    length: number,
    ssrc: number,
    index: number,
    batch?: KeystreamBatch,
  ): number {
    const end = length - TAG;
    const textLength = end - headerLength;
    if (textLength < 0) return -1;
    const native = this.nativeRtp;
    if (native) {
      rtpIv(native.aead.nonce, native.salt, ssrc, index);
      return native.aead.open(packet, headerLength, textLength, undefined, 0, 0, headerLength) ? end : -1;
    }
    const key = this.rtp!;
    if (textLength <= this.jsMaxLength) {
      const ks = this.rtpKeystream(textLength, ssrc, index, batch);
      rtpIv(key.iv, key.salt, ssrc, index);
      return key.seal(packet, 0, headerLength, packet, headerLength, textLength, undefined, end, true, ks)
        ? end
        : -1;
    }
    const d = createDecipheriv(key.algorithm, key.key, rtpIv(key.iv, key.salt, ssrc, index), {
      authTagLength: TAG,
    });
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
    const native = this.nativeRtcp;
    if (native) {
      const aad = native.aead.aad;
      for (let i = 0; i < 8; i++) aad[i] = out[start + i]!;
      writeU32(aad, 8, trailer);
      rtcpIv(native.aead.nonce, native.salt, ssrc, index);
      native.aead.seal(out, start + 8, length - 8, undefined, 0, INLINE_AAD, 12);
    } else {
      const key = this.rtcp!;
      const iv = rtcpIv(key.iv, key.salt, ssrc, index);
      this.aad.set(out.subarray(start, start + 8));
      writeU32(this.aad, 8, trailer);
      if (length - 8 <= this.jsMaxLength) {
        key.seal(this.aad, 0, 12, out, start + 8, length - 8, out, start + length, false);
      } else {
        const c = createCipheriv(key.algorithm, key.key, iv, { authTagLength: TAG });
        c.setAAD(this.aad);
        out.set(c.update(out.subarray(start + 8, start + length)), start + 8);
        c.final();
        out.set(c.getAuthTag(), start + length);
      }
    }
    writeU32(out, start + length + TAG, trailer);
    return length + TAG + TRAILER;
  }

  unprotectRtcp(packet: Uint8Array, length: number, ssrc: number, index: number, encrypted: boolean): number {
    const tagAt = length - TRAILER - TAG;
    if (tagAt < 8) return -1;
    const native = this.nativeRtcp;
    if (native) {
      const aead = native.aead;
      rtcpIv(aead.nonce, native.salt, ssrc, index);
      if (encrypted) {
        for (let i = 0; i < 8; i++) aead.aad[i] = packet[i]!;
        for (let i = 0; i < 4; i++) aead.aad[8 + i] = packet[length - TRAILER + i]!;
        return aead.open(packet, 8, tagAt - 8, undefined, 0, INLINE_AAD, 12) ? tagAt : -1;
      }
      // RFC 7714 §9.2: the whole packet and the trailer are the AAD; gather them before the tag.
      const need = tagAt + TRAILER + TAG;
      if (this.gather.byteLength < need) this.gather = new Uint8Array(Math.max(need, 1500));
      const g = this.gather;
      g.set(packet.subarray(0, tagAt), 0);
      g.set(packet.subarray(length - TRAILER, length), tagAt);
      g.set(packet.subarray(tagAt, tagAt + TAG), tagAt + TRAILER);
      return aead.open(g, tagAt + TRAILER, 0, undefined, 0, 0, tagAt + TRAILER) ? tagAt : -1;
    }
    const key = this.rtcp!;
    const iv = rtcpIv(key.iv, key.salt, ssrc, index);
    if (encrypted && tagAt - 8 <= this.jsMaxLength) {
      this.aad.set(packet.subarray(0, 8));
      this.aad.set(packet.subarray(length - TRAILER, length), 8);
      return key.seal(this.aad, 0, 12, packet, 8, tagAt - 8, undefined, tagAt, true) ? tagAt : -1;
    }
    const d = createDecipheriv(key.algorithm, key.key, iv, { authTagLength: TAG });
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

/** RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt, written into `iv` (12 bytes). */
function rtpIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  for (let i = 0; i < 12; i++) iv[i] = salt[i]!;
  xorU32(iv, 2, ssrc);
  xorU32(iv, 6, Math.floor(index / 0x10000));
  iv[10]! ^= (index >>> 8) & 0xff;
  iv[11]! ^= index & 0xff;
  return iv;
}

/** RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt. */
function rtcpIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  for (let i = 0; i < 12; i++) iv[i] = salt[i]!;
  xorU32(iv, 2, ssrc);
  xorU32(iv, 8, index & 0x7fffffff);
  return iv;
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
