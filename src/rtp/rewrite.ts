/**
 * In-place rewriting of RTP headers for forwarding servers: no parse into objects, no payload copy.
 * Every function validates just enough of the header to stay inside the buffer and returns false
 * (leaving the bytes untouched) when the packet is malformed.
 */
import { isOneByteProfile, isTwoByteProfile } from './header-extensions.js';
import { RTP_HEADER_SIZE } from './packet.js';

function validHeader(p: Uint8Array): boolean {
  return p.byteLength >= RTP_HEADER_SIZE && p[0]! >> 6 === 2;
}

export function rewriteSsrc(packet: Uint8Array, ssrc: number): boolean {
  if (!validHeader(packet)) return false;
  packet[8] = ssrc >>> 24;
  packet[9] = (ssrc >>> 16) & 0xff;
  packet[10] = (ssrc >>> 8) & 0xff;
  packet[11] = ssrc & 0xff;
  return true;
}

export function rewritePayloadType(packet: Uint8Array, payloadType: number): boolean {
  if (!validHeader(packet)) return false;
  packet[1] = (packet[1]! & 0x80) | (payloadType & 0x7f);
  return true;
}

export function rewriteSequenceNumber(packet: Uint8Array, sequenceNumber: number): boolean {
  if (!validHeader(packet)) return false;
  packet[2] = (sequenceNumber >>> 8) & 0xff;
  packet[3] = sequenceNumber & 0xff;
  return true;
}

export function rewriteTimestamp(packet: Uint8Array, timestamp: number): boolean {
  if (!validHeader(packet)) return false;
  packet[4] = timestamp >>> 24;
  packet[5] = (timestamp >>> 16) & 0xff;
  packet[6] = (timestamp >>> 8) & 0xff;
  packet[7] = timestamp & 0xff;
  return true;
}

/** Offset and length of the payload (excluding padding), or undefined when malformed. */
export function payloadBounds(packet: Uint8Array): { offset: number; length: number } | undefined {
  const start = payloadOffset(packet);
  if (start < 0) return undefined;
  let end = packet.byteLength;
  if (packet[0]! & 0x20) {
    const pad = packet[end - 1]!;
    if (pad === 0 || start + pad > end) return undefined;
    end -= pad;
  }
  return { offset: start, length: end - start };
}

/** Offset of the payload (CSRCs and extension block skipped), or -1 when malformed. */
export function payloadOffset(packet: Uint8Array): number {
  if (!validHeader(packet)) return -1;
  let at = RTP_HEADER_SIZE + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (at + 4 > packet.byteLength) return -1;
    at += 4 + ((packet[at + 2]! << 8) | packet[at + 3]!) * 4;
  }
  return at > packet.byteLength ? -1 : at;
}

/**
 * Locate an RFC 8285 extension element's data: returns [offset, length] in `packet`, or undefined when
 * absent or malformed. The result can be read or overwritten in place.
 */
export function findExtension(packet: Uint8Array, id: number): [offset: number, length: number] | undefined {
  if (!validHeader(packet) || !(packet[0]! & 0x10)) return undefined;
  const extStart = RTP_HEADER_SIZE + (packet[0]! & 0x0f) * 4;
  if (extStart + 4 > packet.byteLength) return undefined;
  const profile = (packet[extStart]! << 8) | packet[extStart + 1]!;
  let at = extStart + 4;
  const end = at + ((packet[extStart + 2]! << 8) | packet[extStart + 3]!) * 4;
  if (end > packet.byteLength) return undefined;
  const oneByte = isOneByteProfile(profile);
  if (!oneByte && !isTwoByteProfile(profile)) return undefined;
  while (at < end) {
    const b = packet[at]!;
    if (b === 0 || (oneByte && b >> 4 === 0)) {
      at++;
      continue;
    }
    let elemId: number;
    let len: number;
    if (oneByte) {
      elemId = b >> 4;
      if (elemId === 15) return undefined;
      len = (b & 0x0f) + 1;
      at += 1;
    } else {
      if (at + 2 > end) return undefined;
      elemId = b;
      len = packet[at + 1]!;
      at += 2;
    }
    if (at + len > end) return undefined;
    if (elemId === id) return [at, len];
    at += len;
  }
  return undefined;
}

/** Overwrite an existing element's data in place; `data` must have the element's exact length. */
export function rewriteExtension(packet: Uint8Array, id: number, data: Uint8Array): boolean {
  const found = findExtension(packet, id);
  if (!found || found[1] !== data.byteLength) return false;
  packet.set(data, found[0]);
  return true;
}

/** Overwrite a 16-bit extension (e.g. transport-wide-cc) in place without allocating. */
export function rewriteExtensionU16(packet: Uint8Array, id: number, value: number): boolean {
  const found = findExtension(packet, id);
  if (found?.[1] !== 2) return false;
  packet[found[0]] = (value >>> 8) & 0xff;
  packet[found[0] + 1] = value & 0xff;
  return true;
}

/** Overwrite a 24-bit extension (e.g. abs-send-time) in place without allocating. */
export function rewriteExtensionU24(packet: Uint8Array, id: number, value: number): boolean {
  const found = findExtension(packet, id);
  if (found?.[1] !== 3) return false;
  packet[found[0]] = (value >>> 16) & 0xff;
  packet[found[0] + 1] = (value >>> 8) & 0xff;
  packet[found[0] + 2] = value & 0xff;
  return true;
}
