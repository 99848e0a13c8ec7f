/**
 * H.264 (RFC 6184). Packetization-mode 1: single NAL unit packets, STAP-A aggregation of small NAL units
 * (SPS/PPS with the IDR slice) and FU-A fragmentation in balanced sizes. Packetization-mode 0: one NAL unit
 * per packet, nothing else (the encoder keeps slices within a packet). Frames are Annex B access units
 * (start-code separated NAL units) on both sides.
 */
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

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_AUD = 9;
const NAL_STAP_A = 24;
const NAL_FU_A = 28;
const START_CODE = new Uint8Array([0, 0, 0, 1]);
/** STAP-A of at most this many NAL units (aiortc uses 9); keeps worst-case parse work bounded. */
const MAX_STAP_NALUS = 9;

/** NAL units of an Annex B byte stream, without start codes (views into `stream`). */
export function splitAnnexB(stream: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  const n = stream.byteLength;
  let i = 0;
  let start = -1;
  while (i + 2 < n) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      if (start >= 0) {
        let end = i;
        while (end > start && stream[end - 1] === 0) end--; // trailing zero of a 4-byte start code
        if (end > start) units.push(stream.subarray(start, end));
      }
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < n) units.push(stream.subarray(start));
  else if (start < 0 && n > 0) units.push(stream); // no start code: one bare NAL unit
  return units;
}

export function isH264Keyframe(accessUnit: Uint8Array): boolean {
  return splitAnnexB(accessUnit).some((u) => {
    const t = u[0]! & 0x1f;
    return t === NAL_IDR || t === NAL_SPS;
  });
}

export class H264Payloader implements Payloader {
  /** NAL units larger than a packet in mode 0 (the encoder was told to keep slices smaller). */
  oversizeUnits = 0;

  constructor(
    readonly maxPayloadSize = DEFAULT_MAX_PAYLOAD_SIZE,
    readonly packetizationMode: 0 | 1 = 1,
  ) {}

  packetize(frame: Uint8Array): RtpPayloadChunk[] {
    const units = splitAnnexB(frame).filter((u) => (u[0]! & 0x1f) !== NAL_AUD);
    if (this.packetizationMode === 0) {
      for (const u of units) if (u.byteLength > this.maxPayloadSize) this.oversizeUnits++;
      return units.map((payload, i) => ({ payload, marker: i === units.length - 1 }));
    }
    const payloads: Uint8Array[] = [];
    let stap: Uint8Array[] = [];
    let stapSize = 1;
    const flushStap = (): void => {
      if (stap.length === 1) payloads.push(stap[0]!);
      else if (stap.length > 1) payloads.push(this.stapA(stap));
      stap = [];
      stapSize = 1;
    };
    for (const unit of units) {
      if (unit.byteLength > this.maxPayloadSize) {
        flushStap();
        payloads.push(...this.fuA(unit));
        continue;
      }
      if (stapSize + 2 + unit.byteLength > this.maxPayloadSize || stap.length >= MAX_STAP_NALUS) flushStap();
      stap.push(unit);
      stapSize += 2 + unit.byteLength;
    }
    flushStap();
    return payloads.map((payload, i) => ({ payload, marker: i === payloads.length - 1 }));
  }

  private stapA(units: Uint8Array[]): Uint8Array {
    let nri = 0;
    for (const u of units) nri = Math.max(nri, u[0]! & 0x60);
    const parts: Uint8Array[] = [new Uint8Array([nri | NAL_STAP_A])];
    for (const u of units) {
      parts.push(new Uint8Array([u.byteLength >> 8, u.byteLength & 0xff]), u);
    }
    return concat(parts);
  }

  private fuA(unit: Uint8Array): Uint8Array[] {
    const header = unit[0]!;
    const body = unit.subarray(1);
    const sizes = balancedSizes(body.byteLength, this.maxPayloadSize - 2);
    const out: Uint8Array[] = [];
    let offset = 0;
    sizes.forEach((size, i) => {
      const p = new Uint8Array(2 + size);
      p[0] = (header & 0xe0) | NAL_FU_A;
      p[1] = (i === 0 ? 0x80 : 0) | (i === sizes.length - 1 ? 0x40 : 0) | (header & 0x1f);
      p.set(body.subarray(offset, offset + size), 2);
      offset += size;
      out.push(p);
    });
    return out;
  }
}

export class H264Depayloader implements Depayloader {
  inspect(payload: Uint8Array): PayloadInfo | null {
    if (payload.byteLength < 1 || payload[0]! & 0x80) return null; // F bit set: a corrupt NAL unit
    const type = payload[0]! & 0x1f;
    if (type >= 1 && type <= 23) return { frameStart: true, keyframe: type === NAL_IDR || type === NAL_SPS };
    if (type === NAL_STAP_A) {
      let keyframe = false;
      let pos = 1;
      while (pos + 2 <= payload.byteLength) {
        const size = (payload[pos]! << 8) | payload[pos + 1]!;
        pos += 2;
        if (size === 0 || pos + size > payload.byteLength) return null;
        const t = payload[pos]! & 0x1f;
        keyframe ||= t === NAL_IDR || t === NAL_SPS;
        pos += size;
      }
      return pos === payload.byteLength ? { frameStart: true, keyframe } : null;
    }
    if (type === NAL_FU_A) {
      if (payload.byteLength < 3) return null;
      const start = (payload[1]! & 0x80) !== 0;
      const t = payload[1]! & 0x1f;
      return { frameStart: start, keyframe: start && (t === NAL_IDR || t === NAL_SPS) };
    }
    return null; // STAP-B, MTAP, FU-B: not used in packetization-mode 1
  }

  depacketize(packets: readonly RtpPacketLike[]): Uint8Array | null {
    const parts: Uint8Array[] = [];
    let fragment: Uint8Array[] | null = null;
    for (const packet of packets) {
      const p = packet.payload;
      if (!this.inspect(p)) return null;
      const type = p[0]! & 0x1f;
      if (type === NAL_FU_A) {
        const start = (p[1]! & 0x80) !== 0;
        const end = (p[1]! & 0x40) !== 0;
        if (start) {
          if (fragment) return null; // previous fragmented unit never ended
          fragment = [START_CODE, new Uint8Array([(p[0]! & 0xe0) | (p[1]! & 0x1f)])];
        } else if (!fragment) {
          return null; // continuation without its start
        }
        fragment.push(p.subarray(2));
        if (end) {
          parts.push(...fragment);
          fragment = null;
        }
        continue;
      }
      if (fragment) return null;
      if (type === NAL_STAP_A) {
        let pos = 1;
        while (pos < p.byteLength) {
          const size = (p[pos]! << 8) | p[pos + 1]!;
          parts.push(START_CODE, p.subarray(pos + 2, pos + 2 + size));
          pos += 2 + size;
        }
      } else {
        parts.push(START_CODE, p);
      }
    }
    if (fragment || parts.length === 0) return null;
    return concat(parts);
  }
}
