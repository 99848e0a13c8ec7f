/**
 * AV1 (the AOM "RTP Payload Format for AV1"). Frames are temporal units in the low-overhead bitstream format
 * (OBUs with size fields). The payloader drops temporal delimiters, tile lists and padding, strips size fields,
 * and writes every OBU element with a LEB128 length (W=0), fragmenting across packets with Z/Y. The depayloader
 * accepts any W, restores size fields and prefixes a temporal delimiter, which decoders expect.
 *
 *   aggregation header: Z Y W(2) N RSV(3)
 */
import {
  concat,
  DEFAULT_MAX_PAYLOAD_SIZE,
  type Depayloader,
  type Payloader,
  type PayloadInfo,
  type RtpPacketLike,
  type RtpPayloadChunk,
} from './types.js';

const OBU_SEQUENCE_HEADER = 1;
const OBU_TEMPORAL_DELIMITER = 2;
const OBU_TILE_LIST = 8;
const OBU_PADDING = 15;
const TEMPORAL_DELIMITER = new Uint8Array([(OBU_TEMPORAL_DELIMITER << 3) | 0x02, 0]);

/** Read an unsigned LEB128 (at most 8 bytes, value below 2^53); null when truncated or too long. */
export function readLeb128(b: Uint8Array, pos: number): { value: number; size: number } | null {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (pos + i >= b.byteLength) return null;
    const byte = b[pos + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (!(byte & 0x80)) return { value, size: i + 1 };
  }
  return null;
}

export function writeLeb128(value: number): Uint8Array {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Uint8Array.from(out);
}

interface Obu {
  type: number;
  /** Header (and extension byte) with the has_size bit cleared, followed by the payload. */
  element: Uint8Array;
  headerSize: number;
}

/** OBUs of a low-overhead-format temporal unit; null when malformed. */
export function parseObus(tu: Uint8Array): Obu[] | null {
  const obus: Obu[] = [];
  let pos = 0;
  while (pos < tu.byteLength) {
    const h = tu[pos]!;
    if (h & 0x80) return null; // forbidden bit
    const ext = (h & 0x04) !== 0;
    const headerSize = ext ? 2 : 1;
    if (pos + headerSize > tu.byteLength) return null;
    let payloadStart = pos + headerSize;
    let payloadSize = tu.byteLength - payloadStart;
    if (h & 0x02) {
      const leb = readLeb128(tu, payloadStart);
      if (!leb || payloadStart + leb.size + leb.value > tu.byteLength) return null;
      payloadStart += leb.size;
      payloadSize = leb.value;
    }
    const element = new Uint8Array(headerSize + payloadSize);
    element[0] = h & ~0x02;
    if (ext) element[1] = tu[pos + 1]!;
    element.set(tu.subarray(payloadStart, payloadStart + payloadSize), headerSize);
    obus.push({ type: (h >> 3) & 0x0f, element, headerSize });
    pos = payloadStart + payloadSize;
  }
  return obus;
}

export class Av1Payloader implements Payloader {
  constructor(readonly maxPayloadSize = DEFAULT_MAX_PAYLOAD_SIZE) {}

  packetize(frame: Uint8Array): RtpPayloadChunk[] {
    const obus = parseObus(frame);
    if (!obus) throw new RangeError('AV1 temporal unit is malformed');
    const elements = obus.filter(
      (o) => o.type !== OBU_TEMPORAL_DELIMITER && o.type !== OBU_TILE_LIST && o.type !== OBU_PADDING,
    );
    if (elements.length === 0) return [];
    const newSequence = elements.some((o) => o.type === OBU_SEQUENCE_HEADER);
    const packets: { z: boolean; y: boolean; parts: Uint8Array[] }[] = [];
    let current = { z: false, y: false, parts: [] as Uint8Array[] };
    let used = 1;
    for (const { element } of elements) {
      let offset = 0;
      while (offset < element.byteLength) {
        const space = this.maxPayloadSize - used;
        if (space < 3) {
          packets.push(current);
          current = { z: offset > 0, y: false, parts: [] };
          used = 1;
          continue;
        }
        const remaining = element.byteLength - offset;
        let take = Math.min(remaining, space - 1);
        while (take > 0 && writeLeb128(take).byteLength + take > space) take--;
        const length = writeLeb128(take);
        current.parts.push(length, element.subarray(offset, offset + take));
        used += length.byteLength + take;
        offset += take;
        if (offset < element.byteLength) {
          current.y = true;
          packets.push(current);
          current = { z: true, y: false, parts: [] };
          used = 1;
        }
      }
    }
    if (current.parts.length) packets.push(current);
    return packets.map((p, i) => {
      const header = (p.z ? 0x80 : 0) | (p.y ? 0x40 : 0) | (i === 0 && newSequence ? 0x08 : 0);
      return { payload: concat([new Uint8Array([header]), ...p.parts]), marker: i === packets.length - 1 };
    });
  }
}

/** The OBU elements of one packet (views); null when malformed. */
function parseElements(p: Uint8Array): Uint8Array[] | null {
  if (p.byteLength < 2) return null;
  const w = (p[0]! >> 4) & 0x03;
  const elements: Uint8Array[] = [];
  let pos = 1;
  while (pos < p.byteLength) {
    const isLastWithoutLength = w !== 0 && elements.length === w - 1;
    let size: number;
    if (isLastWithoutLength) {
      size = p.byteLength - pos;
    } else {
      const leb = readLeb128(p, pos);
      if (!leb) return null;
      pos += leb.size;
      size = leb.value;
    }
    if (pos + size > p.byteLength) return null;
    elements.push(p.subarray(pos, pos + size));
    pos += size;
    if (w !== 0 && elements.length === w) break;
  }
  if (pos !== p.byteLength || elements.length === 0) return null;
  return elements;
}

export class Av1Depayloader implements Depayloader {
  inspect(payload: Uint8Array): PayloadInfo | null {
    if (!parseElements(payload)) return null;
    return { frameStart: (payload[0]! & 0x80) === 0, keyframe: (payload[0]! & 0x08) !== 0 };
  }

  depacketize(packets: readonly RtpPacketLike[]): Uint8Array | null {
    const out: Uint8Array[] = [TEMPORAL_DELIMITER];
    let pending: Uint8Array[] | null = null;
    for (const packet of packets) {
      const elements = parseElements(packet.payload);
      if (!elements) return null;
      const z = (packet.payload[0]! & 0x80) !== 0;
      const y = (packet.payload[0]! & 0x40) !== 0;
      if (z !== (pending !== null)) return null; // a continuation without its start, or a start that never ended
      for (let i = 0; i < elements.length; i++) {
        const parts: Uint8Array[] = pending ?? [];
        parts.push(elements[i]!);
        pending = null;
        if (i === elements.length - 1 && y) {
          pending = parts;
          break;
        }
        const obu = withSizeField(concat(parts));
        if (!obu) return null;
        out.push(obu);
      }
    }
    if (pending || out.length === 1) return null;
    return concat(out);
  }
}

/** An RTP OBU element back in the low-overhead format: has_size set and a LEB128 size after the header. */
function withSizeField(element: Uint8Array): Uint8Array | null {
  if (element.byteLength < 1 || element[0]! & 0x80) return null;
  const headerSize = element[0]! & 0x04 ? 2 : 1;
  if (element.byteLength < headerSize) return null;
  const payload = element.subarray(headerSize);
  const header = element.slice(0, headerSize);
  header[0] = header[0]! | 0x02;
  return concat([header, writeLeb128(payload.byteLength), payload]);
}
