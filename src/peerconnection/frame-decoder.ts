/**
 * Decodes one stream of encoded frames into one remote track: serialized and bounded (a video backlog skips to
 * the next keyframe and asks for one; a decoder that fails skips the frame, counts it and asks for a
 * keyframe), with the W3C decode statistics. A receiver has one for its track and one per simulcast layer
 * track someone reads; none decodes before its track is read.
 */
import { createLogger } from '../common/logger.js';
import type { AudioFrame } from '../media/audio-frame.js';
import type { Decoder } from '../media/codecs/codec.js';
import { createAudioDecoder, createVideoDecoder } from '../media/codecs/index.js';
import type { CodecName, EncodedFrame } from '../media/encoded-frame.js';
import type { VideoFrame } from '../media/video-frame.js';
import type { Clock } from '../net/clock.js';
import { rmsOf } from './media-source-stats.js';
import type { RemoteStreamTrack } from './remote-track.js';

const log = createLogger('pc:receiver');

/** Frames waiting for the decoder before video skips to the next keyframe (audio drops the oldest). */
const MAX_PENDING = 8;

export interface DecoderStats {
  framesReceived: number;
  framesDecoded: number;
  keyFramesDecoded: number;
  /** Frames not shown: decoder backlog, decode errors, waiting for a keyframe. */
  framesDropped: number;
  decodeErrors: number;
  /** Seconds spent decoding. */
  totalDecodeTime: number;
  frameWidth: number | undefined;
  frameHeight: number | undefined;
  decoderImplementation: string | undefined;
  totalSamplesReceived: number;
  totalSamplesDuration: number;
  totalAudioEnergy: number;
  audioLevel: number;
  /** Seconds frames waited between arriving complete and leaving the decoder (W3C jitterBufferDelay, summed). */
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
}

export function emptyDecoderStats(): DecoderStats {
  return {
    framesReceived: 0,
    framesDecoded: 0,
    keyFramesDecoded: 0,
    framesDropped: 0,
    decodeErrors: 0,
    totalDecodeTime: 0,
    frameWidth: undefined,
    frameHeight: undefined,
    decoderImplementation: undefined,
    totalSamplesReceived: 0,
    totalSamplesDuration: 0,
    totalAudioEnergy: 0,
    audioLevel: 0,
    jitterBufferDelay: 0,
    jitterBufferEmittedCount: 0,
  };
}

/** Opens the decoder for a codec: the codecs' own unless a test gives its own. */
export type DecoderFactory = (kind: 'audio' | 'video', codec: CodecName) => Decoder;

const openDecoder: DecoderFactory = (kind, codec) =>
  kind === 'audio' ? createAudioDecoder(codec) : createVideoDecoder(codec);

