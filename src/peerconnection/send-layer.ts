/**
 * The parts of a sender's streams that are plain data: what each encoding asks for (setParameters), the
 * encoder statistics of a layer, the black or silent frame of a disabled track, and encoder names for stats.
 */
import { AudioFrame } from '../media/audio-frame.js';
import type { Encoder } from '../media/codecs/codec.js';
import type { CodecName } from '../media/encoded-frame.js';
import { VideoFrame } from '../media/video-frame.js';
import { BandwidthAdaptation } from './send-adaptation.js';

/** What the sender's encodings ask for (RTCRtpEncodingParameters that affect encoding). */
export interface EncodingControls {
  active: boolean;
  maxBitrate: number | undefined;
  maxFramerate: number | undefined;
  scaleResolutionDownBy: number | undefined;
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

/** One encoding we send: a simulcast layer (rid), or the single stream. */
export interface SendLayer {
  readonly rid: string | undefined;
  controls: EncodingControls;
  encoder: Encoder | undefined;
  readonly stats: EncoderStats;
  /** maxFramerate: the pts (seconds) of the last frame this layer encoded. */
  lastSentPts: number | undefined;
  /** The encoder's target as the estimate and maxBitrate set it (bits/s). */
  targetBitrate: number | undefined;
  /** Smaller pictures or skipped frames when the network cannot carry this layer. */
  readonly adaptation: BandwidthAdaptation;
}

/** A layer before its encoder opens. */
export function newSendLayer(rid: string | undefined): SendLayer {
  return {
    rid,
    controls: { ...DEFAULT_CONTROLS },
    encoder: undefined,
    stats: emptyEncoderStats(),
    lastSentPts: undefined,
    targetBitrate: undefined,
    adaptation: new BandwidthAdaptation(),
  };
}

export const DEFAULT_CONTROLS: Readonly<EncodingControls> = {
  active: true,
  maxBitrate: undefined,
  maxFramerate: undefined,
  scaleResolutionDownBy: undefined,
};

export function emptyEncoderStats(): EncoderStats {
  return {
    framesEncoded: 0,
    keyFramesEncoded: 0,
    totalEncodeTime: 0,
    framesDropped: 0,
    frameWidth: undefined,
    frameHeight: undefined,
    encoderImplementation: undefined,
    framesSkipped: 0,
  };
}

/** A disabled track sends silence or black (W3C), with the frame's size and timing. */
export function silentLike(frame: AudioFrame | VideoFrame): AudioFrame | VideoFrame {
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

export function implementationOf(codec: CodecName): string {
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
