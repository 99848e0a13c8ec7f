/**
 * The receive side of an RTCRtpReceiver: encoded frames from the media session are decoded with the codec
 * they arrived in and pushed into the remote track, whose `recv()` yields them with pts/timeBase from the
 * RTP timestamps. Decoding is serialized and bounded: a backlog of video drops delta frames until the next
 * keyframe and asks for one; a decoder that fails skips the frame, counts it and asks for a keyframe.
 */
import { createLogger } from '../common/logger.js';
import type { AudioFrame } from '../media/audio-frame.js';
import type { Decoder } from '../media/codecs/codec.js';
import { createAudioDecoder, createVideoDecoder } from '../media/codecs/index.js';
import type { CodecName, EncodedFrame } from '../media/encoded-frame.js';
import type { VideoFrame } from '../media/video-frame.js';
import type { Clock } from '../net/clock.js';
import type { FrameEvent } from '../rtp/media-session-types.js';
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

export class ReceiverPipeline {
  readonly stats: DecoderStats = {
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
  private decoder: Decoder | undefined;
  private pending = 0;
  private awaitingKeyframe = false;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly kind: 'audio' | 'video',
    private readonly track: RemoteStreamTrack,
    private readonly clock: Clock,
    /** Ask the sender for a keyframe (PLI/FIR through the session). */
    private readonly requestKeyframe: () => void,
  ) {}

  /** A complete encoded frame from the session. */
  onFrame(event: FrameEvent): void {
    if (this.closed) return;
    const frame = event.frame;
    this.stats.framesReceived++;
    this.track.setRemoteMuted(false);
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
    const arrived = event.receivedAt;
    this.chain = this.chain
      .then(() => this.decode(frame, arrived))
      .finally(() => {
        this.pending--;
      });
  }

  /** Media stopped or resumed arriving on this receiver's stream. */
  onActivity(active: boolean): void {
    this.track.setRemoteMuted(!active);
  }

  close(): void {
    this.closed = true;
    this.decoder?.close();
    this.decoder = undefined;
  }

  private decoderFor(codec: CodecName): Decoder {
    if (this.decoder?.codec === codec) return this.decoder;
    this.decoder?.close();
    this.decoder = this.kind === 'audio' ? createAudioDecoder(codec) : createVideoDecoder(codec);
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
    try {
      out = await decoder.decode(frame);
    } catch (err) {
      out = [];
      log.debug(`decode failed: ${(err as Error).message}`);
    }
    if (this.closed) return;
    const done = this.clock.now();
    this.stats.totalDecodeTime += (done - started) / 1000;
    if (decoder.stats.decodeErrors > errorsBefore || (out.length === 0 && decoder.keyframeNeeded)) {
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
}

function implementationOf(codec: CodecName): string {
  if (codec === 'pcmu' || codec === 'pcma') return 'tsrtc';
  if (codec === 'opus') return 'libopus';
  if (codec === 'vp8' || codec === 'vp9') return 'libvpx';
  if (codec === 'h264') return 'FFmpeg h264';
  if (codec === 'av1') return 'FFmpeg av1';
  return 'FFmpeg g722';
}
