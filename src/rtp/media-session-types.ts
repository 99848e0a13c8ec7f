/** The options, events and statistics of a MediaSession (media-session.ts). */
import type { RandomSource } from '../common/random.js';
import type { SrtpKeyingMaterial } from '../dtls/srtp-profiles.js';
import type { EncodedFrame } from '../media/encoded-frame.js';
import type { SrtpStats } from '../srtp/context.js';
import type { BandwidthEstimatorStats } from './bwe/bandwidth-estimator.js';
import type { KeyframeRequestStats } from './feedback/keyframe-requests.js';
import type { NackResponderOptions, NackResponderStats } from './feedback/nack-responder.js';
import type { PacketResult } from './feedback/transport-feedback-log.js';
import type { TwccRecorderStats } from './feedback/twcc-recorder.js';
import type { AudioLevel } from './header-extensions.js';
import type { JitterBufferStats } from './jitter-buffer.js';
import type { PacerOptions, PacerStats } from './pacer.js';
import type { BandwidthOptions } from './session-bandwidth.js';
import type { MediaSessionConfig } from './session-config.js';
import type { ReceivedSenderReport } from './stream/receive-stream.js';
import type { ReportIntervals } from './stream/reports.js';
import type { RemoteReceptionReport, SendStreamCounters } from './stream/send-stream.js';

export interface MediaSessionOptions {
  /**
   * The Unix time (ms) of now = 0 on the clock that drives the session: NTP times in sender reports are
   * `wallClockAtZero + now`. The session reads no clock (simulations stay deterministic).
   */
  wallClockAtZero: number;
  /** Where SSRCs, initial sequence numbers, timestamps and report jitter come from (default: crypto). */
  random?: RandomSource;
  /** Our RTCP CNAME (default: 16 random characters). */
  cname?: string;
  config?: MediaSessionConfig;
  /** SRTP keys from DTLS (or later through setKeys). */
  keys?: SrtpKeyingMaterial;
  /** Largest RTP payload a frame is split into (default 1,200 bytes). */
  maxPayloadSize?: number;
  pacer?: PacerOptions;
  /**
   * Bandwidth estimation and its pacing (when transport-cc or goog-remb is negotiated for a send stream):
   * start/min/max bitrate, probing, pacing factor, queue-time limits; false to switch it off (the pacer
   * then keeps its fixed rate and no target-bitrate events come but the peer's REMB).
   */
  bandwidth?: BandwidthOptions | false;
  /** Receive streams held at most (default 32); packets of further new SSRCs are dropped and counted. */
  maxReceiveStreams?: number;
  /** A receive stream without packets for this long is reported inactive (default 2,000 ms). */
  inactiveAfterMs?: number;
  /** A receive stream the peer did not announce is removed after this long without packets (default 10 s). */
  removeAfterMs?: number;
  /** At most one keyframe-request event per send stream per interval (default 250 ms). */
  keyframeRequestIntervalMs?: number;
  /** Send history per stream for NACK (default 1,024 packets, 1,500 ms). */
  sendHistory?: { packets?: number; maxAgeMs?: number };
  nack?: NackResponderOptions;
  /** How often TWCC feedback is sent for incoming media (default 100 ms). */
  twccIntervalMs?: number;
  reportIntervals?: Partial<ReportIntervals>;
  /** SRTP replay window (default 1,024 packets) and most inbound SSRCs tracked (default 1,024). */
  srtp?: { replayWindowSize?: number; maxStreams?: number };
  /** Events queued at most before the oldest are dropped (default 4,096). */
  maxQueuedEvents?: number;
}

/** Extra facts about a frame to send. */
export interface WriteFrameOptions {
  /** Audio: the RFC 6464 level of this frame, sent in ssrc-audio-level when negotiated. */
  audioLevel?: AudioLevel;
  /** When the frame was captured (the session's clock); sender reports map RTP time to wall time with it. */
  captureTime?: number;
}

