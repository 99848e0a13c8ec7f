/**
 * The receiving half of a MediaSession: routing, receive streams (created bounded, removed on BYE, timeout or
 * renegotiation), TWCC recording, activity, and turning jitter-buffer output into frame events and feedback.
 */
import { ReceiveSideEstimator } from './bwe/receive-side-estimator.js';
import { TwccRecorder } from './feedback/twcc-recorder.js';
import { parseAbsSendTime, parseAudioLevel, parseTransportSequenceNumber } from './header-extensions.js';
import type { MediaSessionCounters, MediaSessionEvent, MediaSessionOptions } from './media-session-types.js';
import { RtpPacket } from './packet.js';
import { type DropReason, RtpRouter } from './router.js';
import type { RtcpReportBlock, RtcpSenderReport } from './rtcp/types.js';
import {
  codecOfPayloadType,
  type MediaSectionConfig,
  type MediaSessionConfig,
  receives,
} from './session-config.js';
import type { RtcpOutbox } from './session-rtcp.js';
import { ReceiveStream } from './stream/receive-stream.js';
import { unwrapReceivedRtx } from './stream/rtx.js';

/** A receive time older than this (ms) before `now` is taken for another clock's, and ignored. */
export const MAX_RECEIVE_AGE_MS = 10_000;

/**
 * The arrival time of a datagram that reached the host at `receivedAt` (the runtime's kernel stamp, if it
 * had one) and is processed at `now`: `receivedAt` when it is plausible on the same clock, else `now`.
 */
export function arrivalTime(now: number, receivedAt: number | undefined): number {
  return receivedAt !== undefined && receivedAt <= now && now - receivedAt <= MAX_RECEIVE_AGE_MS
    ? receivedAt
    : now;
}

/** What both halves of the session share. */
export interface SessionContext {
  readonly options: MediaSessionOptions;
  readonly counters: MediaSessionCounters;
  readonly rtcp: RtcpOutbox;
  emit(event: MediaSessionEvent): void;
  /** The SSRC our RTCP comes from. */
  rtcpSsrc(): number;
}

export class ReceiveSide {
  readonly router = new RtpRouter<ReceiveStream>();
  readonly streams = new Map<number, ReceiveStream>();
  readonly twcc: TwccRecorder;
  private sections = new Map<string, MediaSectionConfig>();
  private twccId: number | undefined;
  /** The receive-side estimate sent as REMB (goog-remb and abs-send-time without transport-cc). */
  remb: ReceiveSideEstimator | undefined;
  private absSendTimeId: number | undefined;
  private audioLevelIds: number[] = [];
  private readonly inactiveAfterMs: number;
  private readonly removeAfterMs: number;

  constructor(private readonly context: SessionContext) {
    this.twcc = new TwccRecorder(context.options.twccIntervalMs ?? 100);
    this.inactiveAfterMs = context.options.inactiveAfterMs ?? 2000;
    this.removeAfterMs = context.options.removeAfterMs ?? 10_000;
  }

  configure(config: MediaSessionConfig): void {
    this.sections = new Map(config.media.map((m) => [m.mid, m]));
    this.router.configure(config.media);
    for (const stream of [...this.streams.values()]) {
      const section = this.sections.get(stream.mid);
      const keep =
        section !== undefined &&
        receives(section.direction) &&
        (stream.rid === undefined ||
          section.receiveRids.length === 0 ||
          section.receiveRids.includes(stream.rid));
      if (!keep) this.remove(stream, 'reconfigured');
    }
    const receiving = config.media.filter((m) => receives(m.direction));
    this.twccId = receiving.find(
      (m) =>
        m.extensions.transportWideCc !== undefined && m.receiveCodecs.some((c) => c.feedback.transportCc),
    )?.extensions.transportWideCc;
    // REMB for peers that want it: goog-remb and abs-send-time negotiated, transport-cc not
    this.absSendTimeId =
      this.twccId === undefined
        ? receiving.find(
            (m) => m.extensions.absSendTime !== undefined && m.receiveCodecs.some((c) => c.feedback.remb),
          )?.extensions.absSendTime
        : undefined;
    if (this.absSendTimeId !== undefined) this.remb ??= new ReceiveSideEstimator();
    this.audioLevelIds = [
      ...new Set(
        receiving.map((m) => m.extensions.audioLevel).filter((id): id is number => id !== undefined),
      ),
    ];
  }

