/** APP (RFC 3550 §6.7). */
import type { ByteReader, ByteWriter } from '../../common/bytes.js';
import { beginPacket, endPacket } from './header.js';
import { RTCP_PT, type RtcpApp } from './types.js';

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
