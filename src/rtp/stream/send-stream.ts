/**
 * One RTP stream we send (one SSRC; one simulcast layer): sequence numbers and timestamps from random
 * initial values, payloading with the negotiated payload type, marker bits, the header extensions it
 * carries (mid, rid, audio level; the session adds transport-wide sequence and abs-send-time as a packet
 * leaves), the send history for NACK, keyframe-request filtering, counters, and what the peer reports about
 * it (loss, jitter, RTT).
 */
import { type RandomSource, randomBytes, randomIntBelow } from '../../common/random.js';
import type { CodecName, EncodedFrame } from '../../media/encoded-frame.js';
import { Fraction, rescale } from '../../media/time-base.js';
import type { RtpExtensionIds } from '../extension-map.js';
import { KeyframeRequestFilter } from '../feedback/keyframe-requests.js';
import { NackResponder, type NackResponderOptions } from '../feedback/nack-responder.js';
import {
  type AudioLevel,
  type RtpHeaderExtension,
  serializeAudioLevel,
  serializeSdesItem,
} from '../header-extensions.js';
import { RtpPacket } from '../packet.js';
import { createPayloader, type Payloader, Vp8Payloader, Vp9Payloader } from '../payload/index.js';
import type { MediaCodecConfig, SendEncodingConfig } from '../session-config.js';
import { SendHistory } from './send-history.js';

export interface SendStreamOptions {
  mid: string;
  kind: 'audio' | 'video';
  encoding: SendEncodingConfig;
  random: RandomSource;
  maxPayloadSize: number;
  historyPackets: number;
  historyMaxAgeMs: number;
  keyframeRequestIntervalMs: number;
  nack?: NackResponderOptions;
}

/** What the peer last said about this stream in a report block. */
export interface RemoteReceptionReport {
  fractionLost: number;
  packetsLost: number;
  /** Interarrival jitter in seconds. */
  jitter: number;
  highestSequence: number;
  /** Round-trip time (ms) from LSR/DLSR, when the block carried them. */
  roundTripTime: number | undefined;
  receivedAt: number;
}

export interface SendStreamCounters {
  packetsSent: number;
  /** Payload bytes (RFC 3550 octet count). */
  bytesSent: number;
  headerBytesSent: number;
  framesSent: number;
  keyframesSent: number;
  retransmittedPacketsSent: number;
  retransmittedBytesSent: number;
  /** Padding-only packets sent on this stream's RTX SSRC for bandwidth probes, and their padding bytes. */
  paddingPacketsSent: number;
  paddingBytesSent: number;
  /** Frames refused: codec not negotiated, or a payloader refused it (audio frame too large). */
  framesDropped: number;
}

function u16(random: RandomSource): number {
  const b = randomBytes(2, random);
  return (b[0]! << 8) | b[1]!;
}