export interface FrameEvent {
  type: 'frame';
  mid: string;
  rid: string | undefined;
  ssrc: number;
  frame: EncodedFrame;
  /** The RTP timestamp on the wire. */
  rtpTimestamp: number;
  /** When the frame was complete (the session's clock). */
  receivedAt: number;
  /**
   * When the sender captured it, on the sender's wall clock (Unix ms), from its last sender report; the
   * same clock for all of one peer's streams, so audio and video line up with it. Undefined before an SR.
   */
  senderCaptureTime: number | undefined;
  firstSequenceNumber: number;
  lastSequenceNumber: number;
}

export interface KeyframeRequestEvent {
  type: 'keyframe-request';
  mid: string;
  rid: string | undefined;
  ssrc: number;
  cause: 'pli' | 'fir';
}

/**
 * What the encoder of a section should produce (bits/s, all its encodings together): the connection's
 * estimate split across its senders (audio first, then video, each within its limits), raised when it moved
 * by 5 %. With the estimator off, the peer's REMB as it came (mid undefined when it lists several sections).
 */
export interface TargetBitrateEvent {
  type: 'target-bitrate';
  /** The section, or undefined for the whole session (a REMB over several sections, estimator off). */
  mid: string | undefined;
  /** Bits per second. */
  bitrate: number;
  /** Our send SSRCs it concerns. */
  ssrcs: number[];
  /** 'estimate': our TWCC estimator; 'remb': the peer's REMB. */
  source: 'estimate' | 'remb';
}

/** The connection's estimate moved by 5 % (W3C availableOutgoingBitrate and what it is made of). */
export interface BandwidthEstimateEvent {
  type: 'bandwidth-estimate';
  at: number;
  /** The target for all senders together (bits/s): RTCIceCandidatePairStats.availableOutgoingBitrate. */
  availableOutgoingBitrate: number;
  delayBasedBitrate: number;
  lossBasedBitrate: number;
  pacingBitrate: number;
  usage: 'normal' | 'underusing' | 'overusing';
  inAlr: boolean;
}

/**
 * The pacer's queue takes longer than `pressureQueueMs` to drain (active) or is back under half of it: while
 * active, encoders should skip frames (lower the frame rate, or the resolution, per degradationPreference)
 * before encoding them; past `maxQueueMs` writeFrame refuses video frames outright.
 */
export interface SendPressureEvent {
  type: 'send-pressure';
  active: boolean;
  queueTimeMs: number;
}

export interface StreamAddedEvent {
  type: 'stream-added';
  mid: string;
  rid: string | undefined;
  ssrc: number;
  kind: 'audio' | 'video';
}

export interface StreamRemovedEvent {
  type: 'stream-removed';
  mid: string;
  rid: string | undefined;
  ssrc: number;
  reason: 'bye' | 'timeout' | 'reconfigured';
}

/** Media stopped (muted, or gone) or resumed on a receive stream. */
export interface ReceiveActivityEvent {
  type: 'receive-activity';
  mid: string;
  rid: string | undefined;
  ssrc: number;
  active: boolean;
}

/** TWCC feedback for packets we sent, matched to our send records (the input of a bandwidth estimator). */
export interface TransportFeedbackEvent {
  type: 'transport-feedback';
  packets: PacketResult[];
}

export type MediaSessionEvent =
  | FrameEvent
  | KeyframeRequestEvent
  | TargetBitrateEvent
  | StreamAddedEvent
  | StreamRemovedEvent
  | ReceiveActivityEvent
  | TransportFeedbackEvent
  | BandwidthEstimateEvent
  | SendPressureEvent;

/** W3C RTCRtpSynchronizationSource / RTCRtpContributingSource fields, on the session's clock. */
export interface RtpSourceInfo {
  source: number;
  /** When the latest packet from it arrived (the session's clock). */
  timestamp: number;
  rtpTimestamp: number;
  /** Linear 0..1 (W3C): 10^(-dBov/20), 0 for 127; undefined without the audio level extension. */
  audioLevel: number | undefined;
  voiceActivityFlag: boolean | undefined;
}

export interface OutboundStreamStats extends SendStreamCounters {
  mid: string;
  rid: string | undefined;
  ssrc: number;
  rtxSsrc: number | undefined;
  kind: 'audio' | 'video';
  nack: NackResponderStats;
  keyframeRequests: KeyframeRequestStats;
  /** The peer's last report block about this stream. */
  remote: RemoteReceptionReport | undefined;
  historyPackets: number;
}

