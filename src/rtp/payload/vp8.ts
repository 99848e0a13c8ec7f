/**
 * VP8 (RFC 7741). The payloader writes the extended descriptor with a 15-bit PictureID that increments per
 * frame (as libwebrtc and aiortc do); the depayloader accepts every descriptor form the RFC allows.
 *
 *   X R N S R PID | I L T K RSV | M PictureID(7 or 15) | TL0PICIDX | TID Y KEYIDX
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

export interface Vp8Descriptor {
  start: boolean;
  partitionId: number;
  nonReference: boolean;
  pictureId: number | undefined;
  /** Bytes taken by the descriptor: the VP8 data starts here. */
  size: number;
}

/** Parse the payload descriptor; null if the payload is too short for what its flags announce. */
export function parseVp8Descriptor(p: Uint8Array): Vp8Descriptor | null {
  if (p.byteLength < 1) return null;
  const b0 = p[0]!;
  let pos = 1;
  let pictureId: number | undefined;
  if (b0 & 0x80) {
    if (p.byteLength < 2) return null;
    const b1 = p[1]!;
    pos = 2;
    if (b1 & 0x80) {
      if (p.byteLength < pos + 1) return null;
      if (p[pos]! & 0x80) {
        if (p.byteLength < pos + 2) return null;
        pictureId = ((p[pos]! & 0x7f) << 8) | p[pos + 1]!;
        pos += 2;
      } else {
        pictureId = p[pos]! & 0x7f;
        pos += 1;
      }
    }
    if (b1 & 0x40) pos += 1; // TL0PICIDX
    if (b1 & 0x30) pos += 1; // TID/Y/KEYIDX
  }
  if (pos >= p.byteLength) return null; // a descriptor with no VP8 data after it
  return {
    start: (b0 & 0x10) !== 0,
    partitionId: b0 & 0x07,
    nonReference: (b0 & 0x20) !== 0,
    pictureId,
    size: pos,
  };
}

export class Vp8Payloader implements Payloader {
  private pictureId: number;

  constructor(
    readonly maxPayloadSize = DEFAULT_MAX_PAYLOAD_SIZE,
    initialPictureId = randomIntBelow(0x8000),
  ) {
    this.pictureId = initialPictureId & 0x7fff;
  }

  packetize(frame: Uint8Array): RtpPayloadChunk[] {
    if (frame.byteLength === 0) return [];
    const descriptorSize = 4;
    const sizes = balancedSizes(frame.byteLength, this.maxPayloadSize - descriptorSize);
    const out: RtpPayloadChunk[] = [];
    let offset = 0;
    sizes.forEach((size, i) => {
      const payload = new Uint8Array(descriptorSize + size);
      payload[0] = 0x80 | (i === 0 ? 0x10 : 0); // X, S on the first packet, PID 0
      payload[1] = 0x80; // I: PictureID present
      payload[2] = 0x80 | (this.pictureId >> 8); // M: 15-bit PictureID
      payload[3] = this.pictureId & 0xff;
      payload.set(frame.subarray(offset, offset + size), descriptorSize);
      offset += size;
      out.push({ payload, marker: i === sizes.length - 1 });
    });
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    return out;
  }
}

export class Vp8Depayloader implements Depayloader {
  inspect(payload: Uint8Array): PayloadInfo | null {
    const d = parseVp8Descriptor(payload);
    if (!d) return null;
    const frameStart = d.start && d.partitionId === 0;
    // The P bit of the VP8 frame tag (RFC 7741 §4.3) is 0 for a keyframe.
    return { frameStart, keyframe: frameStart && (payload[d.size]! & 0x01) === 0 };
  }

  depacketize(packets: readonly RtpPacketLike[]): Uint8Array | null {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < packets.length; i++) {
      const d = parseVp8Descriptor(packets[i]!.payload);
      if (!d) return null;
      if (i === 0 && !(d.start && d.partitionId === 0)) return null;
      parts.push(packets[i]!.payload.subarray(d.size));
    }
    return parts.length ? concat(parts) : null;
  }
}
