/**
 * The send side of an RTCRtpSender: pulls `track.recv()`, encodes with the negotiated codec (or passes an
 * already EncodedFrame through), and writes the frames into the connection's media session. This and the
 * receiver pipeline are the only places where codecs and `recv()` meet RTP. Keyframe requests reach the
 * encoder (or a pass-through source that can make one); REMB and `maxBitrate` set its target bitrate.
 * With simulcast each negotiated layer (rid) has its own scaler, encoder, controls and statistics, and every
 * raw frame is encoded for all active layers concurrently (docs/simulcast.md).
 */
import { createLogger } from '../common/logger.js';
import { AudioFrame } from '../media/audio-frame.js';
import type { Encoder, EncoderOptions } from '../media/codecs/codec.js';
import { createAudioEncoder, createVideoEncoder } from '../media/codecs/index.js';
import { type CodecName, EncodedFrame } from '../media/encoded-frame.js';
import { MediaStreamError } from '../media/errors.js';
import type { MediaStreamTrack } from '../media/track.js';
import { VideoFrame } from '../media/video-frame.js';
import type { Clock } from '../net/clock.js';
import type { AudioLevel } from '../rtp/header-extensions.js';
import type { MediaSectionConfig } from '../rtp/session-config.js';
import type { MediaLink } from './media-link.js';
import { audioLevelOf, MediaSourceStats } from './media-source-stats.js';
import type { RTCDegradationPreference } from './send-adaptation.js';
import {
  DEFAULT_CONTROLS,
  type EncoderStats,
  type EncodingControls,
  implementationOf,
  newSendLayer,
  type SendLayer,
  silentLike,
} from './send-layer.js';

export type { EncoderStats, EncodingControls } from './send-layer.js';

const log = createLogger('pc:sender');

/** A pass-through source that can produce a keyframe on request (EncodedFanout subscribers can). */
interface KeyframeSource {
  requestKeyframe(): void;
}

function canMakeKeyframes(track: MediaStreamTrack): track is MediaStreamTrack & KeyframeSource {
  return typeof (track as Partial<KeyframeSource>).requestKeyframe === 'function';
}

export class SenderPipeline {
  readonly source = new MediaSourceStats();
  private track: MediaStreamTrack | null = null;
  private section: MediaSectionConfig | undefined;
  private link: MediaLink | undefined;
  private running = false;
  private generation = 0;
  private remb: number | undefined;
  /** The sender's encodings as set (addTransceiver sendEncodings, setParameters), by position. */
  private encodings: (EncodingControls & { rid?: string | undefined })[] = [{ ...DEFAULT_CONTROLS }];
  /** The negotiated streams: one per accepted simulcast layer, or one. */
  private layers: SendLayer[] = [newSendLayer(undefined)];
  private warnedCodec: CodecName | undefined;
  /** The pacer's queue is too long: video gives way (send-adaptation.ts). */
  private pressure = false;

  constructor(
    readonly kind: 'audio' | 'video',
    private readonly clock: Clock,
    private readonly degradationPreference: () => RTCDegradationPreference = () => 'balanced',
  ) {}

  /** The encoder statistics of the first stream (of each layer: `encoderStatsFor`). */
  get encoderStats(): EncoderStats {
    return this.layers[0]!.stats;
  }

  /** The encoder statistics of one layer (the first stream's for an unknown or absent rid). */
  encoderStatsFor(rid: string | undefined): EncoderStats {
    return (this.layers.find((l) => l.rid === rid) ?? this.layers[0]!).stats;
  }

  /** The controls in force for one layer (`active` for stats). */
  controlsFor(rid: string | undefined): EncodingControls {
    return (this.layers.find((l) => l.rid === rid) ?? this.layers[0]!).controls;
  }

  /** The negotiated section of this sender (after every round), and its transport's media link. */
  configure(link: MediaLink | undefined, section: MediaSectionConfig | undefined): void {
    this.link = link;
    this.section = section;
    const sending = section?.direction === 'sendrecv' || section?.direction === 'sendonly';
    const codec = this.chooseCodec();
    const wanted =
      section && section.sendEncodings.length > 0 ? section.sendEncodings.map((e) => e.rid) : [undefined];
    const kept = new Map(this.layers.map((l) => [l.rid, l]));
    this.layers = wanted.map((rid) => kept.get(rid) ?? newSendLayer(rid));
    for (const l of kept.values()) if (!this.layers.includes(l)) l.encoder?.close();
    for (const l of this.layers) {
      if (l.encoder && l.encoder.codec !== codec) {
        l.encoder.close();
        l.encoder = undefined;
      }
    }
    this.applyEncodings();
    if (sending && this.track) this.start();
    else this.stop();
  }

  /** The track frames are pulled from (replaceTrack): the next frame is a keyframe. */
  setTrack(track: MediaStreamTrack | null): void {
    if (track === this.track) return;
    this.track = track;
    for (const l of this.layers) l.encoder?.requestKeyframe();
    this.generation++;
    this.running = false;
    const sending = this.section?.direction === 'sendrecv' || this.section?.direction === 'sendonly';
    if (track && sending && this.link) this.start();
  }