function u32(random: RandomSource): number {
  const b = randomBytes(4, random);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export class SendStream {
  readonly mid: string;
  readonly kind: 'audio' | 'video';
  readonly ssrc: number;
  readonly rid: string | undefined;
  rtxSsrc: number | undefined;
  readonly history: SendHistory;
  readonly keyframeRequests: KeyframeRequestFilter;
  readonly nack: NackResponder;
  readonly counters: SendStreamCounters = {
    packetsSent: 0,
    bytesSent: 0,
    headerBytesSent: 0,
    framesSent: 0,
    keyframesSent: 0,
    retransmittedPacketsSent: 0,
    retransmittedBytesSent: 0,
    paddingPacketsSent: 0,
    paddingBytesSent: 0,
    framesDropped: 0,
  };
  remoteReport: RemoteReceptionReport | undefined;
  /** The last frame's RTP timestamp and when it was written (maps RTP time to wall time for SRs). */
  lastRtpTimestamp: number | undefined;
  lastFrameAt = 0;
  /** The clock rate of the codec last sent (SR timestamps extrapolate with it). */
  clockRate = 90000;
  /** Set when media went out since the last sender report. */
  sentSinceReport = false;

  private sequenceNumber: number;
  private rtxSequenceNumber: number;
  private readonly timestampOffset: number;
  private codecs: MediaCodecConfig[] = [];
  private extensions: RtpExtensionIds = {};
  private readonly payloaders = new Map<CodecName, Payloader>();
  private readonly maxPayloadSize: number;
  private readonly random: RandomSource;
  private midBytes: Uint8Array | undefined;
  private ridBytes: Uint8Array | undefined;
  private repairedRidBytes: Uint8Array | undefined;
  private readonly timeBases = new Map<number, Fraction>();

  constructor(options: SendStreamOptions) {
    this.mid = options.mid;
    this.kind = options.kind;
    this.ssrc = options.encoding.ssrc >>> 0;
    this.rid = options.encoding.rid;
    this.rtxSsrc = options.encoding.rtxSsrc;
    this.maxPayloadSize = options.maxPayloadSize;
    this.random = options.random;
    // random initial values (RFC 3550 §5.1): known-plaintext attacks on SRTP gain nothing from a fixed start
    this.sequenceNumber = u16(options.random);
    this.rtxSequenceNumber = u16(options.random);
    this.timestampOffset = u32(options.random);
    this.history = new SendHistory(options.historyPackets, options.historyMaxAgeMs);
    this.keyframeRequests = new KeyframeRequestFilter(options.keyframeRequestIntervalMs);
    this.nack = new NackResponder(options.nack);
  }

  /** Apply the section's negotiated codecs and extension ids (after every negotiation). */
  configure(
    codecs: readonly MediaCodecConfig[],
    extensions: RtpExtensionIds,
    rtxSsrc: number | undefined,
  ): void {
    this.codecs = [...codecs];
    this.extensions = { ...extensions };
    this.rtxSsrc = rtxSsrc;
    this.midBytes = extensions.mid !== undefined ? serializeSdesItem(this.mid) : undefined;
    this.ridBytes = extensions.rid !== undefined && this.rid ? serializeSdesItem(this.rid) : undefined;
    this.repairedRidBytes =
      extensions.repairedRid !== undefined && this.rid ? serializeSdesItem(this.rid) : undefined;
  }

  get extensionIds(): Readonly<RtpExtensionIds> {
    return this.extensions;
  }

  /** The negotiated payload type to send `codec` with (the peer's first for it), if any. */
  codecFor(codec: CodecName): MediaCodecConfig | undefined {
    return this.codecs.find((c) => c.codec === codec);
  }

  /** The RTX payload type for a media payload type, when RTX is negotiated and we have an RTX SSRC. */
  rtxPayloadTypeFor(payloadType: number): number | undefined {
    if (this.rtxSsrc === undefined) return undefined;
    return this.codecs.find((c) => c.payloadType === payloadType)?.rtxPayloadType;
  }

  /** An RTX payload type of any codec we send (for padding-only packets), when we have an RTX SSRC. */
  anyRtxPayloadType(): number | undefined {
    if (this.rtxSsrc === undefined) return undefined;
    return this.codecs.find((c) => c.rtxPayloadType !== undefined)?.rtxPayloadType;
  }

  /** Feedback negotiated for a payload type we send. */
  feedbackFor(payloadType: number): MediaCodecConfig['feedback'] | undefined {
    return this.codecs.find((c) => c.payloadType === payloadType)?.feedback;
  }

  /** Any codec we send has this feedback switched on. */
  hasFeedback(kind: keyof MediaCodecConfig['feedback']): boolean {
    return this.codecs.some((c) => c.feedback[kind]);
  }

  /** The RTP timestamp of a frame: the random offset plus its pts on the codec clock (exact rationals). */
  rtpTimestampOf(frame: EncodedFrame, clockRate: number): number {
    let timeBase = this.timeBases.get(clockRate);
    if (!timeBase) {
      timeBase = new Fraction(1, clockRate);
      this.timeBases.set(clockRate, timeBase);
    }
    const ticks = frame.timeBase.equals(timeBase) ? frame.pts : rescale(frame.pts, frame.timeBase, timeBase);
    return (((this.timestampOffset + ticks) % 0x100000000) + 0x100000000) % 0x100000000;
  }

  /**
   * Packetize one frame into RTP packets (without the transport-wide sequence and abs-send-time, which are
   * written when each leaves the pacer). Undefined when the codec is not negotiated or the payloader refuses.
   */
  packetize(
    now: number,
    frame: EncodedFrame,
    audioLevel: AudioLevel | undefined,
    captureTime?: number,
  ): RtpPacket[] | undefined {
    const codec = this.codecFor(frame.codec);
    if (!codec) {
      this.counters.framesDropped++;
      return undefined;
    }
    let payloader = this.payloaders.get(frame.codec);
    if (!payloader) {
      // VP8/VP9 picture ids start at a random value too: from our source, so simulations replay exactly
      const pictureId = randomIntBelow(0x8000, this.random);
      payloader =
        frame.codec === 'vp8'
          ? new Vp8Payloader(this.maxPayloadSize, pictureId)
          : frame.codec === 'vp9'
            ? new Vp9Payloader(this.maxPayloadSize, pictureId)
            : createPayloader(frame.codec, this.maxPayloadSize, codec.parameters);
      this.payloaders.set(frame.codec, payloader);
    }
    let chunks: ReturnType<Payloader['packetize']>;
    try {
      chunks = payloader.packetize(frame.data);
    } catch {
      this.counters.framesDropped++;
      return undefined;
    }
    if (chunks.length === 0) return [];
    const timestamp = this.rtpTimestampOf(frame, codec.clockRate);
    this.lastRtpTimestamp = timestamp;
    this.lastFrameAt = captureTime ?? now;
    this.clockRate = codec.clockRate;
    this.counters.framesSent++;
    if (frame.keyframe && this.kind === 'video') this.counters.keyframesSent++;
    const packets: RtpPacket[] = [];
    for (const chunk of chunks) {
      const extensions: RtpHeaderExtension[] = [];
      if (this.midBytes) extensions.push({ id: this.extensions.mid!, data: this.midBytes });
      if (this.ridBytes) extensions.push({ id: this.extensions.rid!, data: this.ridBytes });
      if (audioLevel && this.extensions.audioLevel !== undefined)
        extensions.push({ id: this.extensions.audioLevel, data: serializeAudioLevel(audioLevel) });
      packets.push(
        new RtpPacket({
          payloadType: codec.payloadType,
          sequenceNumber: this.sequenceNumber,
          timestamp,
          ssrc: this.ssrc,
          marker: chunk.marker,
          payload: chunk.payload,
          extensions,
        }),
      );
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    }
    return packets;
  }

  /** The next sequence number of the RTX stream (its own sequence space, RFC 4588 §4). */
  allocateRtxSequenceNumber(): number {
    const seq = this.rtxSequenceNumber;
    this.rtxSequenceNumber = (this.rtxSequenceNumber + 1) & 0xffff;
    return seq;
  }

  /** Header extensions of an RTX packet: mid and repaired-rid (the session adds transport-wide ones). */
  rtxExtensions(): RtpHeaderExtension[] {
    const extensions: RtpHeaderExtension[] = [];
    if (this.midBytes) extensions.push({ id: this.extensions.mid!, data: this.midBytes });
    if (this.repairedRidBytes)
      extensions.push({ id: this.extensions.repairedRid!, data: this.repairedRidBytes });
    return extensions;
  }

  /** The RTP timestamp at `now`, extrapolated from the last frame (for the sender report). */
  rtpTimestampAt(now: number): number {
    const base = this.lastRtpTimestamp ?? this.timestampOffset;
    const elapsed = Math.round(((now - this.lastFrameAt) * this.clockRate) / 1000);
    return (((base + elapsed) % 0x100000000) + 0x100000000) % 0x100000000;
  }
}
