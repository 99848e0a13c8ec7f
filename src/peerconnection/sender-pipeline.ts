/**
 * The send side of an RTCRtpSender: pulls `track.recv()`, encodes with the negotiated codec (or passes an
 * already EncodedFrame through), and writes the frames into the connection's media session. This and the
 * receiver pipeline are the only places where codecs and `recv()` meet RTP. Keyframe requests reach the
 * encoder (or a pass-through source that can make one); REMB and `maxBitrate` set its target bitrate.
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

const log = createLogger('pc:sender');

/** What the sender's encodings ask for (RTCRtpEncodingParameters that affect encoding). */
export interface EncodingControls {
  active: boolean;
  maxBitrate: number | undefined;
  maxFramerate: number | undefined;
  scaleResolutionDownBy: number | undefined;
}

/** A pass-through source that can produce a keyframe on request (EncodedFanout subscribers can). */
interface KeyframeSource {
  requestKeyframe(): void;
}

function canMakeKeyframes(track: MediaStreamTrack): track is MediaStreamTrack & KeyframeSource {
  return typeof (track as Partial<KeyframeSource>).requestKeyframe === 'function';
}

export interface EncoderStats {
  framesEncoded: number;
  keyFramesEncoded: number;
  /** Seconds spent encoding. */
  totalEncodeTime: number;
  framesDropped: number;
  frameWidth: number | undefined;
  frameHeight: number | undefined;
  encoderImplementation: string | undefined;
  /** Raw frames skipped to honour maxFramerate, or sent as nothing because the encoding is inactive. */
  framesSkipped: number;
}

export class SenderPipeline {
  readonly source = new MediaSourceStats();
  readonly encoderStats: EncoderStats = {
    framesEncoded: 0,
    keyFramesEncoded: 0,
    totalEncodeTime: 0,
    framesDropped: 0,
    frameWidth: undefined,
    frameHeight: undefined,
    encoderImplementation: undefined,
    framesSkipped: 0,
  };
  private track: MediaStreamTrack | null = null;
  private section: MediaSectionConfig | undefined;
  private link: MediaLink | undefined;
  private encoder: Encoder | undefined;
  private running = false;
  private generation = 0;
  private remb: number | undefined;
  private controls: EncodingControls = {
    active: true,
    maxBitrate: undefined,
    maxFramerate: undefined,
    scaleResolutionDownBy: undefined,
  };
  private lastSentPts: { pts: number; rate: number } | undefined;
  private warnedCodec: CodecName | undefined;

  constructor(
    readonly kind: 'audio' | 'video',
    private readonly clock: Clock,
  ) {}

  /** The negotiated section of this sender (after every round), and the connection's media link. */
  configure(link: MediaLink, section: MediaSectionConfig | undefined): void {
    this.link = link;
    this.section = section;
    const sending = section?.direction === 'sendrecv' || section?.direction === 'sendonly';
    const codec = this.chooseCodec();
    if (this.encoder && this.encoder.codec !== codec) {
      this.encoder.close();
      this.encoder = undefined;
    }
    if (sending && this.track) this.start();
    else this.stop();
  }

  /** The track frames are pulled from (replaceTrack): the next frame is a keyframe. */
  setTrack(track: MediaStreamTrack | null): void {
    if (track === this.track) return;
    this.track = track;
    this.encoder?.requestKeyframe();
    this.generation++;
    this.running = false;
    const sending = this.section?.direction === 'sendrecv' || this.section?.direction === 'sendonly';
    if (track && sending && this.link) this.start();
  }

  setControls(controls: EncodingControls): void {
    this.controls = controls;
    this.applyBitrate();
  }

  /** A PLI or FIR from the peer. */
  requestKeyframe(): void {
    this.encoder?.requestKeyframe();
    if (this.track && canMakeKeyframes(this.track)) this.track.requestKeyframe();
  }

  /** The peer's REMB (bits per second). */
  setRemoteEstimate(bitrate: number): void {
    this.remb = bitrate;
    this.applyBitrate();
  }

  /** The codec raw frames are encoded with: the first the peer prefers that this build can encode. */
  get codec(): CodecName | undefined {
    return this.encoder?.codec ?? this.chooseCodec();
  }

  stop(): void {
    this.running = false;
    this.generation++;
  }

