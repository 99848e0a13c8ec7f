/** AES_CM_128_HMAC_SHA1_80 / _32 (RFC 3711 §4.1.1, §4.2.1) for SRTP and SRTCP. */
import { AesCmKeystream, type IvSource, type KeystreamBatch, xorInto } from './aes-cm.js';
import type { SrtpCipher } from './cipher.js';
import { HmacSha1, tagsEqual } from './hmac-sha1.js';
import { deriveSessionKey, LABEL } from './kdf.js';
import type { SrtpProfile } from './profiles.js';

const TRAILER = 4; // E flag + 31-bit SRTCP index

export class AesCmHmacCipher implements SrtpCipher, IvSource {
  readonly rtpTagLength: number;
  readonly rtcpOverhead: number;
  private readonly rtcpTagLength: number;
  private readonly rtpKeystream: AesCmKeystream;
  private readonly rtcpKeystream: AesCmKeystream;
  private readonly rtpSalt: Uint8Array;
  private readonly rtcpSalt: Uint8Array;
  private readonly rtpMac: HmacSha1;
  private readonly rtcpMac: HmacSha1;
  private readonly roc = new Uint8Array(4);

  constructor(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array) {
    const k = profile.masterKeyLength;
    this.rtpTagLength = profile.rtpTagLength;
    this.rtcpTagLength = profile.rtcpTagLength;
    this.rtcpOverhead = profile.rtcpTagLength + TRAILER;
    this.rtpKeystream = new AesCmKeystream(deriveSessionKey(masterKey, masterSalt, LABEL.RTP_ENCRYPTION, k));
    this.rtcpKeystream = new AesCmKeystream(
      deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_ENCRYPTION, k),
    );
    this.rtpSalt = deriveSessionKey(masterKey, masterSalt, LABEL.RTP_SALT, 14);
    this.rtcpSalt = deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_SALT, 14);
    this.rtpMac = new HmacSha1(
      deriveSessionKey(masterKey, masterSalt, LABEL.RTP_AUTH, profile.authKeyLength),
    );
    this.rtcpMac = new HmacSha1(
      deriveSessionKey(masterKey, masterSalt, LABEL.RTCP_AUTH, profile.authKeyLength),
    );
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
    if (batch) {
      xorInto(
        data,
        offset,
        length,
        this.rtpKeystream.batched(batch, this, ssrc, index, (length + 15) >>> 4, 0),
      );
    } else {
      setIv(this.rtpKeystream.iv, this.rtpSalt, ssrc, index);
      this.rtpKeystream.xorInPlace(data, offset, length);
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
    this.rtpKeystreamXor(out, start + headerLength, length - headerLength, ssrc, index, batch);
    writeU32(out, start + length, Math.floor(index / 0x10000)); // ROC is authenticated, not sent
    const mac = this.rtpMac.macWithHeadroom(out, start, start + length + 4);
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
    writeU32(this.roc, 0, Math.floor(index / 0x10000));
    const mac = this.rtpMac.mac(packet.subarray(0, authEnd), this.roc);
    if (!tagsEqual(mac, packet, authEnd, this.rtpTagLength)) return -1;
    this.rtpKeystreamXor(packet, headerLength, authEnd - headerLength, ssrc, index, batch);
    return authEnd;
  }

  protectRtcp(out: Uint8Array, start: number, length: number, ssrc: number, index: number): number {
    setIv(this.rtcpKeystream.iv, this.rtcpSalt, ssrc, index);
    this.rtcpKeystream.xorInPlace(out, start + 8, length - 8);
    writeU32(out, start + length, (0x80000000 | index) >>> 0);
    const mac = this.rtcpMac.macWithHeadroom(out, start, start + length + TRAILER);
    out.set(mac.subarray(0, this.rtcpTagLength), start + length + TRAILER);
    return length + this.rtcpOverhead;
  }

  unprotectRtcp(packet: Uint8Array, length: number, ssrc: number, index: number, encrypted: boolean): number {
    const authEnd = length - this.rtcpTagLength;
    const mac = this.rtcpMac.mac(packet.subarray(0, authEnd));
    if (!tagsEqual(mac, packet, authEnd, this.rtcpTagLength)) return -1;
    const plainEnd = authEnd - TRAILER;
    if (encrypted) {
      setIv(this.rtcpKeystream.iv, this.rtcpSalt, ssrc, index);
      this.rtcpKeystream.xorInPlace(packet, 8, plainEnd - 8);
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
