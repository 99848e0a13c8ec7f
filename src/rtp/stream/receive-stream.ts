/**
 * One RTP stream we receive (one remote media SSRC, with its RTX SSRC if any): RFC 3550 statistics, the
 * jitter buffer that reorders and assembles frames and asks for NACKs and keyframes, the last sender
 * report (for report blocks' LSR/DLSR and for mapping RTP time to the sender's wall clock), activity for
 * mute detection, audio levels and contributing sources for getSynchronizationSources().
 */

import { KeyframeRequester } from '../feedback/keyframe-requests.js';
import type { AudioLevel } from '../header-extensions.js';
import { JitterBuffer, type JitterBufferEvent } from '../jitter-buffer.js';
import { ntpMiddle, toNtpShortUnits, unixMsFromNtp } from '../ntp.js';
import type { RtpPacket } from '../packet.js';
import { createDepayloader } from '../payload/index.js';
import type { RoutedStream } from '../router.js';
import type { RtcpReportBlock, RtcpSenderReport } from '../rtcp/types.js';
import type { MediaCodecConfig } from '../session-config.js';
import { ReceiveStatistics } from './receive-statistics.js';

/** Contributing sources remembered per stream (the CSRC list holds at most 15). */
const MAX_CONTRIBUTING_SOURCES = 15;

export interface ReceivedSenderReport {
  /** The sender's wall clock at the report, in Unix ms. */
  wallTime: number;
  rtpTimestamp: number;
  /** Middle 32 bits of its NTP time (LSR). */
  middle: number;
  receivedAt: number;
  /** The sender's packet and octet counts in the report (RFC 3550 §6.4.1). */
  packetsSent: number;
  bytesSent: number;
  /** Sender reports received so far. */
  reportsReceived: number;
}

/** The latest packet of a synchronization or contributing source (W3C RTCRtpSynchronizationSource). */
export interface RtpSourceEntry {
  source: number;
  /** Local time (ms, the session's clock) the latest packet from it arrived. */
  timestamp: number;
  rtpTimestamp: number;
  /** RFC 6464 level in -dBov (0 = loudest, 127 = silence), when the extension was present. */
  level: number | undefined;
  voiceActivity: boolean | undefined;
}

export interface ReceiveStreamCounters {
  rtxPacketsReceived: number;
  rtxBytesReceived: number;
  /** Packets whose payload type is not one we can depayload (CN, telephone-event, …). */
  packetsUnsupported: number;
  framesReceived: number;
  keyframesReceived: number;
  nackPacketsSent: number;
  nackedSequenceNumbers: number;
}

export class ReceiveStream implements RoutedStream {
  readonly mid: string;
  readonly rid: string | undefined;
  readonly kind: 'audio' | 'video';
  readonly ssrc: number;
  rtxSsrc: number | undefined;
  /** Announced in the peer's SDP (never timed out; removed by BYE or renegotiation). */
  readonly signalled: boolean;
  /** Another SSRC took over this stream's (mid, rid): removed once it goes quiet. */
  superseded = false;
  readonly createdAt: number;
  lastPacketAt: number;
  active = true;
  cname: string | undefined;
  senderReport: ReceivedSenderReport | undefined;
  readonly keyframes = new KeyframeRequester();
  readonly counters: ReceiveStreamCounters = {
    rtxPacketsReceived: 0,
    rtxBytesReceived: 0,
    packetsUnsupported: 0,
    framesReceived: 0,
    keyframesReceived: 0,
    nackPacketsSent: 0,
    nackedSequenceNumbers: 0,
  };
  statistics: ReceiveStatistics | undefined;
  /** The codec of the jitter buffer (a payload type change to another codec starts a new buffer). */
  codec: MediaCodecConfig | undefined;
  private jitterBuffer: JitterBuffer | undefined;
  private latest: RtpSourceEntry | undefined;
  private readonly contributing = new Map<number, RtpSourceEntry>();

  constructor(init: {
    mid: string;
    rid: string | undefined;
    kind: 'audio' | 'video';
    ssrc: number;
    signalled: boolean;
    now: number;
  }) {
    this.mid = init.mid;
    this.rid = init.rid;
    this.kind = init.kind;
    this.ssrc = init.ssrc;
    this.signalled = init.signalled;
    this.createdAt = init.now;
    this.lastPacketAt = init.now;
  }

  /** Account and buffer one media packet (unwrapped RTX included, with `repair` set). */
  receive(
    now: number,
    packet: RtpPacket,
    codec: MediaCodecConfig,
    size: number,
    headerSize: number,
    repair: boolean,
    audioLevel: AudioLevel | undefined,
  ): void {
    this.lastPacketAt = now;
    if (!repair) {
      if (!this.statistics || this.statistics.clockRate !== codec.clockRate)
        this.statistics = new ReceiveStatistics(codec.clockRate);
      this.statistics.update(packet.sequenceNumber, packet.timestamp, now, size, headerSize);
      this.noteSources(now, packet, audioLevel);
    }
    if (codec.codec === undefined) {
      this.counters.packetsUnsupported++;
      return;
    }
    if (!this.jitterBuffer || this.codec?.codec !== codec.codec || this.codec.clockRate !== codec.clockRate) {
      this.codec = codec;
      this.jitterBuffer = new JitterBuffer({
        kind: this.kind,
        codec: codec.codec,
        depayloader: createDepayloader(codec.codec),
        clockRate: codec.clockRate,
        nack: this.kind === 'video' && codec.feedback.nack,
      });
    }
    this.codec = codec;
    this.jitterBuffer.push(now, packet);
  }

