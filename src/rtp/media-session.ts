/**
 * The media engine of one bundle (one per peer connection), sans-I/O: SRTP/SRTCP, the router, one send
 * stream per local SSRC and one receive stream per remote SSRC, RTCP reports and feedback, and a pacer.
 *
 *   session.handleDatagram(now, srtpOrSrtcp)            datagrams the DTLS transport passed up (128–191)
 *   session.writeFrame(now, mid, rid, encodedFrame)     media to send
 *   while ((d = session.pollTransmit())) ice.send(d)    protected datagrams
 *   while ((e = session.pollEvent())) …                 frames, keyframe requests, bitrate, streams
 *   wake at session.pollTimeout() → session.handleTimeout(now)
 *
 * No codecs, timers or clock reads: wall time is `wallClockAtZero + now`; randomness from `random`.
 * Untrusted input never throws: every drop is counted (getStats().counters), every collection is bounded.
 * handleDatagram decrypts in place and keeps views of the datagram in the jitter buffers: pass a buffer the
 * caller will not reuse (Node's dgram gives a fresh one per message).
 */
import { cryptoRandom, type RandomSource, randomIceString, randomUint32 } from '../common/random.js';
import type { SrtpKeyingMaterial } from '../dtls/srtp-profiles.js';
import type { EncodedFrame } from '../media/encoded-frame.js';
import { SrtpSession } from '../srtp/session.js';
import { targetFromRemb } from './feedback/remb.js';
import { TransportFeedbackLog } from './feedback/transport-feedback-log.js';
import { TwccRecorder } from './feedback/twcc-recorder.js';
import { Fifo } from './fifo.js';
import {
  absSendTimeFromMs,
  parseAudioLevel,
  parseTransportSequenceNumber,
  serializeAbsSendTime,
  serializeTransportSequenceNumber,
} from './header-extensions.js';
import { collectStats } from './media-session-stats.js';
import type {
  MediaSessionCounters,
  MediaSessionEvent,
  MediaSessionOptions,
  MediaSessionStats,
  RtpSourceInfo,
  WriteFrameOptions,
} from './media-session-types.js';
import { ntpMiddleFromUnixMs, roundTripMs } from './ntp.js';
import { Pacer } from './pacer.js';
import { isRtcp, isRtpOrRtcp, RtpPacket } from './packet.js';
import { fanOutRtcp, type RtcpSink, RtpRouter } from './router.js';
import { tryParseRtcp } from './rtcp/compound.js';
import {
  codecOfPayloadType,
  type MediaSectionConfig,
  type MediaSessionConfig,
  receives,
  sends,
} from './session-config.js';
import { RtcpOutbox } from './session-rtcp.js';
import { ReceiveStream } from './stream/receive-stream.js';
import { retransmissionOf, unwrapReceivedRtx } from './stream/rtx.js';
import { SendStream } from './stream/send-stream.js';

/** A packet waiting in the pacer. */
interface Outgoing {
  readonly size: number;
  readonly stream: SendStream;
  /** media and rtx packets get their transport-wide extensions as they leave; plain bytes go as they are. */
  readonly kind: 'media' | 'rtx' | 'plain';
  readonly packet: RtpPacket | undefined;
  readonly bytes: Uint8Array | undefined;
}

const SOURCE_WINDOW_MS = 10_000;