export interface InboundStreamStats {
  mid: string;
  rid: string | undefined;
  ssrc: number;
  rtxSsrc: number | undefined;
  kind: 'audio' | 'video';
  payloadType: number | undefined;
  packetsReceived: number;
  bytesReceived: number;
  headerBytesReceived: number;
  packetsLost: number;
  /** Interarrival jitter in seconds. */
  jitter: number;
  rtxPacketsReceived: number;
  rtxBytesReceived: number;
  packetsUnsupported: number;
  framesReceived: number;
  keyframesReceived: number;
  nackPacketsSent: number;
  nackedSequenceNumbers: number;
  pliSent: number;
  firSent: number;
  lastPacketReceivedAt: number;
  active: boolean;
  cname: string | undefined;
  jitterBuffer: JitterBufferStats | undefined;
  /** The peer's last sender report about this stream (W3C remote-outbound-rtp). */
  remoteSender: ReceivedSenderReport | undefined;
}

/** Why datagrams and frames were dropped, session-wide. */
export interface MediaSessionCounters {
  datagramsReceived: number;
  rtpPacketsReceived: number;
  rtcpPacketsReceived: number;
  /** Not RTP/RTCP, or not parseable after decryption. */
  malformed: number;
  /** Arrived before keys were set, or after close. */
  notReady: number;
  unknownMid: number;
  unknownRid: number;
  unroutable: number;
  notReceiving: number;
  rtxWithoutStream: number;
  unknownPayloadType: number;
  /** New SSRCs refused because maxReceiveStreams streams exist. */
  tooManyStreams: number;
  /** RTCP packets of a compound that concern nothing we have (APP, XR, unknown SSRCs …). */
  rtcpIgnored: number;
  framesWritten: number;
  /** writeFrame calls refused: unknown mid or rid, not sending, no keys, codec not negotiated, queue full. */
  framesRefused: number;
  eventsDropped: number;
  /** Unexpected exceptions caught at the engine's edge (a bug if ever non-zero). */
  internalErrors: number;
}

/** Sizes of the session's bounded collections (for tests and monitoring). */
export interface MediaSessionSizes {
  receiveStreams: number;
  sendStreams: number;
  routedSsrcs: number;
  bufferedPackets: number;
  historyBytes: number;
  pacerQueue: number;
  transmitQueue: number;
  eventQueue: number;
  twccPending: number;
  srtpInboundStreams: number;
  srtpOutboundStreams: number;
}

/** The send-side estimate (getStats().bandwidth), present while an estimator runs. */
export interface BandwidthStats extends BandwidthEstimatorStats {
  /** 'transport-cc': our estimator on TWCC feedback; 'remb': following the peer's REMB. */
  mode: 'transport-cc' | 'remb';
  /** W3C RTCIceCandidatePairStats.availableOutgoingBitrate (bits/s): the target for all senders. */
  availableOutgoingBitrate: number;
  pacingBitrate: number;
  /** How long the pacer's queue (audio aside) takes to drain at the pacing rate. */
  queueTimeMs: number;
  sendPressure: boolean;
  /** Video frames refused by writeFrame because the queue was over maxQueueMs. */
  framesRefused: number;
  /** Retransmissions not sent because they would have exceeded the estimate (over a 1 s window). */
  retransmissionsLimited: number;
}

export interface MediaSessionStats {
  inbound: InboundStreamStats[];
  outbound: OutboundStreamStats[];
  counters: MediaSessionCounters;
  srtp: { inbound: SrtpStats; outbound: SrtpStats } | undefined;
  pacer: PacerStats & { queued: number; rateBps: number; queueTimeMs: number };
  twcc: TwccRecorderStats;
  /** Send-side bandwidth estimation, when transport-cc or goog-remb is negotiated for what we send. */
  bandwidth: BandwidthStats | undefined;
  /** Receive-side estimate sent as REMB (goog-remb without transport-cc), when active. */
  receiveEstimate: { bitrate: number; rembSent: number } | undefined;
  sizes: MediaSessionSizes;
}
