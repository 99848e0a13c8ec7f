/**
 * VP9 (RFC 9628). The payloader uses non-flexible mode with one spatial layer: I (15-bit PictureID), P on inter
 * frames, B/E on the first/last packet of a frame. The depayloader accepts flexible mode, layer indices and the
 * scalability structure, skipping what it does not need.
 *
 *   I P L F B E V Z | M PictureID | [TID U SID D | TL0PICIDX] | [P_DIFF…] | [SS]
 */
import { randomIntBelow } from '../../common/random.js';
import {
  balancedSizes,
  concat,
  DEFAULT_MAX_PAYLOAD_SIZE,
  type Depayloader,
  type Payloader,
  type PayloadInfo,
  type RtpPacketLike,
  type RtpPayloadChunk,
} from './types.js';

export interface Vp9Descriptor {
  interPicture: boolean;
  beginning: boolean;
  end: boolean;
  pictureId: number | undefined;
  spatialId: number;
  size: number;
}

/** Parse the payload descriptor; null if it runs past the payload. */
export function parseVp9Descriptor(p: Uint8Array): Vp9Descriptor | null {
  const n = p.byteLength;
  if (n < 1) return null;
  const b0 = p[0]!;
  const I = (b0 & 0x80) !== 0;
  const P = (b0 & 0x40) !== 0;
  const L = (b0 & 0x20) !== 0;
  const F = (b0 & 0x10) !== 0;
  const V = (b0 & 0x02) !== 0;
  let pos = 1;
  let pictureId: number | undefined;
  let spatialId = 0;
  if (I) {
    if (pos >= n) return null;
    if (p[pos]! & 0x80) {
      if (pos + 1 >= n) return null;
      pictureId = ((p[pos]! & 0x7f) << 8) | p[pos + 1]!;
      pos += 2;
    } else {
      pictureId = p[pos]!;
      pos += 1;
    }
  }
  if (L) {
    if (pos >= n) return null;
    spatialId = (p[pos]! >> 1) & 0x07;
    pos += F ? 1 : 2; // TL0PICIDX only in non-flexible mode
  }
  if (F && P) {
    // Up to three reference indices, each with N (another follows) in its low bit.
    for (let i = 0; ; i++) {
      if (pos >= n || i >= 3) return null;
      const more = p[pos]! & 0x01;
      pos += 1;
      if (!more) break;
    }
  }
  if (V) {
    if (pos >= n) return null;
    const ss = p[pos]!;
    const spatialLayers = (ss >> 5) + 1;
    const Y = (ss & 0x10) !== 0;
    const G = (ss & 0x08) !== 0;
    pos += 1;
    if (Y) pos += 4 * spatialLayers;
    if (G) {
      if (pos >= n) return null;
      const groups = p[pos]!;
      pos += 1;
      for (let g = 0; g < groups; g++) {
        if (pos >= n) return null;
        const refs = (p[pos]! >> 2) & 0x03;
        pos += 1 + refs;
      }
    }
  }
  if (pos > n) return null;
  return {
    interPicture: P,
    beginning: (b0 & 0x08) !== 0,
    end: (b0 & 0x04) !== 0,
    pictureId,
    spatialId,
    size: pos,
  };
}

/** A VP9 keyframe: frame_marker 0b10, and a frame_type bit of 0 after the profile bits (VP9 spec §6.2). */
export function isVp9Keyframe(frame: Uint8Array): boolean {
  if (frame.byteLength < 1) return false;
  const b = frame[0]!;
  if (b >> 6 !== 0b10) return false;
  const profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
  // Bit index (from the MSB) of show_existing_frame: after marker and profile, and profile 3's reserved zero.
  const bit = profile === 3 ? 5 : 4;
  if ((b >> (7 - bit)) & 1) return false;
  return ((b >> (6 - bit)) & 1) === 0; // frame_type follows; 0 is KEY_FRAME
}

export class Vp9Payloader implements Payloader {
  private pictureId: number;

  constructor(
    readonly maxPayloadSize = DEFAULT_MAX_PAYLOAD_SIZE,
    initialPictureId = randomIntBelow(0x8000),
  ) {
    this.pictureId = initialPictureId & 0x7fff;
  }

  packetize(frame: Uint8Array): RtpPayloadChunk[] {
    if (frame.byteLength === 0) return [];
    const inter = !isVp9Keyframe(frame);
    const descriptorSize = 3;
    const sizes = balancedSizes(frame.byteLength, this.maxPayloadSize - descriptorSize);
    const out: RtpPayloadChunk[] = [];
    let offset = 0;
    sizes.forEach((size, i) => {
      const payload = new Uint8Array(descriptorSize + size);
      const last = i === sizes.length - 1;
      payload[0] = 0x80 | (inter ? 0x40 : 0) | (i === 0 ? 0x08 : 0) | (last ? 0x04 : 0);
      payload[1] = 0x80 | (this.pictureId >> 8);
      payload[2] = this.pictureId & 0xff;
      payload.set(frame.subarray(offset, offset + size), descriptorSize);
      offset += size;
      out.push({ payload, marker: last });
    });
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    return out;
  }
}

export class Vp9Depayloader implements Depayloader {
  inspect(payload: Uint8Array): PayloadInfo | null {
    const d = parseVp9Descriptor(payload);
    if (!d) return null;
    const frameStart = d.beginning && d.spatialId === 0;
    return { frameStart, keyframe: frameStart && !d.interPicture };
  }

  depacketize(packets: readonly RtpPacketLike[]): Uint8Array | null {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < packets.length; i++) {
      const d = parseVp9Descriptor(packets[i]!.payload);
      if (!d) return null;
      if (i === 0 && !d.beginning) return null;
      const data = packets[i]!.payload.subarray(d.size);
      if (data.byteLength) parts.push(data);
    }
    return parts.length ? concat(parts) : null;
  }
}