export class FrameDecoder {
  readonly stats: DecoderStats = emptyDecoderStats();
  private decoder: Decoder | undefined;
  private pending = 0;
  private awaitingKeyframe: boolean;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly kind: 'audio' | 'video',
    readonly track: RemoteStreamTrack,
    private readonly clock: Clock,
    /** Ask the sender for a keyframe of this stream. */
    private readonly requestKeyframe: () => void,
    private readonly createDecoder: DecoderFactory = openDecoder,
  ) {
    // Video decoding starts at a keyframe: a decoder opened mid-stream has no reference.
    this.awaitingKeyframe = kind === 'video';
  }

  /** A complete encoded frame for this track. */
  push(frame: EncodedFrame, arrived: number): void {
    if (this.closed) return;
    if (this.kind === 'video') {
      if (this.awaitingKeyframe && !frame.keyframe) {
        this.stats.framesDropped++;
        return;
      }
      this.awaitingKeyframe = false;
      if (this.pending >= MAX_PENDING && !frame.keyframe) {
        // The decoder falls behind: skip to the next keyframe rather than grow a backlog.
        this.stats.framesDropped++;
        this.awaitingKeyframe = true;
        this.requestKeyframe();
        return;
      }
    } else if (this.pending >= MAX_PENDING) {
      this.stats.framesDropped++;
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(() => this.decode(frame, arrived))
      // What decode() did not foresee: the frame is dropped and counted, and the chain stays fulfilled, so
      // the frames behind it still decode and no rejection is left unhandled.
      .catch((err: unknown) => this.dropFailed(err))
      .finally(() => {
        this.pending--;
      });
  }

  close(): void {
    this.closed = true;
    this.decoder?.close();
    this.decoder = undefined;
  }

  private decoderFor(codec: CodecName): Decoder {
    if (this.decoder?.codec === codec) return this.decoder;
    this.decoder?.close();
    this.decoder = this.createDecoder(this.kind, codec);
    this.stats.decoderImplementation = implementationOf(codec);
    return this.decoder;
  }

  private async decode(frame: EncodedFrame, arrived: number): Promise<void> {
    if (this.closed) return;
    let decoder: Decoder;
    try {
      decoder = this.decoderFor(frame.codec);
    } catch (err) {
      this.stats.framesDropped++;
      log.warn(`cannot decode ${frame.codec}: ${(err as Error).message}`);
      return;
    }
    const started = this.clock.now();
    const errorsBefore = decoder.stats.decodeErrors;
    let out: (AudioFrame | VideoFrame)[];
    let rejected = false;
    try {
      out = await decoder.decode(frame);
    } catch (err) {
      // The interface says decode() never rejects; one that does (node-av gone, say) lost the frame.
      out = [];
      rejected = true;
      log.debug(`decode failed: ${(err as Error).message}`);
    }
    if (this.closed) return;
    const done = this.clock.now();
    this.stats.totalDecodeTime += (done - started) / 1000;
    if (
      rejected ||
      decoder.stats.decodeErrors > errorsBefore ||
      (out.length === 0 && decoder.keyframeNeeded)
    ) {
      this.stats.decodeErrors += Math.max(1, decoder.stats.decodeErrors - errorsBefore);
      this.stats.framesDropped++;
      if (this.kind === 'video') this.requestKeyframe();
      return;
    }
    for (const f of out) {
      this.stats.framesDecoded++;
      this.stats.jitterBufferDelay += Math.max(0, done - arrived) / 1000;
      this.stats.jitterBufferEmittedCount++;
      if ('samples' in f) {
        const rms = rmsOf(f);
        this.stats.audioLevel = rms;
        this.stats.totalAudioEnergy += f.duration * rms * rms;
        this.stats.totalSamplesDuration += f.duration;
        this.stats.totalSamplesReceived += f.samples;
      } else {
        if (frame.keyframe) this.stats.keyFramesDecoded++;
        this.stats.frameWidth = f.width;
        this.stats.frameHeight = f.height;
      }
      this.track.pushFrame(f);
    }
  }

  /** A decode that threw past decode()'s own handling: counted like a decoder's error, logged as unexpected. */
  private dropFailed(err: unknown): void {
    if (this.closed) return;
    this.stats.decodeErrors++;
    this.stats.framesDropped++;
    log.warn(
      `${this.kind} frame dropped, decoding it failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    if (this.kind !== 'video') return;
    try {
      this.requestKeyframe();
    } catch (requestErr) {
      // Thrown here it would reject the chain again: reported, and the next frame's decode goes on.
      log.warn(
        `keyframe request failed: ${requestErr instanceof Error ? requestErr.message : String(requestErr)}`,
      );
    }
  }
}

function implementationOf(codec: CodecName): string {
  if (codec === 'pcmu' || codec === 'pcma') return 'tsrtc';
  if (codec === 'opus') return 'libopus';
  if (codec === 'vp8' || codec === 'vp9') return 'libvpx';
  if (codec === 'h264') return 'FFmpeg h264';
  if (codec === 'av1') return 'FFmpeg av1';
  return 'FFmpeg g722';
}
