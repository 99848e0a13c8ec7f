/**
 * Decoded FFmpeg frames to tsrtc frames. Video in a format VideoFrame has (yuv420p, nv12, rgb24, bgr24, rgba,
 * gray) is copied out in one native call; anything else (full-range JPEG yuvj420p, 4:2:2, 4:4:4, 10-bit,
 * palettes) goes through swscale to yuv420p. Audio of any format, layout and rate goes through swresample to
 * aiortc's player output: s16 stereo 48 kHz in 960-sample (20 ms) frames, pts counting samples.
 */
import type { AVPixelFormat } from 'node-av/constants';
import type { ChannelLayout, Frame, SoftwareResampleContext, SoftwareScaleContext } from 'node-av/lib';
import { AudioFrame } from '../../media/audio-frame.js';
import { Fraction } from '../../media/time-base.js';
import { type PixelFormat, planeShapes, VideoFrame, VideoPlane } from '../../media/video-frame.js';
import type { NodeAv } from './ffmpeg.js';

function directFormat(av: NodeAv, format: number): PixelFormat | null {
  const C = av.constants;
  switch (format) {
    case C.AV_PIX_FMT_YUV420P:
      return 'yuv420p';
    case C.AV_PIX_FMT_NV12:
      return 'nv12';
    case C.AV_PIX_FMT_RGB24:
      return 'rgb24';
    case C.AV_PIX_FMT_BGR24:
      return 'bgr24';
    case C.AV_PIX_FMT_RGBA:
      return 'rgba';
    case C.AV_PIX_FMT_GRAY8:
      return 'gray';
    default:
      return null;
  }
}

/** Tightly packed bytes (as Frame.toBuffer gives them) as a VideoFrame whose planes are views into them. */
function wrapPacked(
  bytes: Uint8Array,
  width: number,
  height: number,
  format: PixelFormat,
): VideoFrame | null {
  const shapes = planeShapes(format, width, height);
  let offset = 0;
  const planes: VideoPlane[] = [];
  for (const s of shapes) {
    const size = s.width * s.bytesPerPixel * s.height;
    if (offset + size > bytes.byteLength) return null;
    planes.push(
      new VideoPlane(bytes.subarray(offset, offset + size), s.width * s.bytesPerPixel, s.width, s.height),
    );
    offset += size;
  }
  return new VideoFrame(width, height, format, planes);
}

export class VideoFrameConverter {
  private sws: SoftwareScaleContext | null = null;
  private swsKey = '';
  private scratch: Frame | null = null;

  constructor(private readonly av: NodeAv) {}

  /** A copy of the decoded picture as a VideoFrame (pts left to the caller), or null if it has no size. */
  convert(frame: Frame): VideoFrame | null {
    const { width, height } = frame;
    if (width < 1 || height < 1) return null;
    const direct = directFormat(this.av, frame.format);
    if (direct) {
      const packed = frame.toBuffer();
      return wrapPacked(
        new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength),
        width,
        height,
        direct,
      );
    }
    const out = this.toYuv420p(frame);
    if (!out) return null;
    const packed = out.toBuffer();
    out.unref();
    return wrapPacked(
      new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength),
      width,
      height,
      'yuv420p',
    );
  }

  private toYuv420p(frame: Frame): Frame | null {
    const { lib, constants: C } = this.av;
    const key = `${frame.width}x${frame.height}:${frame.format}`;
    if (!this.sws || key !== this.swsKey) {
      this.sws?.freeContext();
      this.sws = new lib.SoftwareScaleContext();
      this.sws.getContext(
        frame.width,
        frame.height,
        frame.format as AVPixelFormat,
        frame.width,
        frame.height,
        C.AV_PIX_FMT_YUV420P,
        C.SWS_BILINEAR,
      );
      this.swsKey = key;
    }
    if (!this.scratch) {
      this.scratch = new lib.Frame();
      this.scratch.alloc();
    }
    const out = this.scratch;
    out.format = C.AV_PIX_FMT_YUV420P;
    out.width = frame.width;
    out.height = frame.height;
    if (out.getBuffer(0) < 0) return null;
    if (this.sws.scaleFrameSync(out, frame) < 0) {
      out.unref();
      return null;
    }
    return out;
  }

  close(): void {
    this.sws?.freeContext();
    this.sws = null;
    this.scratch?.free();
    this.scratch = null;
  }
}

export const PLAYER_AUDIO_RATE = 48000;
export const PLAYER_AUDIO_SAMPLES = 960;
const OUT_CHANNELS = 2;
const BYTES_PER_SAMPLE = 2 * OUT_CHANNELS;