export class MediaSession {
  /** Our SSRC for RTCP when no stream of ours sends (random, stable for the session's life). */
  readonly receiverSsrc: number;
  readonly cname: string;
  private readonly wallClockAtZero: number;
  private readonly random: RandomSource;
  private readonly options: MediaSessionOptions;
  private srtp: SrtpSession | undefined;
  private readonly router = new RtpRouter<ReceiveStream>();
  private readonly receiveStreams = new Map<number, ReceiveStream>();
  private readonly sendStreams = new Map<number, SendStream>();
  private sections = new Map<string, MediaSectionConfig>();
  private readonly pacer: Pacer<Outgoing>;
  private readonly transportLog: TransportFeedbackLog;
  private readonly twcc: TwccRecorder;
  private readonly rtcp: RtcpOutbox;
  private readonly events = new Fifo<MediaSessionEvent>();
  private twccId: number | undefined;
  private audioLevelIds: number[] = [];
  private isClosed = false;
  private readonly counters: MediaSessionCounters = {
    datagramsReceived: 0,
    rtpPacketsReceived: 0,
    rtcpPacketsReceived: 0,
    malformed: 0,
    notReady: 0,
    unknownMid: 0,
    unknownRid: 0,
    unroutable: 0,
    notReceiving: 0,
    rtxWithoutStream: 0,
    unknownPayloadType: 0,
    tooManyStreams: 0,
    rtcpIgnored: 0,
    framesWritten: 0,
    framesRefused: 0,
    eventsDropped: 0,
    internalErrors: 0,
  };

