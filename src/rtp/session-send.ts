/**
 * The sending half of a MediaSession: send streams (kept across renegotiations while their SSRC, mid and rid
 * persist), the pacer, the transport-wide send records, the bandwidth estimator (session-bandwidth.ts), and
 * the feedback that concerns what we send: report blocks (RTT, the peer's view, loss), NACK →
 * retransmission, PLI/FIR → keyframe requests, REMB and TWCC → the estimate. Probe clusters are padded with
 * padding-only RTX packets.
 */
import type { RandomSource } from '../common/random.js';
import type { EncodedFrame } from '../media/encoded-frame.js';
import type { SrtpSession } from '../srtp/session.js';
import { targetFromRemb } from './feedback/remb.js';
import { TransportFeedbackLog } from './feedback/transport-feedback-log.js';
import {
  absSendTimeFromMs,
  serializeAbsSendTime,
  serializeTransportSequenceNumber,
} from './header-extensions.js';
import type { WriteFrameOptions } from './media-session-types.js';
import { ntpMiddleFromUnixMs, roundTripMs } from './ntp.js';
import { Pacer } from './pacer.js';
import type { RtpPacket } from './packet.js';
import type { RtcpRemb, RtcpReportBlock, RtcpTransportWideCc } from './rtcp/types.js';
import { SendBandwidth } from './session-bandwidth.js';
import { type MediaSectionConfig, type MediaSessionConfig, sends } from './session-config.js';
import type { SessionContext } from './session-receive.js';
import { paddingPacketOf, retransmissionOf } from './stream/rtx.js';
import { SendStream } from './stream/send-stream.js';

/** A packet waiting in the pacer. */
interface Outgoing {
  readonly size: number;
  readonly stream: SendStream;
  /** media, rtx and padding packets get their transport-wide extensions as they leave; plain bytes go as they are. */
  readonly kind: 'media' | 'rtx' | 'plain' | 'padding';
  readonly packet: RtpPacket | undefined;
  readonly bytes: Uint8Array | undefined;
}

/** SRTP tag and SRTCP-free overhead the pacer counts on top of the RTP bytes. */
const PROTECT_OVERHEAD = 16;

export class SendSide {
  readonly streams = new Map<number, SendStream>();
  readonly pacer: Pacer<Outgoing>;
  readonly bandwidth: SendBandwidth;
  private readonly transportLog = new TransportFeedbackLog(1);
  private sections = new Map<string, MediaSectionConfig>();
  private readonly maxPayloadSize: number;

  constructor(
    private readonly context: SessionContext,
    private readonly random: RandomSource,
    private readonly wallClockAtZero: number,
  ) {
    this.pacer = new Pacer(context.options.pacer);
    this.bandwidth = new SendBandwidth(context.options.bandwidth, this.pacer, context.emit);
    this.maxPayloadSize = context.options.maxPayloadSize ?? 1200;
  }

  /** Apply a configuration; send streams that no longer exist say BYE. */
  configure(config: MediaSessionConfig): void {
    this.sections = new Map(config.media.map((m) => [m.mid, m]));
    const wanted = new Map<number, { section: MediaSectionConfig; index: number }>();
    for (const section of config.media) {
      if (!sends(section.direction)) continue;
      section.sendEncodings.forEach((e, index) => {
        wanted.set(e.ssrc >>> 0, { section, index });
      });
    }
    const gone: number[] = [];
    for (const [ssrc, stream] of this.streams) {
      const w = wanted.get(ssrc);
      if (!w || w.section.mid !== stream.mid || w.section.sendEncodings[w.index]!.rid !== stream.rid) {
        this.streams.delete(ssrc);
        gone.push(ssrc);
      }
    }
    if (gone.length > 0) this.context.rtcp.queueBye(gone);
    const o = this.context.options;
    for (const [ssrc, { section, index }] of wanted) {
      const encoding = section.sendEncodings[index]!;
      let stream = this.streams.get(ssrc);
      if (!stream) {
        stream = new SendStream({
          mid: section.mid,
          kind: section.kind,
          encoding,
          random: this.random,
          maxPayloadSize: this.maxPayloadSize,
          historyPackets: o.sendHistory?.packets ?? 1024,
          historyMaxAgeMs: o.sendHistory?.maxAgeMs ?? 1500,
          keyframeRequestIntervalMs: o.keyframeRequestIntervalMs ?? 250,
          nack: o.nack,
        });
        this.streams.set(ssrc, stream);
      }
      stream.configure(section.sendCodecs, section.extensions, encoding.rtxSsrc);
    }
    this.bandwidth.configure(this.streams.values());
  }

  /** Limits for the sender of `mid` in the split of the estimate (the encoding's maxBitrate, …). */
  setBitrateLimits(mid: string, limits: Parameters<SendBandwidth['setLimits']>[1]): void {
    this.bandwidth.setLimits(mid, limits);
  }

