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
import { Fifo } from './fifo.js';
import { collectStats } from './media-session-stats.js';
import type {
  MediaSessionCounters,
  MediaSessionEvent,
  MediaSessionOptions,
  MediaSessionStats,
  RtpSourceInfo,
  WriteFrameOptions,
} from './media-session-types.js';
import { isRtcp, isRtpOrRtcp } from './packet.js';
import { fanOutRtcp, type RtcpSink } from './router.js';
import { tryParseRtcp } from './rtcp/compound.js';
import type { MediaSessionConfig } from './session-config.js';
import { arrivalTime, ReceiveSide, type SessionContext } from './session-receive.js';
import { RtcpOutbox } from './session-rtcp.js';
import { SendSide } from './session-send.js';
import type { RtpSourceEntry } from './stream/receive-stream.js';

/** getSynchronizationSources() remembers sources this long (W3C: 10 s). */
const SOURCE_WINDOW_MS = 10_000;

export class MediaSession {
  /** Our SSRC for RTCP when no stream of ours sends (random, stable for the session's life). */
  readonly receiverSsrc: number;
  readonly cname: string;
  private readonly wallClockAtZero: number;
  private readonly options: MediaSessionOptions;
  private srtp: SrtpSession | undefined;
  private readonly rtcp: RtcpOutbox;
  private readonly receiving: ReceiveSide;
  private readonly sending: SendSide;
  private readonly events = new Fifo<MediaSessionEvent>();
  private hasVideo = false;
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
    const random: RandomSource = options.random ?? cryptoRandom;
    this.cname = options.cname ?? randomIceString(16, random);
    this.receiverSsrc = randomUint32(random);
    this.rtcp = new RtcpOutbox(random, options.reportIntervals, this.cname);
    const context: SessionContext = {
      options,
      counters: this.counters,
      rtcp: this.rtcp,
      emit: (event) => this.emit(event),
      rtcpSsrc: () => this.rtcpSsrc(),
    };
    this.receiving = new ReceiveSide(context);
    this.sending = new SendSide(context, random, this.wallClockAtZero);
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
    if (this.rtcp.schedule.nextAt === undefined) this.rtcp.schedule.schedule(now, this.hasVideo, true);
  }

  /**
   * Apply a negotiation's result. Streams whose SSRC (send) or section (receive) persist keep their state;
   * removed send streams say BYE, removed receive streams raise stream-removed.
   */
  configure(config: MediaSessionConfig): void {
    this.sending.configure(config);
    this.receiving.configure(config);
    this.rtcp.reducedSize = config.media.length > 0 && config.media.every((m) => m.rtcpReducedSize);
    this.hasVideo = config.media.some((m) => m.kind === 'video' && m.direction !== 'inactive');
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
    if (this.isClosed || !this.srtp || !this.sending.write(now, mid, rid, frame, options)) {
      this.counters.framesRefused++;
      return false;
    }
    this.counters.framesWritten++;
    this.sending.flush(now, this.srtp);
    return true;
  }

  /** The decoder needs a keyframe on (mid, rid): PLI (or FIR) follow, as negotiated and rate-limited. */
  requestKeyframe(now: number, mid: string, rid?: string): void {
    if (this.isClosed) return;
    this.receiving.requestKeyframe(now, mid, rid);
    this.flush(now);
  }

  /**
   * Change the pacing rate (bits per second). With a bandwidth estimator running (transport-cc or goog-remb
   * negotiated), the estimate sets it again at its next change: switch the estimator off
   * (`options.bandwidth: false`) to pace at a fixed rate.
   */
  setPacingRate(bps: number): void {
    this.sending.pacer.setRate(bps);
  }

  /**
   * Limits for the sender of `mid` in the split of the estimate across senders (bits/s): the encoding's
   * maxBitrate, a minimum, a priority; undefined restores the defaults (audio 16–64 kbit/s, video from
   * 30 kbit/s, no maximum, priority 1).
   */
  setBitrateLimits(
    mid: string,
    limits: { minBitrate?: number; maxBitrate?: number; priority?: number } | undefined,
  ): void {
    this.sending.setBitrateLimits(mid, limits);
  }

  /**
   * A last report round, then BYE for every SSRC we sent from (RFC 3550 §6.6); then nothing more is sent
   * or accepted. Media still waiting in the pacer is dropped.
   */
  close(now: number): void {
    if (this.isClosed) return;
    if (this.srtp) this.sendReports(now);
    this.rtcp.queueBye([...this.sending.streams.keys()], this.receiverSsrc);
    if (this.srtp) this.rtcp.flush(this.srtp, this.rtcpSsrc());
    this.isClosed = true;
  }

  // ---- input -------------------------------------------------------------------------------------

  /**
   * An SRTP or SRTCP datagram (first byte 128–191). Decrypted in place; never throws. `receivedAt` is when
   * it reached the host (kernel receive stamp, same clock as `now`), when the runtime knows it: RTP arrival
   * times for transport-wide feedback and REMB are then taken from it rather than from `now`, so a stalled
   * event loop does not bunch a burst together. Absent, later than `now`, or older than
   * MAX_RECEIVE_AGE_MS (another clock), it is `now`.
   */
  handleDatagram(now: number, datagram: Uint8Array, receivedAt?: number): void {
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
      if (isRtcp(datagram)) {
        const plain = this.srtp.unprotectRtcp(datagram);
        if (plain) this.receiveRtcp(now, plain);
      } else {
        const plain = this.srtp.unprotectRtp(datagram); // drops are counted by the SRTP context
        if (plain) this.receiving.receive(now, plain, arrivalTime(now, receivedAt));
      }
      this.flush(now);
    } catch {
      this.counters.internalErrors++;
    }
  }

  handleTimeout(now: number): void {
    if (this.isClosed) return;
    try {
      this.receiving.handleTimeout(now);
      this.sending.handleTimeout(now);
      if (this.srtp && this.rtcp.schedule.due(now)) this.sendReports(now);
      this.flush(now);
    } catch {
      this.counters.internalErrors++;
    }
  }

  // ---- output ------------------------------------------------------------------------------------

  /** The next protected datagram to send, or undefined. */
  pollTransmit(): Uint8Array | undefined {
    return this.rtcp.transmits.shift();
  }

  pollEvent(): MediaSessionEvent | undefined {
    return this.events.shift();
  }

  pollTimeout(): number | undefined {
    if (this.isClosed) return undefined;
    const times = [this.sending.pollTimeout(), this.receiving.pollTimeout()];
    if (this.srtp) times.push(this.rtcp.schedule.nextAt);
    let t: number | undefined;
    for (const v of times) if (v !== undefined && (t === undefined || v < t)) t = v;
    return t;
  }

  getStats(now: number): MediaSessionStats {
    return collectStats({
      now,
      receiveStreams: this.receiving.streams.values(),
      sendStreams: this.sending.streams.values(),
      counters: this.counters,
      srtp: this.srtp,
      pacer: this.sending.pacer,
      twcc: this.receiving.twcc,
      bandwidth: this.sending.bandwidth.stats(),
      receiveEstimate: this.receiving.remb
        ? { bitrate: this.receiving.remb.estimate ?? 0, rembSent: this.receiving.remb.rembsSent }
        : undefined,
      routedSsrcs: this.receiving.router.size,
      transmitQueue: this.rtcp.transmits.length,
      eventQueue: this.events.length,
    });
  }

  /** The latest packet's source of each stream of `mid` within the last 10 s (W3C getSynchronizationSources). */
  getSynchronizationSources(now: number, mid: string): RtpSourceInfo[] {
    const out: RtpSourceInfo[] = [];
    for (const s of this.receiving.streams.values()) {
      if (s.mid !== mid) continue;
      const e = s.sources(now, SOURCE_WINDOW_MS).synchronization;
      if (e) out.push(sourceInfo(e));
    }
    return out;
  }

  /** Contributing sources (CSRCs) of `mid` seen within the last 10 s (W3C getContributingSources). */
  getContributingSources(now: number, mid: string): RtpSourceInfo[] {
    const out: RtpSourceInfo[] = [];
    for (const s of this.receiving.streams.values())
      if (s.mid === mid)
        for (const e of s.sources(now, SOURCE_WINDOW_MS).contributing) out.push(sourceInfo(e));
    return out;
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** Each packet of a compound to the half it concerns. */
  private receiveRtcp(now: number, plain: Uint8Array): void {
    const packets = tryParseRtcp(plain);
    if (!packets) {
      this.counters.malformed++;
      return;
    }
    this.counters.rtcpPacketsReceived++;
    const c = this.counters;
    const sink: RtcpSink = {
      onReportBlock: (block) => {
        if (!this.sending.onReportBlock(now, block)) c.rtcpIgnored++;
      },
      onSenderReport: (report) => {
        if (!this.receiving.onSenderReport(now, report)) c.rtcpIgnored++;
      },
      onCname: (ssrc, cname) => this.receiving.onCname(ssrc, cname),
      onBye: (ssrc) => this.receiving.onBye(ssrc),
      onNack: (mediaSsrc, lost) => {
        if (!this.sending.onNack(now, mediaSsrc, lost)) c.rtcpIgnored++;
      },
      onPli: (mediaSsrc) => this.sending.onPli(now, mediaSsrc),
      onFir: (mediaSsrc, requester, sequenceNumber) =>
        this.sending.onFir(now, mediaSsrc, requester, sequenceNumber),
      onSessionFeedback: (p) =>
        p.type === 'remb' ? this.sending.onRemb(now, p) : this.sending.onTransportFeedback(now, p),
    };
    c.rtcpIgnored += fanOutRtcp(packets, sink);
  }

  private sendReports(now: number): void {
    const blocks = this.receiving.reportBlocks(now);
    this.rtcp.queueReports(this.wallClockAtZero + now, now, this.sending.senders(), blocks, this.rtcpSsrc());
    this.rtcp.schedule.schedule(now, this.hasVideo);
  }

  /** Pending feedback and reports out first, then what the pacer releases. */
  private flush(now: number): void {
    if (!this.srtp) return;
    this.rtcp.flush(this.srtp, this.rtcpSsrc());
    this.sending.flush(now, this.srtp);
  }

  /** The SSRC our RTCP comes from: the first stream we send on, else the receiver SSRC. */
  private rtcpSsrc(): number {
    return this.sending.first()?.ssrc ?? this.receiverSsrc;
  }

  private emit(event: MediaSessionEvent): void {
    if (this.events.length >= (this.options.maxQueuedEvents ?? 4096)) {
      this.events.shift();
      this.counters.eventsDropped++;
    }
    this.events.push(event);
  }
}

function sourceInfo(e: RtpSourceEntry): RtpSourceInfo {
  return {
    source: e.source,
    timestamp: e.timestamp,
    rtpTimestamp: e.rtpTimestamp,
    // RFC 6464 -dBov to the W3C linear 0..1
    audioLevel: e.level === undefined ? undefined : e.level >= 127 ? 0 : 10 ** (-e.level / 20),
    voiceActivityFlag: e.voiceActivity,
  };
}
