/**
 * RTCRtpTransceiver, RTCRtpSender and RTCRtpReceiver: negotiation state (mid, directions, codec
 * preferences, tracks). The media path that sends and receives RTP attaches to these in a later layer.
 */
import { invalidAccess, invalidState } from '../common/errors.js';
import { cryptoRandom, type RandomSource, randomUint32, uuid } from '../common/random.js';
import type { RTCDtlsTransport } from '../dtls/transport.js';
import type { MediaStream } from '../media/media-stream.js';
import type { MediaStreamTrack } from '../media/track.js';
import type { RtpSourceInfo } from '../rtp/media-session-types.js';
import type { MediaSectionConfig } from '../rtp/session-config.js';
import { capabilitiesFor, type RTCRtpCapabilities, type RTCRtpCodecCapability } from './capabilities.js';
import type { MediaLink } from './media-link.js';
import type { ReceiverPipeline } from './receiver-pipeline.js';
import { RemoteStreamTrack } from './remote-track.js';
import type { RTCRtpEncodingParameters } from './rtp-parameters.js';
import { RTCStatsReport } from './stats.js';

export type RTCRtpTransceiverDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' | 'stopped';

const DIRECTIONS: readonly RTCRtpTransceiverDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

export function checkDirection(
  direction: unknown,
): asserts direction is Exclude<RTCRtpTransceiverDirection, 'stopped'> {
  if (!DIRECTIONS.includes(direction as RTCRtpTransceiverDirection)) {
    throw new TypeError(`direction must be one of ${DIRECTIONS.join(', ')}, not '${String(direction)}'`);
  }
}

export type { RTCRtpEncodingParameters } from './rtp-parameters.js';

export interface RTCRtpSendParameters {
  transactionId: string;
  encodings: RTCRtpEncodingParameters[];
  codecs: RTCRtpCodecCapability[];
  headerExtensions: { uri: string; id: number }[];
  rtcp: { cname?: string; reducedSize?: boolean };
}

export class RTCRtpSender {
  private currentTrack: MediaStreamTrack | null;
  private encodings: RTCRtpEncodingParameters[];
  private transactionId = 0;
  /** Stream ids announced in a=msid. */
  streamIds: string[];
  /** The SSRCs this sender announces (media and RTX), random as RFC 3550 asks. */
  readonly ssrc: number;
  readonly rtxSsrc: number;
  /** The a=msid track id announced while no track is attached (JSEP: a sending section always has one). */
  readonly senderId: string;
  transport: RTCDtlsTransport | null = null;
  /** @internal The media pipeline follows the track (replaceTrack, addTrack, removeTrack). */
  onTrackChange: ((track: MediaStreamTrack | null) => void) | undefined;
  /** @internal The media pipeline follows the encodings (setParameters). */
  onEncodingsChange: ((encodings: readonly RTCRtpEncodingParameters[]) => void) | undefined;
  /** @internal The section as last negotiated (codecs, header extensions, RTCP), once media is set up. */
  negotiatedSection: MediaSectionConfig | undefined;
  /** @internal Stats of this sender's stream and what it references (set by the peer connection). */
  statsSource: (() => Promise<RTCStatsReport>) | undefined;

  constructor(
    readonly kind: 'audio' | 'video',
    track: MediaStreamTrack | null,
    streams: readonly MediaStream[] = [],
    encodings: RTCRtpEncodingParameters[] = [{ active: true }],
    random: RandomSource = cryptoRandom,
  ) {
    this.ssrc = randomUint32(random);
    this.rtxSsrc = randomUint32(random);
    this.senderId = uuid(random);
    this.currentTrack = track;
    this.streamIds = streams.map((s) => s.id);
    this.encodings = encodings.map((e) => ({ active: true, ...e }));
  }

  get track(): MediaStreamTrack | null {
    return this.currentTrack;
  }

  static getCapabilities(kind: string): RTCRtpCapabilities | null {
    return capabilitiesFor(kind);
  }

