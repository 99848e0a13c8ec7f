/** Sender and receiver reports (RFC 3550 §6.4.1, §6.4.2). */
import type { ByteReader, ByteWriter } from '../../common/bytes.js';
import { beginPacket, endPacket } from './header.js';
import { RTCP_PT, type RtcpReceiverReport, type RtcpReportBlock, type RtcpSenderReport } from './types.js';

const REPORT_BLOCK_SIZE = 24;

function readReportBlock(r: ByteReader): RtcpReportBlock {
  const ssrc = r.u32();
  const fractionLost = r.u8();
  const packetsLost = (r.u24() << 8) >> 8; // 24-bit signed
  return {
    ssrc,
    fractionLost,
    packetsLost,
    highestSequence: r.u32(),
    jitter: r.u32(),
    lastSr: r.u32(),
    delaySinceLastSr: r.u32(),
  };
}

function writeReportBlock(w: ByteWriter, b: RtcpReportBlock): void {
  w.u32(b.ssrc)
    .u8(b.fractionLost & 0xff)
    .u24(b.packetsLost & 0xffffff);
  w.u32(b.highestSequence).u32(b.jitter).u32(b.lastSr).u32(b.delaySinceLastSr);
}

function readBlocks(r: ByteReader, count: number): RtcpReportBlock[] {
  if (count * REPORT_BLOCK_SIZE > r.remaining) r.skip(count * REPORT_BLOCK_SIZE); // throws TruncatedError
  const reports: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++) reports.push(readReportBlock(r));
  return reports;
}

export function parseSenderReport(r: ByteReader, count: number): RtcpSenderReport {
  const sr: RtcpSenderReport = {
    type: 'sr',
    ssrc: r.u32(),
    ntpSeconds: r.u32(),
    ntpFraction: r.u32(),
    rtpTimestamp: r.u32(),
    packetCount: r.u32(),
    octetCount: r.u32(),
    reports: [],
  };
  sr.reports = readBlocks(r, count);
  if (r.remaining) sr.extension = r.bytes(r.remaining);
  return sr;
}

export function parseReceiverReport(r: ByteReader, count: number): RtcpReceiverReport {
  const rr: RtcpReceiverReport = { type: 'rr', ssrc: r.u32(), reports: [] };
  rr.reports = readBlocks(r, count);
  if (r.remaining) rr.extension = r.bytes(r.remaining);
  return rr;
}

export function writeSenderReport(w: ByteWriter, sr: RtcpSenderReport): void {
  const start = beginPacket(w, sr.reports.length, RTCP_PT.SR);
  w.u32(sr.ssrc).u32(sr.ntpSeconds).u32(sr.ntpFraction).u32(sr.rtpTimestamp).u32(sr.packetCount);
  w.u32(sr.octetCount);
  for (const b of sr.reports) writeReportBlock(w, b);
  if (sr.extension) w.bytes(sr.extension);
  endPacket(w, start);
}

export function writeReceiverReport(w: ByteWriter, rr: RtcpReceiverReport): void {
  const start = beginPacket(w, rr.reports.length, RTCP_PT.RR);
  w.u32(rr.ssrc);
  for (const b of rr.reports) writeReportBlock(w, b);
  if (rr.extension) w.bytes(rr.extension);
  endPacket(w, start);
}
