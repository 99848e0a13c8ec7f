/** RTCP extended reports (RFC 3611): RRTR (BT 4) and DLRR (BT 5); other blocks are kept raw. */
import type { ByteReader, ByteWriter } from '../../common/bytes.js';
import { beginPacket, endPacket } from './header.js';
import { RTCP_PT, type RtcpExtendedReport, type RtcpXrBlock } from './types.js';

const BT_RRTR = 4;
const BT_DLRR = 5;

export function parseXr(r: ByteReader): RtcpExtendedReport {
  const ssrc = r.u32();
  const blocks: RtcpXrBlock[] = [];
  while (r.remaining >= 4) {
    const blockType = r.u8();
    const typeSpecific = r.u8();
    const body = r.sub(r.u16() * 4);
    if (blockType === BT_RRTR && body.remaining === 8) {
      blocks.push({ type: 'rrtr', ntpSeconds: body.u32(), ntpFraction: body.u32() });
    } else if (blockType === BT_DLRR && body.remaining % 12 === 0) {
      const items: { ssrc: number; lastRr: number; delaySinceLastRr: number }[] = [];
      while (body.remaining)
        items.push({ ssrc: body.u32(), lastRr: body.u32(), delaySinceLastRr: body.u32() });
      blocks.push({ type: 'dlrr', items });
    } else {
      blocks.push({ type: 'unknown', blockType, typeSpecific, data: body.bytes(body.remaining) });
    }
  }
  return { type: 'xr', ssrc, blocks };
}

export function writeXr(w: ByteWriter, p: RtcpExtendedReport): void {
  const start = beginPacket(w, 0, RTCP_PT.XR);
  w.u32(p.ssrc);
  for (const b of p.blocks) {
    if (b.type === 'rrtr') {
      w.u8(BT_RRTR).u8(0).u16(2).u32(b.ntpSeconds).u32(b.ntpFraction);
    } else if (b.type === 'dlrr') {
      w.u8(BT_DLRR)
        .u8(0)
        .u16(b.items.length * 3);
      for (const i of b.items) w.u32(i.ssrc).u32(i.lastRr).u32(i.delaySinceLastRr);
    } else {
      if (b.data.byteLength & 3) throw new RangeError('XR block data must be a multiple of 4 bytes');
      w.u8(b.blockType)
        .u8(b.typeSpecific)
        .u16(b.data.byteLength / 4)
        .bytes(b.data);
    }
  }
  endPacket(w, start);
}
