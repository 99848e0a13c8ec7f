/** Source description (RFC 3550 §6.5), BYE (§6.6) and APP (§6.7). */
import type { ByteReader, ByteWriter } from '../../common/bytes.js';
import { ProtocolError } from '../../common/errors.js';
import { beginPacket, endPacket, utf8Decoder, utf8Encoder } from './header.js';
import {
  RTCP_PT,
  type RtcpApp,
  type RtcpBye,
  type RtcpSdesChunk,
  type RtcpSourceDescription,
} from './types.js';

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

export function parseBye(r: ByteReader, count: number): RtcpBye {
  if (count * 4 > r.remaining) throw new ProtocolError('BYE source count overruns the packet');
  const sources: number[] = [];
  for (let i = 0; i < count; i++) sources.push(r.u32());
  const bye: RtcpBye = { type: 'bye', sources };
  if (r.remaining > 0) {
    const len = r.u8();
    bye.reason = utf8Decoder.decode(r.bytes(len));
  }
  return bye;
}

export function writeBye(w: ByteWriter, p: RtcpBye): void {
  const start = beginPacket(w, p.sources.length, RTCP_PT.BYE);
  for (const s of p.sources) w.u32(s);
  if (p.reason !== undefined) {
    const text = utf8Encoder.encode(p.reason);
    if (text.byteLength > 255) throw new RangeError('BYE reason longer than 255 bytes');
    w.u8(text.byteLength).bytes(text);
  }
  endPacket(w, start);
}

export function parseApp(r: ByteReader, subtype: number): RtcpApp {
  const ssrc = r.u32();
  const name = String.fromCharCode(...r.bytes(4));
  return { type: 'app', subtype, ssrc, name, data: r.bytes(r.remaining) };
}

export function writeApp(w: ByteWriter, p: RtcpApp): void {
  if (p.name.length !== 4) throw new RangeError('APP name must be 4 ASCII characters');
  if (p.data.byteLength & 3) throw new RangeError('APP data must be a multiple of 4 bytes');
  const start = beginPacket(w, p.subtype, RTCP_PT.APP);
  w.u32(p.ssrc);
  for (let i = 0; i < 4; i++) w.u8(p.name.charCodeAt(i) & 0xff);
  w.bytes(p.data);
  endPacket(w, start);
}