  /** The sender's encodings (setParameters): matched to the negotiated layers by rid, else by position. */
  setEncodings(encodings: readonly (EncodingControls & { rid?: string | undefined })[]): void {
    this.encodings = encodings.length > 0 ? encodings.map((e) => ({ ...e })) : [{ ...DEFAULT_CONTROLS }];
    this.applyEncodings();
  }

  /** A PLI or FIR from the peer (for one layer, or for every layer). */
  requestKeyframe(rid?: string): void {
    for (const l of this.layers) if (rid === undefined || l.rid === rid) l.encoder?.requestKeyframe();
    if (this.track && canMakeKeyframes(this.track)) this.track.requestKeyframe();
  }

  /** The peer's REMB (bits per second) for this section: shared by the layers by picture size. */
  setRemoteEstimate(bitrate: number): void {
    this.remb = bitrate;
    this.applyBitrates();
  }

  /** The session's send pressure (pacer queue too long, or back under half of it). */
  setSendPressure(active: boolean): void {
    this.pressure = active;
  }

  /** A layer's adaptation state (W3C qualityLimitationReason and resolution changes) and its target. */
  layerFor(rid: string | undefined): SendLayer {
    return this.layers.find((l) => l.rid === rid) ?? this.layers[0]!;
  }

  /**
   * The most this section may send (setParameters maxBitrate of its active layers together), for the
   * session's split of the estimate; undefined when any active layer has no maximum.
   */
  get maxBitrate(): number | undefined {
    let sum = 0;
    for (const l of this.layers) {
      if (!l.controls.active) continue;
      if (l.controls.maxBitrate === undefined) return undefined;
      sum += l.controls.maxBitrate;
    }
    return sum > 0 ? sum : undefined;
  }

  /** The codec raw frames are encoded with: the first the peer prefers that this build can encode. */
  get codec(): CodecName | undefined {
    return this.layers[0]!.encoder?.codec ?? this.chooseCodec();
  }

  stop(): void {
    this.running = false;
    this.generation++;
  }

  close(): void {
    this.stop();
    for (const l of this.layers) {
      l.encoder?.close();
      l.encoder = undefined;
    }
  }

  private start(): void {
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    void this.pump(generation);
  }

  private chooseCodec(): CodecName | undefined {
    return this.section?.sendCodecs.find((c) => c.codec !== undefined)?.codec;
  }

  /** Each layer takes the encoding of its rid (else of its position); video simulcast scales 2^(n-1-i) by default. */
  private applyEncodings(): void {
    const simulcast = this.layers.length > 1 || this.layers[0]!.rid !== undefined;
    const noScales = this.encodings.every((e) => e.scaleResolutionDownBy === undefined);
    this.layers.forEach((layer, i) => {
      const index = simulcast ? this.encodings.findIndex((e) => e.rid === layer.rid) : 0;
      const e = this.encodings[index < 0 ? i : index] ?? this.encodings[0]!;
      const position = index < 0 ? i : index;
      const scale =
        e.scaleResolutionDownBy ??
        (simulcast && noScales && this.kind === 'video'
          ? 2 ** (this.encodings.length - 1 - position)
          : undefined);
      layer.controls = {
        active: e.active ?? true,
        maxBitrate: e.maxBitrate,
        maxFramerate: e.maxFramerate,
        scaleResolutionDownBy: scale,
      };
    });
    this.applyBitrates();
  }

  private applyBitrates(): void {
    // REMB is for the section: each layer gets the share of its picture area among the active layers.
    const area = (l: SendLayer) => 1 / (l.controls.scaleResolutionDownBy ?? 1) ** 2;
    const total = this.layers.filter((l) => l.controls.active).reduce((sum, l) => sum + area(l), 0);
    for (const l of this.layers) {
      const share = this.remb !== undefined && total > 0 ? (this.remb * area(l)) / total : undefined;
      const limits = [share, l.controls.maxBitrate].filter((v): v is number => v !== undefined && v > 0);
      l.targetBitrate = limits.length > 0 ? Math.min(...limits) : undefined;
      if (l.targetBitrate !== undefined && l.encoder) l.encoder.setTargetBitrate(l.targetBitrate);
    }
  }

  private async pump(generation: number): Promise<void> {
    const track = this.track;
    while (track && this.running && generation === this.generation) {
      let frame: Awaited<ReturnType<MediaStreamTrack['recv']>>;
      try {
        frame = await track.recv();
      } catch (err) {
        if (!(err instanceof MediaStreamError)) log.warn(`track ${track.id}: ${(err as Error).message}`);
        break;
      }
      if (!this.running || generation !== this.generation) break;
      try {
        await this.send(track, frame);
      } catch (err) {
        this.encoderStats.framesDropped++;
        log.debug(`dropped a frame: ${(err as Error).message}`);
      }
    }
    if (generation === this.generation) this.running = false;
  }

