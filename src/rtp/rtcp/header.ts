/** The RTCP common header (RFC 3550 §6.4) and helpers shared by every packet codec. */
import type { ByteWriter } from '../../common/bytes.js';

export const RTCP_HEADER_SIZE = 4;

/** Begin a packet: writes the header with a placeholder length; `endPacket` fills it in. */
export function beginPacket(w: ByteWriter, count: number, packetType: number): number {
  if (count < 0 || count > 31) throw new RangeError(`RTCP count ${count} out of range`);
  const start = w.offset;
  w.u8(0x80 | count)
    .u8(packetType)
    .u16(0);
  return start;
}

/** Pad the body to 32 bits and write the length field (in words minus one). */
export function endPacket(w: ByteWriter, start: number): void {
  while ((w.offset - start) & 3) w.u8(0);
  w.setU16(start + 2, (w.offset - start) / 4 - 1);
}

export const utf8Decoder = new TextDecoder();
export const utf8Encoder = new TextEncoder();