  close(): void {
    this.stop();
    this.encoder?.close();
    this.encoder = undefined;
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

  private applyBitrate(): void {
    const limits = [this.remb, this.controls.maxBitrate].filter((v): v is number => v !== undefined && v > 0);
    if (limits.length > 0 && this.encoder) this.encoder.setTargetBitrate(Math.min(...limits));
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
    if (!this.controls.active) {
      this.encoderStats.framesSkipped++;
      return;
    }
    if (frame instanceof EncodedFrame) {
      if (!this.section?.sendCodecs.some((c) => c.codec === frame.codec)) {
        if (this.warnedCodec !== frame.codec) log.warn(`${frame.codec} frames were not negotiated; dropped`);
        this.warnedCodec = frame.codec;
        this.encoderStats.framesDropped++;
        return;
      }
      this.write(link, mid, frame, undefined);
      return;
    }
    let raw: AudioFrame | VideoFrame = frame;
    if (!track.enabled) raw = silentLike(raw);
    this.source.record(raw, this.clock.now());
    if (raw instanceof VideoFrame) {
      if (this.skipForFramerate(raw)) return;
      const scale = this.controls.scaleResolutionDownBy;
      if (scale !== undefined && scale > 1) {
        const width = Math.max(2, Math.round(raw.width / scale / 2) * 2);
        const height = Math.max(2, Math.round(raw.height / scale / 2) * 2);
        raw = raw.reformat({ width, height });
      }
    }
    const encoder = this.encoderFor();
    if (!encoder) {
      this.encoderStats.framesDropped++;
      return;
    }
    const started = this.clock.now();
    const encoded = await (encoder as Encoder<AudioFrame | VideoFrame>).encode(raw);
    this.encoderStats.totalEncodeTime += (this.clock.now() - started) / 1000;
    const level = raw instanceof AudioFrame ? audioLevelOf(raw) : undefined;
    if (raw instanceof VideoFrame) {
      this.encoderStats.frameWidth = raw.width;
      this.encoderStats.frameHeight = raw.height;
    }
    for (const e of encoded) {
      this.encoderStats.framesEncoded++;
      if (e.keyframe && e.kind === 'video') this.encoderStats.keyFramesEncoded++;
      this.write(link, mid, e, level);
    }
  }

  private write(link: MediaLink, mid: string, frame: EncodedFrame, level: AudioLevel | undefined): void {
    const rid = this.section?.sendEncodings[0]?.rid;
    if (!link.writeFrame(mid, rid, frame, level ? { audioLevel: level } : {})) {
      this.encoderStats.framesDropped++;
      // A video frame that did not leave leaves the decoder behind it without a reference.
      if (frame.kind === 'video') this.requestKeyframe();
    }
  }

  private encoderFor(): Encoder | undefined {
    if (this.encoder) return this.encoder;
    const codec = this.chooseCodec();
    if (!codec) return undefined;
    const bitrate = this.controls.maxBitrate;
    const options: EncoderOptions = bitrate ? { bitrate } : {};
    const negotiated = this.section?.sendCodecs.find((c) => c.codec === codec);
    if (codec === 'h264' && negotiated) {
      options.h264 = {
        profileLevelId: negotiated.parameters['profile-level-id'],
        packetizationMode: negotiated.parameters['packetization-mode'] === '1' ? 1 : 0,
      };
    }
    this.encoder =
      this.kind === 'audio' ? createAudioEncoder(codec, options) : createVideoEncoder(codec, options);
    this.encoderStats.encoderImplementation = implementationOf(codec);
    this.applyBitrate();
    return this.encoder;
  }

  /** maxFramerate: skip frames that come sooner than 1/maxFramerate after the last one sent. */
  private skipForFramerate(frame: VideoFrame): boolean {
    const max = this.controls.maxFramerate;
    if (!max || frame.pts === null || !frame.timeBase) return false;
    const t = Number(frame.timeBase.mul(frame.pts));
    const last = this.lastSentPts;
    if (last && t - last.pts < (1 / max) * 0.95) {
      this.encoderStats.framesSkipped++;
      return true;
    }
    this.lastSentPts = { pts: t, rate: max };
    return false;
  }
}

/** A disabled track sends silence or black (W3C), with the frame's size and timing. */
function silentLike(frame: AudioFrame | VideoFrame): AudioFrame | VideoFrame {
  if (frame instanceof AudioFrame) {
    const out = new AudioFrame({
      format: frame.format,
      layout: frame.layout,
      samples: frame.samples,
      sampleRate: frame.sampleRate,
    });
    out.pts = frame.pts;
    out.timeBase = frame.timeBase;
    return out;
  }
  const out = new VideoFrame(frame.width, frame.height, 'yuv420p');
  // Black in BT.601 limited range: Y 16, U and V 128.
  out.planes[0]!.data.fill(16);
  out.planes[1]!.data.fill(128);
  out.planes[2]!.data.fill(128);
  out.pts = frame.pts;
  out.timeBase = frame.timeBase;
  return out;
}

function implementationOf(codec: CodecName): string {
  switch (codec) {
    case 'pcmu':
    case 'pcma':
      return 'tsrtc';
    case 'opus':
      return 'libopus';
    case 'g722':
      return 'FFmpeg g722';
    case 'vp8':
    case 'vp9':
      return 'libvpx';
    case 'h264':
      return 'libx264';
    case 'av1':
      return 'SVT-AV1';
  }
}