  /**
   * One decrypted RTP packet, processed at `now`, that reached the host at `arrival` (≤ now): the time
   * transport-wide feedback and the REMB estimate see, so a stalled event loop does not bunch packets.
   */
  receive(now: number, plain: Uint8Array, arrival = now): void {
    const c = this.context.counters;
    const packet = RtpPacket.tryParse(plain);
    if (!packet) {
      c.malformed++;
      return;
    }
    c.rtpPacketsReceived++;
    if (this.twccId !== undefined) {
      const ext = packet.getExtension(this.twccId);
      if (ext && ext.byteLength >= 2)
        this.twcc.record(arrival, parseTransportSequenceNumber(ext), packet.ssrc);
    } else if (this.absSendTimeId !== undefined && this.remb) {
      const ext = packet.getExtension(this.absSendTimeId);
      if (ext && ext.byteLength >= 3)
        this.remb.onPacket(arrival, parseAbsSendTime(ext), plain.byteLength, packet.ssrc);
    }
    const decision = this.router.route(packet, this.streams.values());
    let stream: ReceiveStream;
    let rtx: boolean;
    switch (decision.type) {
      case 'drop':
        countDrop(c, decision.reason);
        return;
      case 'stream':
        stream = decision.stream;
        rtx = decision.rtx;
        break;
      case 'new-rtx':
        stream = decision.stream;
        rtx = true;
        this.router.bind(packet.ssrc, stream, true);
        break;
      case 'new': {
        // a stream is created only for a media payload type of its section: junk creates no state
        const media = codecOfPayloadType(decision.section.receiveCodecs, packet.payloadType);
        if (!media || media.rtx) {
          c.unknownPayloadType++;
          return;
        }
        const created = this.add(now, decision.section, decision.rid, packet.ssrc, decision.signalled);
        if (!created) return;
        stream = created;
        rtx = false;
        break;
      }
    }
    const section = this.sections.get(stream.mid);
    const entry = section ? codecOfPayloadType(section.receiveCodecs, packet.payloadType) : undefined;
    if (!entry || entry.rtx !== rtx) {
      c.unknownPayloadType++;
      return;
    }
    const headerSize = plain.byteLength - packet.payload.byteLength - packet.padding;
    if (rtx) {
      stream.countRtx(plain.byteLength);
      const media = unwrapReceivedRtx(packet, stream.ssrc, entry.codec.payloadType);
      if (!media) return; // padding-only probe
      stream.receive(now, media, entry.codec, plain.byteLength - 2, headerSize, true, undefined);
    } else {
      stream.receive(
        now,
        packet,
        entry.codec,
        plain.byteLength,
        headerSize,
        false,
        this.audioLevelOf(packet),
      );
    }
    if (!stream.active) {
      stream.active = true;
      this.activity(stream, true);
    }
    this.drain(now, stream);
  }

  /** Jitter buffer timers, activity and timeouts, TWCC feedback when due. */
  handleTimeout(now: number): void {
    for (const stream of [...this.streams.values()]) {
      const t = stream.jitterBufferTimeout();
      if (t !== undefined && t <= now) {
        stream.handleJitterBufferTimeout(now);
        this.drain(now, stream);
      }
      // compared as pollTimeout computes the deadlines (with fractional times, now − a ≥ b can be false at
      // the very time a + b that pollTimeout gave, and the caller would wake again at once, forever)
      const inactiveAt = stream.lastPacketAt + this.inactiveAfterMs;
      if (stream.active && inactiveAt <= now) {
        stream.active = false;
        this.activity(stream, false);
      }
      if (
        (stream.superseded && inactiveAt <= now) ||
        (!stream.signalled && stream.lastPacketAt + this.removeAfterMs <= now)
      )
        this.remove(stream, 'timeout');
    }
    const twccDue = this.twcc.pollTimeout();
    if (twccDue !== undefined && twccDue <= now)
      this.context.rtcp.queueFeedback(this.twcc.takeFeedback(now, this.context.rtcpSsrc()));
    const remb = this.absSendTimeId !== undefined ? this.remb?.takeRemb(now) : undefined;
    if (remb)
      this.context.rtcp.queueFeedback([{ type: 'remb', senderSsrc: this.context.rtcpSsrc(), ...remb }]);
  }

  pollTimeout(): number | undefined {
    let t = this.twcc.pollTimeout();
    const consider = (v: number | undefined): void => {
      if (v !== undefined && (t === undefined || v < t)) t = v;
    };
    if (this.absSendTimeId !== undefined) consider(this.remb?.pollTimeout());
    for (const s of this.streams.values()) {
      consider(s.jitterBufferTimeout());
      if (s.active) consider(s.lastPacketAt + this.inactiveAfterMs);
      if (s.superseded) consider(s.lastPacketAt + this.inactiveAfterMs);
      else if (!s.signalled) consider(s.lastPacketAt + this.removeAfterMs);
    }
    return t;
  }

  /** The decoder needs a keyframe on (mid, rid): the jitter buffers start asking. */
  requestKeyframe(now: number, mid: string, rid: string | undefined): void {
    for (const stream of this.streams.values()) {
      if (stream.mid !== mid || (rid !== undefined && stream.rid !== rid)) continue;
      stream.requestKeyframe(now);
      this.drain(now, stream);
    }
  }