/** Decoded audio → s16 stereo 48 kHz frames of 960 samples, pts in samples from 0. */
export class AudioFrameConverter {
  private swr: SoftwareResampleContext | null = null;
  private swrKey = '';
  private pending = new Uint8Array(0);
  private samples = 0;
  readonly timeBase = new Fraction(1, PLAYER_AUDIO_RATE);

  constructor(private readonly av: NodeAv) {}

  convert(frame: Frame): AudioFrame[] {
    const swr = this.context(frame);
    if (!swr) return [];
    const capacity = swr.getOutSamples(frame.nbSamples) + 256;
    const out = Buffer.alloc(capacity * BYTES_PER_SAMPLE);
    const input = frame.extendedData ?? frame.data ?? [];
    const produced = swr.convertSync([out], capacity, input, frame.nbSamples);
    if (produced <= 0) return [];
    return this.chunk(out.subarray(0, produced * BYTES_PER_SAMPLE), false);
  }

  /** At the end of the input: what swresample still holds, and the last partial frame padded with silence. */
  flush(): AudioFrame[] {
    let tail = new Uint8Array(0);
    if (this.swr) {
      const capacity = 4096;
      const out = Buffer.alloc(capacity * BYTES_PER_SAMPLE);
      const produced = this.swr.convertSync([out], capacity, null, 0);
      if (produced > 0) tail = out.subarray(0, produced * BYTES_PER_SAMPLE);
    }
    return this.chunk(tail, true);
  }

  close(): void {
    this.swr?.free();
    this.swr = null;
  }

  private context(frame: Frame): SoftwareResampleContext | null {
    const layout = this.layoutOf(frame);
    const key = `${frame.format}/${frame.sampleRate}/${layout.nbChannels}/${String(layout.mask)}`;
    if (this.swr && key === this.swrKey) return this.swr;
    const { lib, constants: C } = this.av;
    this.swr?.free();
    const swr = new lib.SoftwareResampleContext();
    let ret = swr.allocSetOpts2(
      C.AV_CHANNEL_LAYOUT_STEREO,
      C.AV_SAMPLE_FMT_S16,
      PLAYER_AUDIO_RATE,
      layout,
      frame.format as Parameters<SoftwareResampleContext['allocSetOpts2']>[4],
      frame.sampleRate,
    );
    // Mono is copied to both channels at full level (as tsrtc's AudioResampler), not 3 dB down.
    if (ret >= 0 && layout.nbChannels === 1) ret = swr.setMatrix([1, 1], 1);
    if (ret >= 0) ret = swr.init();
    if (ret < 0) {
      swr.free();
      this.swr = null;
      return null;
    }
    this.swr = swr;
    this.swrKey = key;
    return swr;
  }

  /** A layout swresample accepts: an unspecified one becomes the default for its channel count. */
  private layoutOf(frame: Frame): ChannelLayout {
    const layout = frame.channelLayout;
    if (layout.order !== this.av.constants.AV_CHANNEL_ORDER_UNSPEC) return layout;
    return this.av.lib.avChannelLayoutDefault(layout.nbChannels || 1);
  }

  private chunk(bytes: Uint8Array, final: boolean): AudioFrame[] {
    let data = bytes;
    if (this.pending.byteLength) {
      data = new Uint8Array(this.pending.byteLength + bytes.byteLength);
      data.set(this.pending);
      data.set(bytes, this.pending.byteLength);
    }
    const frameBytes = PLAYER_AUDIO_SAMPLES * BYTES_PER_SAMPLE;
    const frames: AudioFrame[] = [];
    let offset = 0;
    for (; data.byteLength - offset >= frameBytes; offset += frameBytes) {
      frames.push(this.frame(data.subarray(offset, offset + frameBytes)));
    }
    this.pending = data.slice(offset);
    if (final && this.pending.byteLength) {
      const padded = new Uint8Array(frameBytes);
      padded.set(this.pending);
      frames.push(this.frame(padded));
      this.pending = new Uint8Array(0);
    }
    return frames;
  }

  private frame(bytes: Uint8Array): AudioFrame {
    const frame = AudioFrame.fromBytes(bytes, {
      format: 's16',
      layout: 'stereo',
      sampleRate: PLAYER_AUDIO_RATE,
    });
    frame.pts = this.samples;
    frame.timeBase = this.timeBase;
    this.samples += PLAYER_AUDIO_SAMPLES;
    return frame;
  }
}