  async replaceTrack(track: MediaStreamTrack | null): Promise<void> {
    if (track && track.kind !== this.kind) {
      throw new TypeError(`cannot replace a ${this.kind} track with a ${track.kind} track`);
    }
    this.setTrack(track);
  }

  /** @internal addTrack/removeTrack set the track without the replaceTrack checks. */
  setTrack(track: MediaStreamTrack | null): void {
    this.currentTrack = track;
    this.onTrackChange?.(track);
  }

  /** W3C getStats(): this sender's outbound-rtp and what it references. */
  getStats(): Promise<RTCStatsReport> {
    return this.statsSource ? this.statsSource() : Promise.resolve(new RTCStatsReport());
  }

  getParameters(): RTCRtpSendParameters {
    this.transactionId++;
    return {
      transactionId: String(this.transactionId),
      encodings: this.encodings.map((e) => ({ ...e })),
      codecs: capabilitiesFor(this.kind)?.codecs ?? [],
      headerExtensions: [],
      rtcp: { reducedSize: true },
    };
  }

  async setParameters(parameters: RTCRtpSendParameters): Promise<void> {
    if (parameters.transactionId !== String(this.transactionId)) {
      throw invalidState('setParameters() needs the transactionId of the latest getParameters()');
    }
    if (parameters.encodings.length !== this.encodings.length) {
      throw new DOMException('the number of encodings cannot change', 'InvalidModificationError');
    }
    for (const e of parameters.encodings) {
      if (e.scaleResolutionDownBy !== undefined && e.scaleResolutionDownBy < 1) {
        throw new RangeError('scaleResolutionDownBy must be at least 1');
      }
      if (e.maxBitrate !== undefined && e.maxBitrate < 0)
        throw new RangeError('maxBitrate must not be negative');
    }
    this.encodings = parameters.encodings.map((e) => ({ ...e }));
    this.onEncodingsChange?.(this.encodings);
  }

  /** @internal The encodings as set (for the media pipeline). */
  get currentEncodings(): readonly RTCRtpEncodingParameters[] {
    return this.encodings;
  }
}

/** @internal What a receiver's media path is attached to (set by the peer connection). */
export interface ReceiverMedia {
  readonly link: MediaLink;
  readonly mid: string | null;
  readonly pipeline: ReceiverPipeline;
}

export class RTCRtpReceiver {
  readonly track: RemoteStreamTrack;
  transport: RTCDtlsTransport | null = null;
  /** @internal */
  media: ReceiverMedia | undefined;
  /** @internal Stats of this receiver's stream and what it references (set by the peer connection). */
  statsSource: (() => Promise<RTCStatsReport>) | undefined;

  constructor(kind: 'audio' | 'video', trackId?: string) {
    this.track = new RemoteStreamTrack(kind, trackId);
  }

  static getCapabilities(kind: string): RTCRtpCapabilities | null {
    return capabilitiesFor(kind);
  }

  /** W3C: the latest packet's source of each stream received in the last 10 s, with its audio level. */
  getSynchronizationSources(): RTCRtpSynchronizationSource[] {
    const m = this.media;
    if (!m || m.mid === null) return [];
    return m.link.synchronizationSources(m.mid).map((s) => rtpSource(m.link, s));
  }

  /** W3C: the contributing sources (CSRCs) seen in the last 10 s. */
  getContributingSources(): RTCRtpContributingSource[] {
    const m = this.media;
    if (!m || m.mid === null) return [];
    return m.link.contributingSources(m.mid).map((s) => rtpSource(m.link, s));
  }

  /** W3C getStats(): this receiver's inbound-rtp and what it references. */
  getStats(): Promise<RTCStatsReport> {
    return this.statsSource ? this.statsSource() : Promise.resolve(new RTCStatsReport());
  }
}