  /** Payload a frame into the pacer; false when refused (counted by the caller). */
  write(
    now: number,
    mid: string,
    rid: string | undefined,
    frame: EncodedFrame,
    options: WriteFrameOptions,
  ): boolean {
    const stream = this.streamFor(mid, rid);
    const estimate = Math.ceil(frame.data.byteLength / this.maxPayloadSize) + 1;
    if (!stream || !this.pacer.hasRoomFor(estimate)) return false;
    if (stream.kind === 'video' && !this.bandwidth.admitVideo()) return false;
    const packets = stream.packetize(now, frame, options.audioLevel, options.captureTime);
    if (!packets) return false;
    const cls = stream.kind === 'audio' ? 'audio' : 'video';
    for (const packet of packets)
      this.pacer.enqueue(
        { size: packet.serializedLength + PROTECT_OVERHEAD, stream, kind: 'media', packet, bytes: undefined },
        cls,
      );
    return true;
  }

  /**
   * Release what the pacer allows: transport-wide extensions written now, then protected and queued. Probe
   * clusters the estimator asks for go to the pacer first; padding is made when a cluster wants it.
   */
  flush(now: number, srtp: SrtpSession): void {
    for (let c = this.bandwidth.pollProbe(now); c; c = this.bandwidth.pollProbe(now)) this.pacer.addProbe(c);
    for (;;) {
      const item = this.pacer.poll(now);
      if (item) {
        this.transmit(now, srtp, item, this.pacer.releasedProbeCluster);
        continue;
      }
      const wanted = this.pacer.paddingWanted(now);
      if (wanted === 0) break;
      const padding = this.padding(now, wanted);
      if (!padding) {
        this.pacer.cancelProbe();
        continue;
      }
      this.pacer.enqueue(padding, 'padding');
    }
    this.bandwidth.afterFlush();
  }

  /** The estimator's periodic work (probes, ALR), then new targets. */
  handleTimeout(now: number): void {
    const due = this.bandwidth.nextProcessTime();
    if (due === undefined || due > now) return;
    this.bandwidth.process(now);
    this.bandwidth.update(now, this.streams.values());
  }

  pollTimeout(): number | undefined {
    const pacer = this.pacer.nextReleaseTime();
    const process = this.bandwidth.nextProcessTime();
    if (pacer === undefined) return process;
    return process === undefined ? pacer : Math.min(pacer, process);
  }

  /** The streams that have sent media (they send sender reports). */
  senders(): SendStream[] {
    return [...this.streams.values()].filter((s) => s.counters.packetsSent > 0);
  }

  /** The first stream we send on (its SSRC sends our RTCP), if any. */
  first(): SendStream | undefined {
    for (const s of this.streams.values()) return s;
    return undefined;
  }

  onReportBlock(now: number, block: RtcpReportBlock): boolean {
    const stream = this.streams.get(block.ssrc);
    if (!stream) return false;
    const arrival = ntpMiddleFromUnixMs(this.wallClockAtZero + now);
    stream.remoteReport = {
      fractionLost: block.fractionLost / 256,
      packetsLost: block.packetsLost,
      jitter: block.jitter / stream.clockRate,
      highestSequence: block.highestSequence,
      roundTripTime:
        roundTripMs(arrival, block.lastSr, block.delaySinceLastSr) ?? stream.remoteReport?.roundTripTime,
      receivedAt: now,
    };
    this.bandwidth.onReportBlock(now, block.fractionLost / 256, stream.remoteReport.roundTripTime);
    this.bandwidth.update(now, this.streams.values());
    return true;
  }

  /** Queue the retransmissions a NACK asks for; false when it concerns nothing we send with NACK on. */
  onNack(now: number, mediaSsrc: number, lost: readonly number[]): boolean {
    const stream = this.streams.get(mediaSsrc);
    if (!stream?.hasFeedback('nack')) return false;
    const rtt = stream.remoteReport?.roundTripTime;
    for (const sent of stream.nack.select(now, lost, stream.history, Math.max(10, rtt ?? 20))) {
      const r = retransmissionOf(stream, sent);
      if (!r) continue;
      const item: Outgoing =
        r.type === 'rtx'
          ? {
              size: r.packet.serializedLength + PROTECT_OVERHEAD,
              stream,
              kind: 'rtx',
              packet: r.packet,
              bytes: undefined,
            }
          : {
              size: r.bytes.byteLength + PROTECT_OVERHEAD,
              stream,
              kind: 'plain',
              packet: undefined,
              bytes: r.bytes,
            };
      if (this.bandwidth.admitRetransmission(now, item.size)) this.pacer.enqueue(item, 'retransmission');
    }
    return true;
  }

  onPli(now: number, mediaSsrc: number): void {
    const stream = this.streams.get(mediaSsrc);
    if (stream?.hasFeedback('pli') && stream.keyframeRequests.onPli(now))
      this.keyframeRequested(stream, 'pli');
  }

