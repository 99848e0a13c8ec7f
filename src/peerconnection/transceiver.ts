/**
 * RTCRtpTransceiver, RTCRtpSender and RTCRtpReceiver: negotiation state (mid, directions, codec
 * preferences, tracks). The media path that sends and receives RTP attaches to these in a later layer.
 */
import { invalidState } from '../common/errors.js';
import { cryptoRandom, type RandomSource, randomUint32, uuid } from '../common/random.js';
import type { RTCDtlsTransport } from '../dtls/transport.js';
import type { RTCIceTransport } from '../ice/transport.js';
import type { MediaStream } from '../media/media-stream.js';
import { MediaStreamTrack } from '../media/track.js';
import type { RtpSourceInfo } from '../rtp/media-session-types.js';
import type { MediaSectionConfig } from '../rtp/session-config.js';
import {
  capabilitiesFor,
  describeCodec,
  type RTCRtpCapabilities,
  type RTCRtpCodecCapability,
  sameCodec,
  toCodecCapability,
} from './capabilities.js';
import { invalidModification } from './errors.js';
import type { MediaLink } from './media-link.js';
import { RTCRtpReceiverLayers } from './receiver-layers.js';
import type { ReceiverPipeline } from './receiver-pipeline.js';
import { RemoteStreamTrack } from './remote-track.js';
import {
  checkSetParameters,
  type RTCRtpEncodingParameters,
  type RTCRtpParameters,
  type RTCRtpReceiveParameters,
  type RTCRtpSendParameters,
} from './rtp-parameters.js';
import type { RTCDegradationPreference } from './send-adaptation.js';
import { RTCStatsReport } from './stats.js';
import { toSequence } from './webidl.js';

export type RTCRtpTransceiverDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' | 'stopped';

const DIRECTIONS: readonly RTCRtpTransceiverDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

export function checkDirection(
  direction: unknown,
): asserts direction is Exclude<RTCRtpTransceiverDirection, 'stopped'> {
  if (!DIRECTIONS.includes(direction as RTCRtpTransceiverDirection)) {
    throw new TypeError(`direction must be one of ${DIRECTIONS.join(', ')}, not '${String(direction)}'`);
  }
}

export type {
  RTCRtpEncodingParameters,
  RTCRtpReceiveParameters,
  RTCRtpSendParameters,
} from './rtp-parameters.js';

/** @internal What senders, receivers and transceivers need from their peer connection. */
export interface TransceiverHost {
  isClosed(): boolean;
  /** The W3C "queue a task". */
  queueTask(fn: () => void): void;
  /** The connection's operations chain (replaceTrack runs on it). */
  chain<T>(name: string, op: () => Promise<T>): Promise<T>;
  /** Something negotiation describes changed (W3C "update the negotiation-needed flag"). */
  negotiationNeeded(): void;
}

const NOTHING_NEGOTIATED: RTCRtpParameters = {
  codecs: [],
  headerExtensions: [],
  rtcp: { reducedSize: false },
};

export class RTCRtpSender {
  private currentTrack: MediaStreamTrack | null;
  private encodings: RTCRtpEncodingParameters[];
  private transactionId = 0;
  /** W3C [[LastReturnedParameters]]: what getParameters() returned in this task (null after it). */
  private lastReturned: RTCRtpSendParameters | null = null;
  private preference: RTCDegradationPreference | undefined;
  /** @internal */
  host: TransceiverHost | undefined;
  /** @internal the transceiver is stopping: no more replaceTrack/setParameters. */
  stopping = false;
  /** @internal W3C [[SendCodecs]], header extensions and RTCP as last negotiated (getParameters). */
  negotiated: RTCRtpParameters = NOTHING_NEGOTIATED;
  /** Stream ids announced in a=msid. */
  streamIds: string[];
  /** The SSRCs this sender announces (media and RTX), random as RFC 3550 asks. */
  readonly ssrc: number;
  readonly rtxSsrc: number;
  /** @internal The SSRCs of each encoding (the first is `ssrc`/`rtxSsrc`): stable across negotiations. */
  readonly encodingSsrcs: readonly { ssrc: number; rtxSsrc: number }[];
  /** The a=msid track id announced while no track is attached (JSEP: a sending section always has one). */
  readonly senderId: string;
  transport: RTCDtlsTransport<RTCIceTransport> | null = null;
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
    this.encodingSsrcs = (encodings.length > 0 ? encodings : [{}]).map((_, i) =>
      i === 0
        ? { ssrc: this.ssrc, rtxSsrc: this.rtxSsrc }
        : { ssrc: randomUint32(random), rtxSsrc: randomUint32(random) },
    );
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