  /** Report blocks for streams that received packets since the last round. */
  reportBlocks(now: number): RtcpReportBlock[] {
    const blocks: RtcpReportBlock[] = [];
    for (const s of this.streams.values()) {
      const block = s.reportBlock(now);
      if (block) blocks.push(block);
    }
    return blocks;
  }

  onSenderReport(now: number, report: RtcpSenderReport): boolean {
    const stream = this.streams.get(report.ssrc);
    stream?.onSenderReport(now, report);
    return stream !== undefined;
  }

  onCname(ssrc: number, cname: string): void {
    const stream = this.streams.get(ssrc);
    if (stream) stream.cname = cname;
  }

  onBye(ssrc: number): void {
    const stream = this.streams.get(ssrc);
    if (stream) this.remove(stream, 'bye');
  }

  private add(
    now: number,
    section: MediaSectionConfig,
    rid: string | undefined,
    ssrc: number,
    signalled: boolean,
  ): ReceiveStream | undefined {
    if (this.streams.size >= (this.context.options.maxReceiveStreams ?? 32)) {
      this.context.counters.tooManyStreams++;
      return undefined;
    }
    for (const other of this.streams.values())
      if (other.mid === section.mid && other.rid === rid) other.superseded = true; // an SSRC change
    const stream = new ReceiveStream({ mid: section.mid, rid, kind: section.kind, ssrc, signalled, now });
    this.streams.set(ssrc, stream);
    this.router.bind(ssrc, stream, false);
    const rtx = this.router.signalledRtxOf(ssrc);
    if (rtx !== undefined) this.router.bind(rtx, stream, true);
    this.context.emit({ type: 'stream-added', mid: section.mid, rid, ssrc, kind: section.kind });
    return stream;
  }

  private remove(stream: ReceiveStream, reason: 'bye' | 'timeout' | 'reconfigured'): void {
    if (this.streams.get(stream.ssrc) !== stream) return;
    this.streams.delete(stream.ssrc);
    this.router.unbind(stream);
    this.context.emit({
      type: 'stream-removed',
      mid: stream.mid,
      rid: stream.rid,
      ssrc: stream.ssrc,
      reason,
    });
  }

  private activity(stream: ReceiveStream, active: boolean): void {
    this.context.emit({
      type: 'receive-activity',
      mid: stream.mid,
      rid: stream.rid,
      ssrc: stream.ssrc,
      active,
    });
  }

  /** Turn the jitter buffer's output into frame events and feedback. */
  private drain(now: number, stream: ReceiveStream): void {
    for (let e = stream.pollJitterEvent(); e; e = stream.pollJitterEvent()) {
      if (e.type === 'frame') {
        stream.counters.framesReceived++;
        if (e.frame.keyframe && stream.kind === 'video') stream.counters.keyframesReceived++;
        this.context.emit({
          type: 'frame',
          mid: stream.mid,
          rid: stream.rid,
          ssrc: stream.ssrc,
          frame: e.frame,
          rtpTimestamp: e.timestamp,
          receivedAt: now,
          senderCaptureTime: stream.senderTimeOf(e.timestamp),
          firstSequenceNumber: e.firstSequenceNumber,
          lastSequenceNumber: e.lastSequenceNumber,
        });
      } else if (e.type === 'nack') {
        if (!stream.codec?.feedback.nack) continue;
        stream.counters.nackPacketsSent++;
        stream.counters.nackedSequenceNumbers += e.sequenceNumbers.length;
        this.context.rtcp.queueFeedback([
          {
            type: 'nack',
            senderSsrc: this.context.rtcpSsrc(),
            mediaSsrc: stream.ssrc,
            lost: e.sequenceNumbers,
          },
        ]);
      } else if (stream.codec) {
        const request = stream.keyframes.request(this.context.rtcpSsrc(), stream.ssrc, stream.codec.feedback);
        if (request) this.context.rtcp.queueFeedback([request]);
      }
    }
  }

  private audioLevelOf(packet: RtpPacket): ReturnType<typeof parseAudioLevel> | undefined {
    for (const id of this.audioLevelIds) {
      const data = packet.getExtension(id);
      if (data && data.byteLength >= 1) return parseAudioLevel(data);
    }
    return undefined;
  }
}

function countDrop(c: MediaSessionCounters, reason: DropReason): void {
  switch (reason) {
    case 'unknown-mid':
      c.unknownMid++;
      return;
    case 'unknown-rid':
      c.unknownRid++;
      return;
    case 'not-receiving':
      c.notReceiving++;
      return;
    case 'rtx-without-stream':
      c.rtxWithoutStream++;
      return;
    case 'unroutable':
      c.unroutable++;
  }
}