  /** Count an RTX packet (before unwrapping). */
  countRtx(size: number): void {
    this.counters.rtxPacketsReceived++;
    this.counters.rtxBytesReceived += size;
  }

  pollJitterEvent(): JitterBufferEvent | undefined {
    return this.jitterBuffer?.pollEvent();
  }

  /** Packets held by the jitter buffer. */
  get bufferedPackets(): number {
    return this.jitterBuffer?.size ?? 0;
  }

  get jitterBufferStats(): JitterBuffer['stats'] | undefined {
    return this.jitterBuffer?.stats;
  }

  jitterBufferTimeout(): number | undefined {
    return this.jitterBuffer?.pollTimeout();
  }

  handleJitterBufferTimeout(now: number): void {
    this.jitterBuffer?.handleTimeout(now);
  }

  /** The decoder or the application wants a keyframe: the jitter buffer starts asking (video only). */
  requestKeyframe(now: number): void {
    this.jitterBuffer?.requestKeyframe(now);
  }

  onSenderReport(now: number, sr: RtcpSenderReport): void {
    this.senderReport = {
      wallTime: unixMsFromNtp(sr.ntpSeconds, sr.ntpFraction),
      rtpTimestamp: sr.rtpTimestamp,
      middle: ntpMiddle(sr.ntpSeconds, sr.ntpFraction),
      receivedAt: now,
      packetsSent: sr.packetCount,
      bytesSent: sr.octetCount,
      reportsReceived: (this.senderReport?.reportsReceived ?? 0) + 1,
    };
  }

  /**
   * The sender's wall-clock time (Unix ms) of an RTP timestamp, from the last sender report; undefined
   * before one arrived. Audio and video of one sender share that clock, so this lines them up.
   */
  senderTimeOf(rtpTimestamp: number): number | undefined {
    const sr = this.senderReport;
    const clockRate = this.codec?.clockRate;
    if (!sr || !clockRate) return undefined;
    const ticks = ((rtpTimestamp - sr.rtpTimestamp) << 0) | 0; // signed 32-bit difference
    return sr.wallTime + (ticks * 1000) / clockRate;
  }

  /** A report block about this stream, or undefined when nothing arrived since the last one. */
  reportBlock(now: number): RtcpReportBlock | undefined {
    const stats = this.statistics;
    if (!stats || stats.receivedSinceReport === 0) return undefined;
    const sr = this.senderReport;
    return stats.reportBlock(this.ssrc, sr ? sr.middle : 0, sr ? toNtpShortUnits(now - sr.receivedAt) : 0);
  }

  /** The synchronization source entry and contributing sources seen within `windowMs`. */
  sources(
    now: number,
    windowMs: number,
  ): { synchronization: RtpSourceEntry | undefined; contributing: RtpSourceEntry[] } {
    const fresh = (e: RtpSourceEntry | undefined): boolean =>
      e !== undefined && now - e.timestamp <= windowMs;
    return {
      synchronization: fresh(this.latest) ? { ...this.latest! } : undefined,
      contributing: [...this.contributing.values()].filter(fresh).map((e) => ({ ...e })),
    };
  }

  private noteSources(now: number, packet: RtpPacket, audioLevel: AudioLevel | undefined): void {
    if (!this.latest)
      this.latest = {
        source: this.ssrc,
        timestamp: now,
        rtpTimestamp: packet.timestamp,
        level: undefined,
        voiceActivity: undefined,
      };
    const latest = this.latest;
    latest.timestamp = now;
    latest.rtpTimestamp = packet.timestamp;
    latest.level = audioLevel?.level;
    latest.voiceActivity = audioLevel?.voiceActivity;
    for (const csrc of packet.csrcs) {
      let entry = this.contributing.get(csrc);
      if (!entry) {
        if (this.contributing.size >= MAX_CONTRIBUTING_SOURCES) this.forgetOldestContributor();
        entry = {
          source: csrc,
          timestamp: now,
          rtpTimestamp: packet.timestamp,
          level: undefined,
          voiceActivity: undefined,
        };
        this.contributing.set(csrc, entry);
      }
      entry.timestamp = now;
      entry.rtpTimestamp = packet.timestamp;
    }
  }

  private forgetOldestContributor(): void {
    let oldest: RtpSourceEntry | undefined;
    for (const e of this.contributing.values()) if (!oldest || e.timestamp < oldest.timestamp) oldest = e;
    if (oldest) this.contributing.delete(oldest.source);
  }
}