  /**
   * W3C replaceTrack(): a track of another kind is a TypeError; on the operations chain, a stopping
   * transceiver is InvalidStateError; the new track is sent without renegotiation (same codecs).
   */
  replaceTrack(withTrack: MediaStreamTrack | null): Promise<void> {
    if (withTrack !== null && !(withTrack instanceof MediaStreamTrack)) {
      return Promise.reject(new TypeError('replaceTrack() takes a MediaStreamTrack or null'));
    }
    if (withTrack && withTrack.kind !== this.kind) {
      return Promise.reject(
        new TypeError(`cannot replace a ${this.kind} track with a ${withTrack.kind} track`),
      );
    }
    const run = async (): Promise<void> => {
      if (this.stopping) throw invalidState('replaceTrack() on a stopped transceiver');
      await this.task();
      this.setTrack(withTrack);
    };
    return this.host ? this.host.chain('replaceTrack', run) : run();
  }

  /** W3C setStreams(): the streams the peer will put the track in (a=msid); negotiation is needed. */
  setStreams(...streams: MediaStream[]): void {
    if (this.host?.isClosed()) throw invalidState('setStreams() on a closed RTCPeerConnection');
    this.streamIds = [...new Set(streams.map((s) => s.id))];
    this.host?.negotiationNeeded();
  }

