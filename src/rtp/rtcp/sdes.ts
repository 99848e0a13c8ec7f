/** Source description (RFC 3550 §6.5). */
import type { ByteReader, ByteWriter } from '../../common/bytes.js';
import { beginPacket, endPacket, utf8Decoder, utf8Encoder } from './header.js';
import { RTCP_PT, type RtcpSdesChunk, type RtcpSourceDescription } from './types.js';

export function parseSdes(r: ByteReader, count: number): RtcpSourceDescription {
  const chunks: RtcpSdesChunk[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    const chunk: RtcpSdesChunk = { source: r.u32(), items: [] };
    for (;;) {
      const type = r.u8();
      if (type === 0) break;
      const len = r.u8();
      chunk.items.push({ type, value: utf8Decoder.decode(r.bytes(len)) });
    }
    // the null item is followed by zeros up to the next 32-bit boundary
    const pad = (4 - ((r.offset - start) & 3)) & 3;
    r.skip(Math.min(pad, r.remaining));
    chunks.push(chunk);
  }
  return { type: 'sdes', chunks };
}

export function writeSdes(w: ByteWriter, p: RtcpSourceDescription): void {
  const start = beginPacket(w, p.chunks.length, RTCP_PT.SDES);
  for (const chunk of p.chunks) {
    const chunkStart = w.offset;
    w.u32(chunk.source);
    for (const item of chunk.items) {
      const text = utf8Encoder.encode(item.value);
      if (text.byteLength > 255) throw new RangeError('SDES item longer than 255 bytes');
      w.u8(item.type).u8(text.byteLength).bytes(text);
    }
    w.u8(0);
    while ((w.offset - chunkStart) & 3) w.u8(0);
  }
  endPacket(w, start);
}