  onFir(now: number, mediaSsrc: number, requester: number, sequenceNumber: number): void {
    const stream = this.streams.get(mediaSsrc);
    if (stream?.hasFeedback('fir') && stream.keyframeRequests.onFir(now, requester, sequenceNumber))
      this.keyframeRequested(stream, 'fir');
  }

  /** The peer's REMB: into the estimator when one runs, else passed on as it came. */
  onRemb(now: number, remb: RtcpRemb): void {
    const target = targetFromRemb(remb, (ssrc) => {
      const s = this.streams.get(ssrc);
      return s ? { mid: s.mid, remb: s.hasFeedback('remb') } : undefined;
    });
    if (!target) return;
    if (this.bandwidth.estimator) {
      this.bandwidth.onRemb(now, target.bitrate);
      this.bandwidth.update(now, this.streams.values());
    } else {
      this.context.emit({ type: 'target-bitrate', ...target, source: 'remb' });
    }
  }

  onTransportFeedback(now: number, feedback: RtcpTransportWideCc): void {
    if (![...this.streams.values()].some((s) => s.hasFeedback('transportCc'))) return;
    const packets = this.transportLog.onFeedback(feedback);
    if (packets.length === 0) return;
    this.context.emit({ type: 'transport-feedback', packets });
    if (this.bandwidth.onTransportFeedback(now, packets)) this.bandwidth.update(now, this.streams.values());
  }

  private keyframeRequested(stream: SendStream, cause: 'pli' | 'fir'): void {
    this.context.emit({
      type: 'keyframe-request',
      mid: stream.mid,
      rid: stream.rid,
      ssrc: stream.ssrc,
      cause,
    });
  }

  private streamFor(mid: string, rid: string | undefined): SendStream | undefined {
    const section = this.sections.get(mid);
    if (!section || !sends(section.direction)) return undefined;
    let match: SendStream | undefined;
    for (const s of this.streams.values()) {
      if (s.mid !== mid) continue;
      if (rid === undefined ? match === undefined : s.rid === rid) {
        if (rid === undefined && match) return undefined; // simulcast needs a rid
        match = s;
      }
    }
    return match;
  }

  /**
   * Padding for a probe: a padding-only packet on an RTX stream (up to 255 bytes of padding). A resent media
   * packet would carry more bytes, but receivers count it as received media (Chromium's inbound-rtp then
   * shows more packets than we sent), and a padding-only packet is dropped by every receiver.
   */
  private padding(now: number, wanted: number): Outgoing | undefined {
    for (const stream of this.streams.values()) {
      if (stream.extensionIds.transportWideCc === undefined) continue;
      const packet = paddingPacketOf(stream, now, wanted);
      if (packet)
        return {
          size: packet.serializedLength + PROTECT_OVERHEAD,
          stream,
          kind: 'padding',
          packet,
          bytes: undefined,
        };
    }
    return undefined;
  }

  private transmit(now: number, srtp: SrtpSession, item: Outgoing, probeClusterId: number | undefined): void {
    const stream = item.stream;
    const c = stream.counters;
    if (item.kind === 'plain') {
      c.retransmittedPacketsSent++;
      c.retransmittedBytesSent += item.bytes!.byteLength;
      const out = srtp.protectRtp(item.bytes!);
      this.context.rtcp.push(out);
      this.bandwidth.onPacketSent(now, out.byteLength, true);
      return;
    }
    const packet = item.packet!;
    const ids = stream.extensionIds;
    let transportSequenceNumber: number | undefined;
    if (ids.transportWideCc !== undefined) {
      transportSequenceNumber = this.transportLog.allocate();
      packet.setExtension(ids.transportWideCc, serializeTransportSequenceNumber(transportSequenceNumber));
    }
    if (ids.absSendTime !== undefined)
      packet.setExtension(
        ids.absSendTime,
        serializeAbsSendTime(absSendTimeFromMs(this.wallClockAtZero + now)),
      );
    const plain = packet.serialize();
    const headerLength = plain.byteLength - packet.payload.byteLength - packet.padding;
    if (item.kind === 'media') {
      stream.history.store(packet.sequenceNumber, plain, headerLength, now);
      c.packetsSent++;
      c.bytesSent += packet.payload.byteLength;
      c.headerBytesSent += headerLength;
    } else if (item.kind === 'padding') {
      c.paddingPacketsSent++;
      c.paddingBytesSent += packet.padding;
    } else {
      c.retransmittedPacketsSent++;
      c.retransmittedBytesSent += packet.payload.byteLength - 2;
    }
    const out = srtp.protectRtp(plain);
    this.context.rtcp.push(out);
    this.bandwidth.onPacketSent(now, out.byteLength, item.kind !== 'padding');
    if (transportSequenceNumber !== undefined)
      this.transportLog.record({
        transportSequenceNumber,
        ssrc: packet.ssrc,
        sequenceNumber: packet.sequenceNumber,
        size: out.byteLength,
        sentAt: now,
        retransmission: item.kind === 'rtx',
        probeClusterId,
        padding: item.kind === 'padding',
      });
  }
}
