/** BYE (RFC 3550 §6.6). */
import type { ByteReader, ByteWriter } from '../../common/bytes.js';
import { ProtocolError } from '../../common/errors.js';
import { beginPacket, endPacket, utf8Decoder, utf8Encoder } from './header.js';
import { RTCP_PT, type RtcpBye } from './types.js';

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