  constructor(options: MediaSessionOptions) {
    if (!Number.isFinite(options.wallClockAtZero)) throw new TypeError('wallClockAtZero must be a number');
    this.options = options;
    this.wallClockAtZero = options.wallClockAtZero;
    this.random = options.random ?? cryptoRandom;
    this.cname = options.cname ?? randomIceString(16, this.random);
    this.receiverSsrc = randomUint32(this.random);
    this.pacer = new Pacer(options.pacer);
    this.transportLog = new TransportFeedbackLog(1);
    this.twcc = new TwccRecorder(options.twccIntervalMs ?? 100);
    this.rtcp = new RtcpOutbox(this.random, options.reportIntervals, this.cname);
    if (options.config) this.configure(options.config);
    if (options.keys) this.setKeys(0, options.keys);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  // ---- commands ----------------------------------------------------------------------------------

  /** Key SRTP/SRTCP from the DTLS handshake (again after a DTLS restart). */
  setKeys(now: number, keys: SrtpKeyingMaterial): void {
    const o = this.options.srtp ?? {};
    this.srtp = SrtpSession.fromDtls(keys, {
      replayWindowSize: o.replayWindowSize,
      maxStreams: o.maxStreams,
    });
    if (this.rtcp.schedule.nextAt === undefined) this.rtcp.schedule.schedule(now, this.hasVideo(), true);
  }

  /**
   * Apply a negotiation's result. Streams whose SSRC (send) or section (receive) persist keep their state;
   * removed send streams say BYE, removed receive streams raise stream-removed.
   */
  configure(config: MediaSessionConfig): void {
    this.sections = new Map(config.media.map((m) => [m.mid, m]));
    this.router.configure(config.media);
    const wanted = new Map<number, { section: MediaSectionConfig; index: number }>();
    for (const section of config.media) {
      if (!sends(section.direction)) continue;
      section.sendEncodings.forEach((e, index) => {
        wanted.set(e.ssrc >>> 0, { section, index });
      });
    }
    const gone: number[] = [];
    for (const [ssrc, stream] of this.sendStreams) {
      const w = wanted.get(ssrc);
      if (!w || w.section.mid !== stream.mid || w.section.sendEncodings[w.index]!.rid !== stream.rid) {
        this.sendStreams.delete(ssrc);
        gone.push(ssrc);
      }
    }
    if (gone.length > 0) this.rtcp.queueBye(gone);
    for (const [ssrc, { section, index }] of wanted) {
      const encoding = section.sendEncodings[index]!;
      let stream = this.sendStreams.get(ssrc);
      if (!stream) {
        stream = new SendStream({
          mid: section.mid,
          kind: section.kind,
          encoding,
          random: this.random,
          maxPayloadSize: this.options.maxPayloadSize ?? 1200,
          historyPackets: this.options.sendHistory?.packets ?? 1024,
          historyMaxAgeMs: this.options.sendHistory?.maxAgeMs ?? 1500,
          keyframeRequestIntervalMs: this.options.keyframeRequestIntervalMs ?? 250,
          nack: this.options.nack,
        });
        this.sendStreams.set(ssrc, stream);
      }
      stream.configure(section.sendCodecs, section.extensions, encoding.rtxSsrc);
    }
    for (const stream of [...this.receiveStreams.values()]) {
      const section = this.sections.get(stream.mid);
      const keep =
        section !== undefined &&
        receives(section.direction) &&
        (stream.rid === undefined ||
          section.receiveRids.length === 0 ||
          section.receiveRids.includes(stream.rid));
      if (!keep) this.removeReceiveStream(stream, 'reconfigured');
    }
    const receiving = config.media.filter((m) => receives(m.direction));
    this.twccId = receiving.find(
      (m) =>
        m.extensions.transportWideCc !== undefined && m.receiveCodecs.some((c) => c.feedback.transportCc),
    )?.extensions.transportWideCc;
    this.audioLevelIds = [
      ...new Set(
        receiving.map((m) => m.extensions.audioLevel).filter((id): id is number => id !== undefined),
      ),
    ];
    this.rtcp.reducedSize = config.media.length > 0 && config.media.every((m) => m.rtcpReducedSize);
  }

  /**
   * Send one encoded frame on (mid, rid). Returns false when it was refused (unknown mid or rid, not
   * sending, no keys yet, codec not negotiated, pacer queue full): counted, never thrown.
   */
  writeFrame(
    now: number,
    mid: string,
    rid: string | undefined,
    frame: EncodedFrame,
    options: WriteFrameOptions = {},
  ): boolean {
    const stream = this.isClosed || !this.srtp ? undefined : this.sendStreamFor(mid, rid);
    const estimate = Math.ceil(frame.data.byteLength / (this.options.maxPayloadSize ?? 1200)) + 1;
    if (!stream || !this.pacer.hasRoomFor(estimate)) {
      this.counters.framesRefused++;
      return false;
    }
    const packets = stream.packetize(now, frame, options.audioLevel, options.captureTime);
    if (!packets) {
      this.counters.framesRefused++;
      return false;
    }
    this.counters.framesWritten++;
    const cls = stream.kind === 'audio' ? 'audio' : 'video';
    for (const packet of packets)
      this.pacer.enqueue(
        { size: packet.serializedLength + 20, stream, kind: 'media', packet, bytes: undefined },
        cls,
      );
    this.flushPacer(now);
    return true;
  }

  /** The decoder needs a keyframe on (mid, rid): PLI (or FIR) follow, as negotiated and rate-limited. */
  requestKeyframe(now: number, mid: string, rid?: string): void {
    if (this.isClosed) return;
    for (const stream of this.receiveStreams.values()) {
      if (stream.mid !== mid || (rid !== undefined && stream.rid !== rid)) continue;
      stream.requestKeyframe(now);
      this.drainJitterBuffer(now, stream);
    }
    this.flush(now);
  }

  /** Change the pacing rate (bits per second). */
  setPacingRate(bps: number): void {
    this.pacer.setRate(bps);
  }

  /**
   * A last report round, then BYE for every SSRC we sent from (RFC 3550 §6.6); then nothing more is sent
   * or accepted. Media still waiting in the pacer is dropped.
   */
  close(now: number): void {
    if (this.isClosed) return;
    if (this.srtp) this.sendReports(now);
    this.rtcp.queueBye([...this.sendStreams.keys()], this.receiverSsrc);
    this.flushRtcp();
    this.isClosed = true;
  }

  // ---- input -------------------------------------------------------------------------------------

  /** An SRTP or SRTCP datagram (first byte 128–191). Decrypted in place; never throws. */
  handleDatagram(now: number, datagram: Uint8Array): void {
    this.counters.datagramsReceived++;
    if (this.isClosed || !this.srtp) {
      this.counters.notReady++;
      return;
    }
    if (!isRtpOrRtcp(datagram) || datagram.byteLength < 12) {
      this.counters.malformed++;
      return;
    }
    try {
      if (isRtcp(datagram)) this.receiveRtcp(now, datagram);
      else this.receiveRtp(now, datagram);
      this.flush(now);
    } catch {
      this.counters.internalErrors++;
    }
  }

  handleTimeout(now: number): void {
    if (this.isClosed) return;
    try {
      for (const stream of [...this.receiveStreams.values()]) {
        const t = stream.jitterBufferTimeout();
        if (t !== undefined && t <= now) {
          stream.handleJitterBufferTimeout(now);
          this.drainJitterBuffer(now, stream);
        }
        this.checkActivity(now, stream);
      }
      const twccDue = this.twcc.pollTimeout();
      if (twccDue !== undefined && twccDue <= now)
        this.rtcp.queueFeedback(this.twcc.takeFeedback(now, this.rtcpSsrc()));
      if (this.srtp && this.rtcp.schedule.due(now)) this.sendReports(now);
      this.flush(now);
    } catch {
      this.counters.internalErrors++;
    }
  }

  // ---- output ------------------------------------------------------------------------------------

  pollTransmit(): Uint8Array | undefined {
    return this.rtcp.transmits.shift();
  }

  pollEvent(): MediaSessionEvent | undefined {
    return this.events.shift();
  }

  pollTimeout(): number | undefined {
    if (this.isClosed) return undefined;
    let t: number | undefined;
    const consider = (v: number | undefined): void => {
      if (v !== undefined && (t === undefined || v < t)) t = v;
    };
    consider(this.pacer.nextReleaseTime());
    consider(this.twcc.pollTimeout());
    if (this.srtp) consider(this.rtcp.schedule.nextAt);
    const inactiveAfter = this.options.inactiveAfterMs ?? 2000;
    const removeAfter = this.options.removeAfterMs ?? 10_000;
    for (const s of this.receiveStreams.values()) {
      consider(s.jitterBufferTimeout());
      if (s.active) consider(s.lastPacketAt + inactiveAfter);
      if (s.superseded) consider(s.lastPacketAt + inactiveAfter);
      else if (!s.signalled) consider(s.lastPacketAt + removeAfter);
    }
    return t;
  }

  getStats(now: number): MediaSessionStats {
    return collectStats({
      now,
      receiveStreams: this.receiveStreams.values(),
      sendStreams: this.sendStreams.values(),
      counters: this.counters,
      srtp: this.srtp,
      pacer: this.pacer,
      twcc: this.twcc,
      routedSsrcs: this.router.size,
      transmitQueue: this.rtcp.transmits.length,
      eventQueue: this.events.length,
    });
  }

  /** The latest packet's source of each stream of `mid` within the last 10 s (W3C getSynchronizationSources). */
  getSynchronizationSources(now: number, mid: string): RtpSourceInfo[] {
    const out: RtpSourceInfo[] = [];
    for (const s of this.receiveStreams.values()) {
      if (s.mid !== mid) continue;
      const e = s.sources(now, SOURCE_WINDOW_MS).synchronization;
      if (e) out.push(sourceInfo(e));
    }
    return out;
  }

  /** Contributing sources (CSRCs) of `mid` seen within the last 10 s (W3C getContributingSources). */
  getContributingSources(now: number, mid: string): RtpSourceInfo[] {
    const out: RtpSourceInfo[] = [];
    for (const s of this.receiveStreams.values())
      if (s.mid === mid)
        for (const e of s.sources(now, SOURCE_WINDOW_MS).contributing) out.push(sourceInfo(e));
    return out;
  }

  // ---- receive -----------------------------------------------------------------------------------

  private receiveRtp(now: number, datagram: Uint8Array): void {
    const plain = this.srtp!.unprotectRtp(datagram);
    if (!plain) return; // counted by the SRTP context
    const packet = RtpPacket.tryParse(plain);
    if (!packet) {
      this.counters.malformed++;
      return;
    }
    this.counters.rtpPacketsReceived++;
    if (this.twccId !== undefined) {
      const ext = packet.getExtension(this.twccId);
      if (ext && ext.byteLength >= 2) this.twcc.record(now, parseTransportSequenceNumber(ext), packet.ssrc);
    }
    const decision = this.router.route(packet, this.receiveStreams.values());
    let stream: ReceiveStream;
    let rtx: boolean;
    switch (decision.type) {
      case 'drop':
        this.countDrop(decision.reason);
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
          this.counters.unknownPayloadType++;
          return;
        }
        const created = this.addReceiveStream(
          now,
          decision.section,
          decision.rid,
          packet.ssrc,
          decision.signalled,
        );
        if (!created) return;
        stream = created;
        rtx = false;
        break;
      }
    }
    const section = this.sections.get(stream.mid);
    const entry = section ? codecOfPayloadType(section.receiveCodecs, packet.payloadType) : undefined;
    if (!entry || entry.rtx !== rtx) {
      this.counters.unknownPayloadType++;
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
      this.emit({
        type: 'receive-activity',
        mid: stream.mid,
        rid: stream.rid,
        ssrc: stream.ssrc,
        active: true,
      });
    }
    this.drainJitterBuffer(now, stream);
  }

  private addReceiveStream(
    now: number,
    section: MediaSectionConfig,
    rid: string | undefined,
    ssrc: number,
    signalled: boolean,
  ): ReceiveStream | undefined {
    if (this.receiveStreams.size >= (this.options.maxReceiveStreams ?? 32)) {
      this.counters.tooManyStreams++;
      return undefined;
    }
    for (const other of this.receiveStreams.values())
      if (other.mid === section.mid && other.rid === rid) other.superseded = true; // an SSRC change
    const stream = new ReceiveStream({ mid: section.mid, rid, kind: section.kind, ssrc, signalled, now });
    this.receiveStreams.set(ssrc, stream);
    this.router.bind(ssrc, stream, false);
    const rtx = this.router.signalledRtxOf(ssrc);
    if (rtx !== undefined) this.router.bind(rtx, stream, true);
    this.emit({ type: 'stream-added', mid: section.mid, rid, ssrc, kind: section.kind });
    return stream;
  }

  private removeReceiveStream(stream: ReceiveStream, reason: 'bye' | 'timeout' | 'reconfigured'): void {
    if (this.receiveStreams.get(stream.ssrc) !== stream) return;
    this.receiveStreams.delete(stream.ssrc);
    this.router.unbind(stream);
    this.emit({ type: 'stream-removed', mid: stream.mid, rid: stream.rid, ssrc: stream.ssrc, reason });
  }

  private checkActivity(now: number, stream: ReceiveStream): void {
    const quiet = now - stream.lastPacketAt;
    const inactiveAfter = this.options.inactiveAfterMs ?? 2000;
    if (stream.active && quiet >= inactiveAfter) {
      stream.active = false;
      this.emit({
        type: 'receive-activity',
        mid: stream.mid,
        rid: stream.rid,
        ssrc: stream.ssrc,
        active: false,
      });
    }
    if (
      (stream.superseded && quiet >= inactiveAfter) ||
      (!stream.signalled && quiet >= (this.options.removeAfterMs ?? 10_000))
    )
      this.removeReceiveStream(stream, 'timeout');
  }

  /** Turn the jitter buffer's output into frame events and feedback. */
  private drainJitterBuffer(now: number, stream: ReceiveStream): void {
    for (let e = stream.pollJitterEvent(); e; e = stream.pollJitterEvent()) {
      if (e.type === 'frame') {
        stream.counters.framesReceived++;
        if (e.frame.keyframe && stream.kind === 'video') stream.counters.keyframesReceived++;
        this.emit({
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
        this.rtcp.queueFeedback([
          { type: 'nack', senderSsrc: this.rtcpSsrc(), mediaSsrc: stream.ssrc, lost: e.sequenceNumbers },
        ]);
      } else if (stream.codec) {
        const request = stream.keyframes.request(this.rtcpSsrc(), stream.ssrc, stream.codec.feedback);
        if (request) this.rtcp.queueFeedback([request]);
      }
    }
  }

  private receiveRtcp(now: number, datagram: Uint8Array): void {
    const plain = this.srtp!.unprotectRtcp(datagram);
    if (!plain) return;
    const packets = tryParseRtcp(plain);
    if (!packets) {
      this.counters.malformed++;
      return;
    }
    this.counters.rtcpPacketsReceived++;
    this.counters.rtcpIgnored += fanOutRtcp(packets, this.rtcpSink(now));
  }

  private rtcpSink(now: number): RtcpSink {
    return {
      onReportBlock: (block) => {
        const stream = this.sendStreams.get(block.ssrc);
        if (!stream) return void this.counters.rtcpIgnored++;
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
      },
      onSenderReport: (ssrc, seconds, fraction, rtpTimestamp) => {
        const stream = this.receiveStreams.get(ssrc);
        if (stream) stream.onSenderReport(now, seconds, fraction, rtpTimestamp);
        else this.counters.rtcpIgnored++;
      },
      onCname: (ssrc, cname) => {
        const stream = this.receiveStreams.get(ssrc);
        if (stream) stream.cname = cname;
      },
      onBye: (ssrc) => {
        const stream = this.receiveStreams.get(ssrc);
        if (stream) this.removeReceiveStream(stream, 'bye');
      },
      onNack: (mediaSsrc, lost) => this.answerNack(now, mediaSsrc, lost),
      onPli: (mediaSsrc) => {
        const stream = this.sendStreams.get(mediaSsrc);
        if (stream?.hasFeedback('pli') && stream.keyframeRequests.onPli(now))
          this.keyframeRequested(stream, 'pli');
      },
      onFir: (mediaSsrc, requester, sequenceNumber) => {
        const stream = this.sendStreams.get(mediaSsrc);
        if (stream?.hasFeedback('fir') && stream.keyframeRequests.onFir(now, requester, sequenceNumber))
          this.keyframeRequested(stream, 'fir');
      },
      onSessionFeedback: (p) => {
        if (p.type === 'remb') {
          const target = targetFromRemb(p, (ssrc) => {
            const s = this.sendStreams.get(ssrc);
            return s ? { mid: s.mid, remb: s.hasFeedback('remb') } : undefined;
          });
          if (target) this.emit({ type: 'target-bitrate', ...target });
        } else if ([...this.sendStreams.values()].some((s) => s.hasFeedback('transportCc'))) {
          const packets = this.transportLog.onFeedback(p);
          if (packets.length > 0) this.emit({ type: 'transport-feedback', packets });
        }
      },
    };
  }

  private keyframeRequested(stream: SendStream, cause: 'pli' | 'fir'): void {
    this.emit({ type: 'keyframe-request', mid: stream.mid, rid: stream.rid, ssrc: stream.ssrc, cause });
  }

  private answerNack(now: number, mediaSsrc: number, lost: readonly number[]): void {
    const stream = this.sendStreams.get(mediaSsrc);
    if (!stream?.hasFeedback('nack')) return void this.counters.rtcpIgnored++;
    const rtt = stream.remoteReport?.roundTripTime;
    const resend = stream.nack.select(now, lost, stream.history, Math.max(10, rtt ?? 20));
    for (const sent of resend) {
      const r = retransmissionOf(stream, sent);
      if (!r) continue;
      const item: Outgoing =
        r.type === 'rtx'
          ? { size: r.packet.serializedLength + 20, stream, kind: 'rtx', packet: r.packet, bytes: undefined }
          : { size: r.bytes.byteLength + 20, stream, kind: 'plain', packet: undefined, bytes: r.bytes };
      this.pacer.enqueue(item, 'retransmission');
    }
  }

  // ---- send --------------------------------------------------------------------------------------

  private sendStreamFor(mid: string, rid: string | undefined): SendStream | undefined {
    const section = this.sections.get(mid);
    if (!section || !sends(section.direction)) return undefined;
    let match: SendStream | undefined;
    for (const s of this.sendStreams.values()) {
      if (s.mid !== mid) continue;
      if (rid === undefined ? match === undefined : s.rid === rid) {
        if (rid === undefined && match) return undefined; // simulcast needs a rid
        match = s;
      }
    }
    return match;
  }

  /** Release what the pacer allows: transport-wide extensions written now, then protected and queued. */
  private flushPacer(now: number): void {
    if (!this.srtp) return;
    for (let item = this.pacer.poll(now); item; item = this.pacer.poll(now)) this.transmit(now, item);
  }

  private transmit(now: number, item: Outgoing): void {
    const stream = item.stream;
    const c = stream.counters;
    if (item.kind === 'plain') {
      const out = this.srtp!.protectRtp(item.bytes!);
      c.retransmittedPacketsSent++;
      c.retransmittedBytesSent += item.bytes!.byteLength;
      this.rtcp.push(out);
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
    } else {
      c.retransmittedPacketsSent++;
      c.retransmittedBytesSent += packet.payload.byteLength - 2;
    }
    const out = this.srtp!.protectRtp(plain);
    this.rtcp.push(out);
    if (transportSequenceNumber !== undefined)
      this.transportLog.record({
        transportSequenceNumber,
        ssrc: packet.ssrc,
        sequenceNumber: packet.sequenceNumber,
        size: out.byteLength,
        sentAt: now,
        retransmission: item.kind === 'rtx',
      });
  }

  private sendReports(now: number): void {
    const senders = [...this.sendStreams.values()].filter((s) => s.counters.packetsSent > 0);
    const blocks = [];
    for (const s of this.receiveStreams.values()) {
      const block = s.reportBlock(now);
      if (block) blocks.push(block);
    }
    this.rtcp.queueReports(this.wallClockAtZero + now, now, senders, blocks, this.rtcpSsrc());
    this.rtcp.schedule.schedule(now, this.hasVideo());
  }

  private flush(now: number): void {
    this.flushRtcp();
    this.flushPacer(now);
  }

  private flushRtcp(): void {
    if (this.srtp) this.rtcp.flush(this.srtp, this.rtcpSsrc());
  }

  /** The SSRC our RTCP comes from: the first stream we send on, else the receiver SSRC. */
  private rtcpSsrc(): number {
    for (const s of this.sendStreams.values()) return s.ssrc;
    return this.receiverSsrc;
  }

  private hasVideo(): boolean {
    for (const m of this.sections.values()) if (m.kind === 'video' && m.direction !== 'inactive') return true;
    return false;
  }

  private audioLevelOf(packet: RtpPacket): ReturnType<typeof parseAudioLevel> | undefined {
    for (const id of this.audioLevelIds) {
      const data = packet.getExtension(id);
      if (data && data.byteLength >= 1) return parseAudioLevel(data);
    }
    return undefined;
  }

  private countDrop(reason: string): void {
    switch (reason) {
      case 'unknown-mid':
        this.counters.unknownMid++;
        break;
      case 'unknown-rid':
        this.counters.unknownRid++;
        break;
      case 'not-receiving':
        this.counters.notReceiving++;
        break;
      case 'rtx-without-stream':
        this.counters.rtxWithoutStream++;
        break;
      default:
        this.counters.unroutable++;
    }
  }

  private emit(event: MediaSessionEvent): void {
    if (this.events.length >= (this.options.maxQueuedEvents ?? 4096)) {
      this.events.shift();
      this.counters.eventsDropped++;
    }
    this.events.push(event);
  }
}

function sourceInfo(e: {
  source: number;
  timestamp: number;
  rtpTimestamp: number;
  level: number | undefined;
  voiceActivity: boolean | undefined;
}): RtpSourceInfo {
  return {
    source: e.source,
    timestamp: e.timestamp,
    rtpTimestamp: e.rtpTimestamp,
    audioLevel: e.level === undefined ? undefined : e.level >= 127 ? 0 : 10 ** (-e.level / 20),
    voiceActivityFlag: e.voiceActivity,
  };
}