  private task(): Promise<void> {
    return new Promise((resolve) => (this.host ? this.host.queueTask(resolve) : setImmediate(resolve)));
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

  /**
   * W3C getParameters(): the encodings and what was negotiated, with a new transactionId. The result may be
   * given to setParameters() in the same task only (W3C [[LastReturnedParameters]]).
   */
  getParameters(): RTCRtpSendParameters {
    this.transactionId++;
    const n = this.negotiated;
    const parameters: RTCRtpSendParameters = {
      transactionId: String(this.transactionId),
      encodings: this.encodings.map((e) => ({ ...e })),
      codecs: n.codecs.map((c) => ({ ...c })),
      headerExtensions: n.headerExtensions.map((h) => ({ ...h })),
      rtcp: { ...n.rtcp },
      ...(this.preference ? { degradationPreference: this.preference } : {}),
    };
    this.lastReturned = structuredClone(parameters);
    const id = parameters.transactionId;
    this.host?.queueTask(() => {
      if (this.lastReturned?.transactionId === id) this.lastReturned = null;
    });
    return parameters;
  }

  /**
   * W3C setParameters(): InvalidStateError without a getParameters() in this task or on a stopping
   * transceiver, InvalidModificationError for another transaction or a changed read-only member, RangeError
   * for out-of-range encodings; applied and resolved in a task.
   */
  async setParameters(parameters: RTCRtpSendParameters, _options?: Record<string, unknown>): Promise<void> {
    if (this.stopping) throw invalidState('setParameters() on a stopped transceiver');
    const { encodings, degradationPreference } = checkSetParameters(parameters, this.lastReturned, this.kind);
    this.lastReturned = null;
    await this.task();
    this.encodings = encodings.map((e, i) => ({ ...this.encodings[i], ...e }));
    this.preference = degradationPreference;
    this.onEncodingsChange?.(this.encodings);
  }

  /** @internal What gives way when bandwidth is short (setParameters degradationPreference). */
  get degradationPreference(): RTCDegradationPreference {
    return this.preference ?? 'balanced';
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
  /** tsrtc: simulcast layers (which one `track` follows, a track per layer), encoded frames, keyframes. */
  readonly layers = new RTCRtpReceiverLayers();
  transport: RTCDtlsTransport<RTCIceTransport> | null = null;
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

  /** @internal W3C [[ReceiveCodecs]], header extensions and RTCP as last negotiated. */
  negotiated: RTCRtpParameters = NOTHING_NEGOTIATED;

  /** W3C getParameters(): what this receiver accepts, as negotiated. */
  getParameters(): RTCRtpReceiveParameters {
    const n = this.negotiated;
    return {
      codecs: n.codecs.map((c) => ({ ...c })),
      headerExtensions: n.headerExtensions.map((h) => ({ ...h })),
      rtcp: { ...n.rtcp },
    };
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
  /** @internal */
  host: TransceiverHost | undefined;
  /** W3C [[Stopped]]: a negotiation completed after stop(), or the connection closed. */
  private fullyStopped = false;

  constructor(
    readonly kind: 'audio' | 'video',
    sender: RTCRtpSender,
    direction: Exclude<RTCRtpTransceiverDirection, 'stopped'> = 'sendrecv',
  ) {
    this.sender = sender;
    this.receiver = new RTCRtpReceiver(kind);
    this.dir = direction;
  }

  /** W3C: `stopped` once stop() was called (before the negotiation that completes it). */
  get direction(): RTCRtpTransceiverDirection {
    return this.dir;
  }
  set direction(value: RTCRtpTransceiverDirection) {
    checkDirection(value);
    if (this.host?.isClosed()) throw invalidState('the RTCPeerConnection is closed');
    if (this.stoppedFlag) throw invalidState('the transceiver is stopped');
    if (value === this.dir) return;
    this.dir = value;
    this.onDirectionChange?.();
  }

  /** @internal a direction change that does not update the negotiation-needed flag (legacy offer options). */
  setDirectionQuietly(value: Exclude<RTCRtpTransceiverDirection, 'stopped'>): void {
    if (!this.stoppedFlag) this.dir = value;
  }

  /** W3C: `stopped` only once the stop is negotiated (or the connection closed); null before any answer. */
  get currentDirection(): RTCRtpTransceiverDirection | null {
    return this.fullyStopped ? 'stopped' : this.current;
  }
  /** @internal set when a description is applied. */
  setCurrentDirection(d: RTCRtpTransceiverDirection | null): void {
    this.current = d;
  }

  /** True once stop() was called (W3C [[Stopping]]; the pre-2020 `stopped` attribute). */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** @internal W3C [[Stopped]]: no longer listed by getTransceivers(). */
  get isStopped(): boolean {
    return this.fullyStopped;
  }

  /**
   * W3C stop(): stop sending and receiving at once (the receiver's track ends); the section is rejected in
   * the next negotiation, which completes the stop. InvalidStateError on a closed connection.
   */
  stop(): void {
    if (this.host?.isClosed()) throw invalidState('stop() on a closed RTCPeerConnection');
    this.stopSendingAndReceiving();
    this.onDirectionChange?.();
  }

  /** @internal The negotiation completed the stop, or the connection closed (W3C "stop the transceiver"). */
  markStopped(): void {
    this.stopSendingAndReceiving();
    this.fullyStopped = true;
    this.current = null;
  }

  private stopSendingAndReceiving(): void {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    this.sender.stopping = true;
    this.dir = 'stopped';
    this.sender.setTrack(null);
    this.receiver.track.stop();
  }

  /**
   * W3C setCodecPreferences(): an empty list restores the default; every entry must match a codec
   * of getCapabilities(kind) (mimeType, clockRate, channels and sdpFmtpLine), and at least one must be a media
   * codec, not only RTX, RED or FEC; otherwise InvalidModificationError. Duplicates are dropped.
   */
  setCodecPreferences(codecs: RTCRtpCodecCapability[]): void {
    const list = toSequence(codecs, 'codecs', (c, i) => toCodecCapability(c, `codecs[${i}]`));
    if (list.length === 0) {
      this.codecPreferences = [];
      return;
    }
    const supported = capabilitiesFor(this.kind)?.codecs ?? [];
    const unique: RTCRtpCodecCapability[] = [];
    for (const c of list) {
      if (!supported.some((s) => sameCodec(s, c))) {
        throw invalidModification(`codec ${describeCodec(c)} is not one of the ${this.kind} capabilities`);
      }
      if (!unique.some((u) => sameCodec(u, c))) unique.push(c);
    }
    if (unique.every((c) => /\/(rtx|red|ulpfec|flexfec-03)$/i.test(c.mimeType))) {
      throw invalidModification('the codec preferences need a media codec, not only RTX, RED or FEC');
    }
    this.codecPreferences = unique;
  }
}
