/**
 * RTCP reports (RFC 3550 §6): when to send them and what goes in them.
 *
 * Timing follows the WebRTC simplification of §6.2/§6.3 instead of the bandwidth-share computation: one
 * report round about every second when video is sent or received, every five seconds for audio only,
 * each interval randomised to [0.5, 1.5]× so peers do not synchronise.
 *
 * Content: a sender report per stream that sent media since the last round (the first one carrying up to
 * 31 report blocks, further blocks in receiver reports), or one receiver report from our RTCP SSRC, then an
 * SDES with our CNAME for each SSRC reporting; split across datagrams when one would exceed MAX_DATAGRAM.
 * Feedback (NACK, PLI, FIR, TWCC) is sent alone when reduced-size RTCP (RFC 5506) was negotiated, else as a
 * compound after an empty receiver report and the SDES, as RFC 3550 §6.1 requires.
 */
import { type RandomSource, randomUnit } from '../../common/random.js';
import { ntpFromUnixMs } from '../ntp.js';
import { type RtcpPacket, type RtcpReportBlock, SDES_ITEM } from '../rtcp/types.js';

/** Report blocks per SR/RR (the 5-bit count). */
const MAX_BLOCKS = 31;
/** Bytes of RTCP per datagram before another is started (SRTCP adds up to 20). */
const MAX_DATAGRAM = 1100;

export interface ReportIntervals {
  /** Interval when any video stream is configured (default 1,000 ms). */
  videoMs: number;
  /** Interval with audio only (default 5,000 ms). */
  audioMs: number;
}

export const DEFAULT_REPORT_INTERVALS: ReportIntervals = { videoMs: 1000, audioMs: 5000 };

/** When the next report round is due. */
export class ReportSchedule {
  nextAt: number | undefined;

  constructor(
    private readonly random: RandomSource,
    readonly intervals: ReportIntervals,
  ) {}

  /** Plan the next round from `now` (randomised); the first round comes after half an interval. */
  schedule(now: number, video: boolean, first = false): void {
    const base = video ? this.intervals.videoMs : this.intervals.audioMs;
    const factor = first ? 0.5 : 0.5 + randomUnit(this.random);
    this.nextAt = now + base * factor;
  }

  due(now: number): boolean {
    return this.nextAt !== undefined && now >= this.nextAt;
  }
}

/** A stream of ours that sends a sender report this round. */
export interface SenderReportSource {
  ssrc: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/**
 * The datagrams (each a compound, as packet lists) of one report round. `wallTime` is our wall clock in
 * Unix ms; `rtcpSsrc` reports when no stream of ours is sending.
 */
export function buildReportRound(input: {
  wallTime: number;
  senders: readonly SenderReportSource[];
  blocks: readonly RtcpReportBlock[];
  rtcpSsrc: number;
  cname: string;
}): RtcpPacket[][] {
  const ntp = ntpFromUnixMs(input.wallTime);
  const reports: { packet: RtcpPacket; ssrc: number; size: number }[] = [];
  let blocks = input.blocks.slice();
  for (const s of input.senders) {
    const mine = blocks.slice(0, MAX_BLOCKS);
    blocks = blocks.slice(mine.length);
    reports.push({
      packet: {
        type: 'sr',
        ssrc: s.ssrc,
        ntpSeconds: ntp.seconds,
        ntpFraction: ntp.fraction,
        rtpTimestamp: s.rtpTimestamp >>> 0,
        packetCount: s.packetCount >>> 0,
        octetCount: s.octetCount >>> 0,
        reports: mine,
      },
      ssrc: s.ssrc,
      size: 28 + 24 * mine.length,
    });
  }
  if (reports.length === 0 || blocks.length > 0) {
    do {
      const mine = blocks.slice(0, MAX_BLOCKS);
      blocks = blocks.slice(mine.length);
      reports.push({
        packet: { type: 'rr', ssrc: input.rtcpSsrc, reports: mine },
        ssrc: input.rtcpSsrc,
        size: 8 + 24 * mine.length,
      });
    } while (blocks.length > 0);
  }
  const sdesSize = (n: number): number => 4 + n * ((6 + byteLength(input.cname) + 4) & ~3);
  const datagrams: RtcpPacket[][] = [];
  let current: typeof reports = [];
  let size = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    const sources = [...new Set(current.map((r) => r.ssrc))];
    datagrams.push([...current.map((r) => r.packet), sdes(sources, input.cname)]);
    current = [];
    size = 0;
  };
  for (const r of reports) {
    if (current.length > 0 && size + r.size + sdesSize(current.length + 1) > MAX_DATAGRAM) flush();
    current.push(r);
    size += r.size;
  }
  flush();
  return datagrams;
}

/** One datagram of feedback: alone when reduced-size is allowed, else after an empty RR and SDES. */
export function feedbackDatagram(
  feedback: readonly RtcpPacket[],
  reducedSize: boolean,
  rtcpSsrc: number,
  cname: string,
): RtcpPacket[] {
  if (reducedSize) return [...feedback];
  return [{ type: 'rr', ssrc: rtcpSsrc, reports: [] }, sdes([rtcpSsrc], cname), ...feedback];
}

/** The closing compound: a report, SDES, and BYE for every SSRC we sent from (RFC 3550 §6.6). */
export function byeDatagram(ssrcs: readonly number[], rtcpSsrc: number, cname: string): RtcpPacket[] {
  const sources = ssrcs.length > 0 ? ssrcs.slice(0, 31) : [rtcpSsrc];
  return [
    { type: 'rr', ssrc: sources[0]!, reports: [] },
    sdes([sources[0]!], cname),
    { type: 'bye', sources },
  ];
}

function sdes(sources: readonly number[], cname: string): RtcpPacket {
  return {
    type: 'sdes',
    chunks: sources.map((source) => ({ source, items: [{ type: SDES_ITEM.CNAME, value: cname }] })),
  };
}

const encoder = new TextEncoder();
function byteLength(s: string): number {
  return encoder.encode(s).byteLength;
}
