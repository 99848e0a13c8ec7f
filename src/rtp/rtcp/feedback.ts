/** RTPFB and PSFB feedback (RFC 4585 §6): generic NACK, PLI, FIR (RFC 5104), REMB and other AFB. */
import type { ByteReader, ByteWriter } from '../../common/bytes.js';
import { ProtocolError } from '../../common/errors.js';
import { beginPacket, endPacket } from './header.js';
import {
  RTCP_PT,
  type RtcpApplicationFeedback,
  type RtcpFullIntraRequest,
  type RtcpGenericFeedback,
  type RtcpGenericNack,
  type RtcpPictureLossIndication,
  type RtcpRemb,
} from './types.js';

export const RTPFB_FMT = { NACK: 1, TWCC: 15 } as const;
export const PSFB_FMT = { PLI: 1, FIR: 4, AFB: 15 } as const;

const REMB_ID = 0x52454d42; // "REMB"

export function parseNack(r: ByteReader, senderSsrc: number, mediaSsrc: number): RtcpGenericNack {
  const lost: number[] = [];
  while (r.remaining >= 4) {
    const pid = r.u16();
    const blp = r.u16();
    lost.push(pid);
    for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) lost.push((pid + bit + 1) & 0xffff);
  }
  return { type: 'nack', senderSsrc, mediaSsrc, lost };
}

/** Pack sequence numbers into PID+BLP pairs; input order is kept, a PID covers the next 16 numbers. */
export function writeNack(w: ByteWriter, p: RtcpGenericNack): void {
  const start = beginPacket(w, RTPFB_FMT.NACK, RTCP_PT.RTPFB);
  w.u32(p.senderSsrc).u32(p.mediaSsrc);
  let i = 0;
  while (i < p.lost.length) {
    const pid = p.lost[i]! & 0xffff;
    let blp = 0;
    i++;
    while (i < p.lost.length) {
      const d = ((p.lost[i]! & 0xffff) - pid - 1) & 0xffff;
      if (d >= 16) break;
      blp |= 1 << d;
      i++;
    }
    w.u16(pid).u16(blp);
  }
  endPacket(w, start);
}

export function parseFir(r: ByteReader, senderSsrc: number, mediaSsrc: number): RtcpFullIntraRequest {
  const entries: RtcpFullIntraRequest['entries'] = [];
  while (r.remaining >= 8) {
    const ssrc = r.u32();
    const sequenceNumber = r.u8();
    r.skip(3);
    entries.push({ ssrc, sequenceNumber });
  }
  return { type: 'fir', senderSsrc, mediaSsrc, entries };
}

export function writeFir(w: ByteWriter, p: RtcpFullIntraRequest): void {
  const start = beginPacket(w, PSFB_FMT.FIR, RTCP_PT.PSFB);
  w.u32(p.senderSsrc).u32(p.mediaSsrc);
  for (const e of p.entries)
    w.u32(e.ssrc)
      .u8(e.sequenceNumber & 0xff)
      .u24(0);
  endPacket(w, start);
}

export function writePli(w: ByteWriter, p: RtcpPictureLossIndication): void {
  const start = beginPacket(w, PSFB_FMT.PLI, RTCP_PT.PSFB);
  w.u32(p.senderSsrc).u32(p.mediaSsrc);
  endPacket(w, start);
}

/** Application-layer feedback: REMB when the FCI starts with "REMB", else kept raw. */
export function parseAfb(
  r: ByteReader,
  senderSsrc: number,
  mediaSsrc: number,
): RtcpRemb | RtcpApplicationFeedback {
  if (
    r.remaining >= 8 &&
    new DataView(r.data.buffer, r.data.byteOffset + r.offset, 4).getUint32(0) === REMB_ID
  ) {
    r.skip(4);
    const count = r.u8();
    const exp = r.u8();
    const mantissa = ((exp & 0x03) << 16) | r.u16();
    if (count * 4 > r.remaining) throw new ProtocolError('REMB SSRC count overruns the packet');
    const ssrcs: number[] = [];
    for (let i = 0; i < count; i++) ssrcs.push(r.u32());
    return { type: 'remb', senderSsrc, bitrate: mantissa * 2 ** (exp >> 2), ssrcs };
  }
  return { type: 'afb', senderSsrc, mediaSsrc, data: r.bytes(r.remaining) };
}

export function writeRemb(w: ByteWriter, p: RtcpRemb): void {
  if (p.ssrcs.length > 255) throw new RangeError('REMB carries at most 255 SSRCs');
  let mantissa = Math.max(0, Math.floor(p.bitrate));
  let exp = 0;
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  if (exp > 63) throw new RangeError('REMB bitrate out of range');
  const start = beginPacket(w, PSFB_FMT.AFB, RTCP_PT.PSFB);
  w.u32(p.senderSsrc).u32(0).u32(REMB_ID);
  w.u8(p.ssrcs.length)
    .u8((exp << 2) | (mantissa >> 16))
    .u16(mantissa & 0xffff);
  for (const s of p.ssrcs) w.u32(s);
  endPacket(w, start);
}

export function writeAfb(w: ByteWriter, p: RtcpApplicationFeedback): void {
  const start = beginPacket(w, PSFB_FMT.AFB, RTCP_PT.PSFB);
  w.u32(p.senderSsrc).u32(p.mediaSsrc).bytes(p.data);
  endPacket(w, start);
}

export function writeGenericFeedback(w: ByteWriter, p: RtcpGenericFeedback): void {
  const start = beginPacket(w, p.fmt, p.type === 'rtpfb' ? RTCP_PT.RTPFB : RTCP_PT.PSFB);
  w.u32(p.senderSsrc).u32(p.mediaSsrc).bytes(p.fci);
  endPacket(w, start);
}