export interface RTCRtpContributingSource {
  /** Unix milliseconds when the latest packet from the source arrived. */
  timestamp: number;
  source: number;
  rtpTimestamp: number;
  /** Linear 0..1, when the sender sends ssrc-audio-level. */
  audioLevel?: number;
}

export interface RTCRtpSynchronizationSource extends RTCRtpContributingSource {
  voiceActivityFlag?: boolean;
}

function rtpSource(link: MediaLink, s: RtpSourceInfo): RTCRtpSynchronizationSource {
  const out: RTCRtpSynchronizationSource = {
    timestamp: link.toWallTime(s.timestamp),
    source: s.source,
    rtpTimestamp: s.rtpTimestamp,
  };
  if (s.audioLevel !== undefined) out.audioLevel = s.audioLevel;
  if (s.voiceActivityFlag !== undefined) out.voiceActivityFlag = s.voiceActivityFlag;
  return out;
}

export class RTCRtpTransceiver {
  /** The m-line's mid once negotiated (null before). */
  mid: string | null = null;
  readonly sender: RTCRtpSender;
  readonly receiver: RTCRtpReceiver;
  private dir: RTCRtpTransceiverDirection;
  private current: RTCRtpTransceiverDirection | null = null;
  private stoppedFlag = false;
  /** Codec preferences set by setCodecPreferences (empty = our default order). */
  codecPreferences: RTCRtpCodecCapability[] = [];
  /** @internal the mid our offers give it before a description sets `mid`. */
  offeredMid: string | null = null;
  /** @internal index of the m-line it is bound to. */
  mLineIndex: number | null = null;
  /** @internal true once a negotiated description let it send (addTrack does not reuse it then). */
  usedToSend = false;
  /** @internal created by a remote offer (removed again by a rollback). */
  createdByRemote = false;
  /** @internal W3C [[FiredDirection]] receives: the remote side sends and `track` has fired for it. */
  firedReceiving = false;
  /** @internal invoked when the direction changes (negotiationneeded). */
  onDirectionChange: (() => void) | undefined;

  constructor(
    readonly kind: 'audio' | 'video',
    sender: RTCRtpSender,
    direction: Exclude<RTCRtpTransceiverDirection, 'stopped'> = 'sendrecv',
  ) {
    this.sender = sender;
    this.receiver = new RTCRtpReceiver(kind);
    this.dir = direction;
  }

  get direction(): RTCRtpTransceiverDirection {
    return this.dir;
  }
  set direction(value: RTCRtpTransceiverDirection) {
    checkDirection(value);
    if (this.stoppedFlag) throw invalidState('the transceiver is stopped');
    if (value === this.dir) return;
    this.dir = value;
    this.onDirectionChange?.();
  }

  /** @internal a direction change that does not update the negotiation-needed flag (legacy offer options). */
  setDirectionQuietly(value: Exclude<RTCRtpTransceiverDirection, 'stopped'>): void {
    if (!this.stoppedFlag) this.dir = value;
  }

  get currentDirection(): RTCRtpTransceiverDirection | null {
    return this.stoppedFlag ? 'stopped' : this.current;
  }
  /** @internal set when a description is applied. */
  setCurrentDirection(d: RTCRtpTransceiverDirection | null): void {
    this.current = d;
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  stop(): void {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    this.dir = 'stopped';
    this.sender.setTrack(null);
    this.receiver.track.stop();
    this.onDirectionChange?.();
  }

  setCodecPreferences(codecs: RTCRtpCodecCapability[]): void {
    const supported = capabilitiesFor(this.kind)?.codecs ?? [];
    for (const c of codecs) {
      const ok = supported.some(
        (s) => s.mimeType.toLowerCase() === c.mimeType.toLowerCase() && s.clockRate === c.clockRate,
      );
      if (!ok) throw invalidAccess(`codec ${c.mimeType}/${c.clockRate} is not supported for ${this.kind}`);
    }
    this.codecPreferences = codecs.map((c) => ({ ...c }));
  }
}