  private async send(track: MediaStreamTrack, frame: AudioFrame | VideoFrame | EncodedFrame): Promise<void> {
    const link = this.link;
    const mid = this.section?.mid;
    if (!link || mid === undefined) return;
    if (frame instanceof EncodedFrame) {
      // Pass-through cannot make layers: the frame goes on the first active one.
      const layer = this.layers.find((l) => l.controls.active);
      if (!layer) {
        this.encoderStats.framesSkipped++;
        return;
      }
      if (!this.section?.sendCodecs.some((c) => c.codec === frame.codec)) {
        if (this.warnedCodec !== frame.codec) log.warn(`${frame.codec} frames were not negotiated; dropped`);
        this.warnedCodec = frame.codec;
        layer.stats.framesDropped++;
        return;
      }
      this.write(link, mid, layer, frame, undefined);
      return;
    }
    let raw: AudioFrame | VideoFrame = frame;
    if (!track.enabled) raw = silentLike(raw);
    this.source.record(raw, this.clock.now());
    if (raw instanceof AudioFrame) {
      await this.encodeLayer(link, mid, this.layers[0]!, raw);
      return;
    }
    const video = raw;
    await Promise.all(this.layers.map((layer) => this.encodeLayer(link, mid, layer, video)));
  }

  private async encodeLayer(
    link: MediaLink,
    mid: string,
    layer: SendLayer,
    frame: AudioFrame | VideoFrame,
  ): Promise<void> {
    if (!layer.controls.active) {
      layer.stats.framesSkipped++;
      return;
    }
    let raw = frame;
    if (raw instanceof VideoFrame) {
      if (this.skipForFramerate(layer, raw)) return;
      const scale = layer.controls.scaleResolutionDownBy ?? 1;
      const decision = layer.adaptation.decide({
        width: Math.max(2, Math.round(raw.width / scale / 2) * 2),
        height: Math.max(2, Math.round(raw.height / scale / 2) * 2),
        framesPerSecond: this.source.framesPerSecond || 30,
        targetBitrate: layer.targetBitrate,
        pressure: this.pressure,
        preference: this.degradationPreference(),
        now: this.clock.now(),
      });
      if (decision.skip) {
        layer.stats.framesSkipped++;
        return;
      }
      if (decision.width !== raw.width || decision.height !== raw.height) {
        raw = raw.reformat({ width: decision.width, height: decision.height });
      }
    }
    const encoder = this.encoderFor(layer);
    if (!encoder) {
      layer.stats.framesDropped++;
      return;
    }
    const started = this.clock.now();
    const encoded = await (encoder as Encoder<AudioFrame | VideoFrame>).encode(raw);
    layer.stats.totalEncodeTime += (this.clock.now() - started) / 1000;
    const level = raw instanceof AudioFrame ? audioLevelOf(raw) : undefined;
    if (raw instanceof VideoFrame) {
      layer.stats.frameWidth = raw.width;
      layer.stats.frameHeight = raw.height;
    }
    for (const e of encoded) {
      layer.stats.framesEncoded++;
      if (e.keyframe && e.kind === 'video') layer.stats.keyFramesEncoded++;
      this.write(link, mid, layer, e, level);
    }
  }

  private write(
    link: MediaLink,
    mid: string,
    layer: SendLayer,
    frame: EncodedFrame,
    level: AudioLevel | undefined,
  ): void {
    if (!link.writeFrame(mid, layer.rid, frame, level ? { audioLevel: level } : {})) {
      layer.stats.framesDropped++;
      // A video frame that did not leave leaves the decoder behind it without a reference.
      if (frame.kind === 'video') this.requestKeyframe(layer.rid);
    }
  }

  private encoderFor(layer: SendLayer): Encoder | undefined {
    if (layer.encoder) return layer.encoder;
    const codec = this.chooseCodec();
    if (!codec) return undefined;
    const bitrate = layer.controls.maxBitrate;
    const options: EncoderOptions = bitrate ? { bitrate } : {};
    const negotiated = this.section?.sendCodecs.find((c) => c.codec === codec);
    if (codec === 'h264' && negotiated) {
      options.h264 = {
        profileLevelId: negotiated.parameters['profile-level-id'],
        packetizationMode: negotiated.parameters['packetization-mode'] === '1' ? 1 : 0,
      };
    }
    layer.encoder =
      this.kind === 'audio' ? createAudioEncoder(codec, options) : createVideoEncoder(codec, options);
    layer.stats.encoderImplementation = implementationOf(codec);
    this.applyBitrates();
    return layer.encoder;
  }

  /** maxFramerate: skip frames that come sooner than 1/maxFramerate after the last one this layer sent. */
  private skipForFramerate(layer: SendLayer, frame: VideoFrame): boolean {
    const max = layer.controls.maxFramerate;
    if (!max || frame.pts === null || !frame.timeBase) return false;
    const t = Number(frame.timeBase.mul(frame.pts));
    const last = layer.lastSentPts;
    if (last !== undefined && t - last < (1 / max) * 0.95) {
      layer.stats.framesSkipped++;
      return true;
    }
    layer.lastSentPts = t;
    return false;
  }
}
