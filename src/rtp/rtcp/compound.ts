/**
 * RTCP compound packets (RFC 3550 §6.1) and reduced-size RTCP (RFC 5506): a datagram holds one or more
 * packets back to back. Reduced-size packets simply need not start with SR/RR, so the parser does not
 * require it.
 */
import { ByteReader, ByteWriter, TruncatedError } from '../../common/bytes.js';
import { ProtocolError } from '../../common/errors.js';
import { parseApp, writeApp } from './app.js';
import { parseBye, writeBye } from './bye.js';
import {
  PSFB_FMT,
  parseAfb,
  parseFir,
  parseNack,
  RTPFB_FMT,
  writeAfb,
  writeFir,
  writeGenericFeedback,
  writeNack,
  writePli,
  writeRemb,
} from './feedback.js';
import { RTCP_HEADER_SIZE } from './header.js';
import { parseReceiverReport, parseSenderReport, writeReceiverReport, writeSenderReport } from './reports.js';
import { parseSdes, writeSdes } from './sdes.js';
import { parseTwcc, writeTwcc } from './twcc.js';
import { RTCP_PT, type RtcpPacket } from './types.js';
import { parseXr, writeXr } from './xr.js';

/** Parse every packet of a compound datagram. Throws ProtocolError when any packet is malformed. */
export function parseRtcp(data: Uint8Array): RtcpPacket[] {
  const packets: RtcpPacket[] = [];
  let at = 0;
  if (data.byteLength < RTCP_HEADER_SIZE) throw new ProtocolError('RTCP datagram shorter than a header');
  while (at < data.byteLength) {
    if (at + RTCP_HEADER_SIZE > data.byteLength) throw new ProtocolError('RTCP header truncated');
    const b0 = data[at]!;
    if (b0 >> 6 !== 2) throw new ProtocolError('RTCP version is not 2');
    const length = (((data[at + 2]! << 8) | data[at + 3]!) + 1) * 4;
    if (at + length > data.byteLength) throw new ProtocolError('RTCP length overruns the datagram');
    let bodyEnd = at + length;
    if (b0 & 0x20) {
      // only the last packet of a compound may be padded (RFC 3550 §6.4.1)
      const pad = data[bodyEnd - 1]!;
      // Transport-wide CC feedback ends in one-byte receive deltas, and libwebrtc pads it with 1–3 bytes to
      // the next word (every Chromium feedback whose deltas are not word-sized); other packets' content is
      // word-aligned, and a body left unaligned would yield a packet (APP, unknown) that serializeRtcp refuses
      const twcc = data[at + 1] === RTCP_PT.RTPFB && (b0 & 0x1f) === RTPFB_FMT.TWCC;
      if (pad === 0 || bodyEnd !== data.byteLength || pad > length - RTCP_HEADER_SIZE || (pad & 3 && !twcc)) {
        throw new ProtocolError('RTCP padding is invalid');
      }
      bodyEnd -= pad;
    }
    const body = new ByteReader(data, at + RTCP_HEADER_SIZE, bodyEnd - at - RTCP_HEADER_SIZE);
    try {
      packets.push(parseOne(body, b0 & 0x1f, data[at + 1]!));
    } catch (e) {
      if (e instanceof TruncatedError) throw new ProtocolError(`RTCP packet truncated: ${e.message}`);
      throw e;
    }
    at += length;
  }
  return packets;
}

/** Parse, or undefined when malformed. */
export function tryParseRtcp(data: Uint8Array): RtcpPacket[] | undefined {
  try {
    return parseRtcp(data);
  } catch (e) {
    if (e instanceof ProtocolError) return undefined;
    throw e;
  }
}

function parseOne(r: ByteReader, count: number, packetType: number): RtcpPacket {
  switch (packetType) {
    case RTCP_PT.SR:
      return parseSenderReport(r, count);
    case RTCP_PT.RR:
      return parseReceiverReport(r, count);
    case RTCP_PT.SDES:
      return parseSdes(r, count);
    case RTCP_PT.BYE:
      return parseBye(r, count);
    case RTCP_PT.APP:
      return parseApp(r, count);
    case RTCP_PT.RTPFB: {
      const senderSsrc = r.u32();
      const mediaSsrc = r.u32();
      if (count === RTPFB_FMT.NACK) return parseNack(r, senderSsrc, mediaSsrc);
      if (count === RTPFB_FMT.TWCC) return parseTwcc(r, senderSsrc, mediaSsrc);
      return { type: 'rtpfb', fmt: count, senderSsrc, mediaSsrc, fci: r.bytes(r.remaining) };
    }
    case RTCP_PT.PSFB: {
      const senderSsrc = r.u32();
      const mediaSsrc = r.u32();
      if (count === PSFB_FMT.PLI) return { type: 'pli', senderSsrc, mediaSsrc };
      if (count === PSFB_FMT.FIR) return parseFir(r, senderSsrc, mediaSsrc);
      if (count === PSFB_FMT.AFB) return parseAfb(r, senderSsrc, mediaSsrc);
      return { type: 'psfb', fmt: count, senderSsrc, mediaSsrc, fci: r.bytes(r.remaining) };
    }
    case RTCP_PT.XR:
      return parseXr(r);
    default:
      return { type: 'unknown', packetType, count, body: r.bytes(r.remaining) };
  }
}

/** Write packets back to back (a compound when more than one). Throws RangeError on unencodable values. */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const w = new ByteWriter(128);
  for (const p of packets) writeOne(w, p);
  return w.finish();
}

function writeOne(w: ByteWriter, p: RtcpPacket): void {
  switch (p.type) {
    case 'sr':
      writeSenderReport(w, p);
      return;
    case 'rr':
      writeReceiverReport(w, p);
      return;
    case 'sdes':
      writeSdes(w, p);
      return;
    case 'bye':
      writeBye(w, p);
      return;
    case 'app':
      writeApp(w, p);
      return;
    case 'nack':
      writeNack(w, p);
      return;
    case 'twcc':
      writeTwcc(w, p);
      return;
    case 'pli':
      writePli(w, p);
      return;
    case 'fir':
      writeFir(w, p);
      return;
    case 'remb':
      writeRemb(w, p);
      return;
    case 'afb':
      writeAfb(w, p);
      return;
    case 'rtpfb':
    case 'psfb':
      writeGenericFeedback(w, p);
      return;
    case 'xr':
      writeXr(w, p);
      return;
    case 'unknown': {
      if (p.body.byteLength & 3) throw new RangeError('RTCP body must be a multiple of 4 bytes');
      w.u8(0x80 | (p.count & 0x1f))
        .u8(p.packetType)
        .u16(p.body.byteLength / 4)
        .bytes(p.body);
      return;
    }
  }
}
