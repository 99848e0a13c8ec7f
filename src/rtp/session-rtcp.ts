/**
 * The RTCP a MediaSession sends: report rounds on their schedule, feedback (NACK, PLI, FIR, TWCC) gathered
 * during one input and sent together, and BYE. Feedback goes alone when reduced-size RTCP was negotiated,
 * else inside a compound (reports.ts); datagrams stay under MAX_DATAGRAM bytes, so a burst of NACKs is split
 * rather than sent as one oversized compound. Every datagram is protected with SRTCP as it is queued.
 */
import type { RandomSource } from '../common/random.js';
import type { SrtpSession } from '../srtp/session.js';
import { Fifo } from './fifo.js';
import { serializeRtcp } from './rtcp/compound.js';
import type { RtcpPacket, RtcpReportBlock } from './rtcp/types.js';
import {
  buildReportRound,
  byeDatagram,
  DEFAULT_REPORT_INTERVALS,
  feedbackDatagram,
  type ReportIntervals,
  ReportSchedule,
} from './stream/reports.js';
import type { SendStream } from './stream/send-stream.js';

const MAX_DATAGRAM = 1100;
/** Feedback packets held between flushes at most (a flush follows every input). */
const MAX_PENDING_FEEDBACK = 512;
/** Datagrams waiting for pollTransmit at most; beyond it the oldest are dropped (a caller not polling). */
const MAX_TRANSMITS = 8192;

export class RtcpOutbox {
  readonly schedule: ReportSchedule;
  /** Protected datagrams (media and RTCP) for pollTransmit. */
  readonly transmits = new Fifo<Uint8Array>();
  reducedSize = false;
  transmitsDropped = 0;
  /** RTCP that could not be encoded (a bug if ever non-zero). */
  unencodable = 0;
  private feedback: RtcpPacket[] = [];
  private compounds: RtcpPacket[][] = [];

  constructor(
    random: RandomSource,
    intervals: Partial<ReportIntervals> | undefined,
    private readonly cname: string,
  ) {
    this.schedule = new ReportSchedule(random, { ...DEFAULT_REPORT_INTERVALS, ...intervals });
  }

  push(datagram: Uint8Array): void {
    if (this.transmits.length >= MAX_TRANSMITS) {
      this.transmits.shift();
      this.transmitsDropped++;
    }
    this.transmits.push(datagram);
  }

  queueFeedback(packets: readonly RtcpPacket[]): void {
    for (const p of packets) {
      if (this.feedback.length >= MAX_PENDING_FEEDBACK) return;
      this.feedback.push(p);
    }
  }

  /** A report round: sender reports for `senders`, report blocks, SDES. */
  queueReports(
    wallTime: number,
    now: number,
    senders: readonly SendStream[],
    blocks: readonly RtcpReportBlock[],
    rtcpSsrc: number,
  ): void {
    const datagrams = buildReportRound({
      wallTime,
      senders: senders.map((s) => ({
        ssrc: s.ssrc,
        rtpTimestamp: s.rtpTimestampAt(now),
        packetCount: s.counters.packetsSent,
        octetCount: s.counters.bytesSent,
      })),
      blocks,
      rtcpSsrc,
      cname: this.cname,
    });
    this.compounds.push(...datagrams);
  }

  queueBye(ssrcs: readonly number[], fallbackSsrc?: number): void {
    if (ssrcs.length === 0 && fallbackSsrc === undefined) return;
    for (let i = 0; i < Math.max(1, ssrcs.length); i += 31)
      this.compounds.push(byeDatagram(ssrcs.slice(i, i + 31), fallbackSsrc ?? ssrcs[0]!, this.cname));
  }

  /** Encode, protect and queue everything pending. */
  flush(srtp: SrtpSession, rtcpSsrc: number): void {
    for (const compound of this.compounds) this.send(srtp, compound);
    this.compounds = [];
    if (this.feedback.length === 0) return;
    const prefix = feedbackDatagram([], this.reducedSize, rtcpSsrc, this.cname);
    const head = (prefix.length > 0 ? this.encode(prefix) : undefined) ?? new Uint8Array(0);
    const parts: Uint8Array[] = [];
    let size = head.byteLength;
    for (const p of this.feedback) {
      const bytes = this.encode([p]);
      if (!bytes) continue;
      if (parts.length > 0 && size + bytes.byteLength > MAX_DATAGRAM) {
        this.sendBytes(srtp, head, parts);
        parts.length = 0;
        size = head.byteLength;
      }
      parts.push(bytes);
      size += bytes.byteLength;
    }
    if (parts.length > 0) this.sendBytes(srtp, head, parts);
    this.feedback = [];
  }

  private send(srtp: SrtpSession, compound: RtcpPacket[]): void {
    const bytes = this.encode(compound);
    if (bytes) this.push(srtp.protectRtcp(bytes));
  }

  private sendBytes(srtp: SrtpSession, head: Uint8Array, parts: readonly Uint8Array[]): void {
    let n = head.byteLength;
    for (const p of parts) n += p.byteLength;
    const out = new Uint8Array(n);
    out.set(head, 0);
    let at = head.byteLength;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    this.push(srtp.protectRtcp(out));
  }

  private encode(packets: readonly RtcpPacket[]): Uint8Array | undefined {
    try {
      return serializeRtcp(packets);
    } catch {
      this.unencodable++;
      return undefined;
    }
  }
}
