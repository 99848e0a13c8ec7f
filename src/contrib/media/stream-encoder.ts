/**
 * The recorder's encoders (any FFmpeg encoder: libx264, libvpx, png, aac, libopus, libmp3lame, pcm_s16le).
 * Video keeps the first frame's size (later frames of another size are scaled to it, as aiortc does) on a
 * 90 kHz time base; audio is resampled to what the encoder takes, in its frame size, on a 1/rate time base.
 * Encoding runs on libuv's worker pool; packets are handed to the caller, who owns them.
 */
import type { AVSampleFormat } from 'node-av/constants';
import type { CodecContext, Frame, Packet } from 'node-av/lib';
import type { AudioFrame, AudioLayout, AudioSampleFormat } from '../../media/audio-frame.js';
import { AudioResampler } from '../../media/audio-resampler.js';
import { avSampleFormat } from '../../media/native-resample.js';
import { avPixelFormat } from '../../media/native-scale.js';
import { Fraction } from '../../media/time-base.js';
import type { PixelFormat, VideoFrame } from '../../media/video-frame.js';
import type { EncoderChoice } from './container.js';
import { MediaFileError } from './errors.js';
import { ffmpegReason, type NodeAv } from './ffmpeg.js';
import type { MediaPacket } from './media-packet.js';

export const VIDEO_ENCODER_TIME_BASE = new Fraction(1, 90000);

function openContext(
  av: NodeAv,
  file: string,
  choice: EncoderChoice,
  configure: (ctx: CodecContext) => void,
): CodecContext {
  const { lib } = av;
  const codec = lib.Codec.findEncoderByName(
    choice.encoder as Parameters<typeof lib.Codec.findEncoderByName>[0],
  );
  if (!codec) throw new MediaFileError(file, `FFmpeg has no ${choice.encoder} encoder in this build`);
  const ctx = new lib.CodecContext();
  ctx.allocContext3(codec);
  configure(ctx);
  let ret = 0;
  for (const [name, value] of Object.entries(choice.options)) {
    ret = ctx.setOption(name, value);
    if (ret < 0) break;
  }
  if (ret >= 0) ret = ctx.open2Sync(codec, null);
  if (ret < 0) {
    ctx.freeContext();
    throw new MediaFileError(file, `cannot open the ${choice.encoder} encoder: ${ffmpegReason(av, ret)}`);
  }
  return ctx;
}

abstract class StreamEncoder {
  protected closed = false;
  protected queue: Promise<unknown> = Promise.resolve();

  /** One native packet, reused for every output. */
  private readonly packet: Packet;

  protected constructor(
    protected readonly av: NodeAv,
    readonly ctx: CodecContext,
    protected readonly file: string,
    protected readonly name: string,
  ) {
    this.packet = new av.lib.Packet();
    this.packet.alloc();
  }

  /** Drain the encoder at the end. */
  flush(): Promise<MediaPacket[]> {
    return this.run(async () => {
      await this.ctx.sendFrame(null);
      return this.drain();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.queue.then(() => {
      this.packet.free();
      this.ctx.freeContext();
    });
  }

  protected run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.closed) throw new MediaFileError(this.file, `${this.name} encoder is closed`);
      return job();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  protected async send(frame: Frame): Promise<MediaPacket[]> {
    try {
      const ret = await this.ctx.sendFrame(frame);
      if (ret < 0)
        throw new MediaFileError(this.file, `${this.name} encoder failed: ${ffmpegReason(this.av, ret)}`);
    } finally {
      frame.free();
    }
    return this.drain();
  }

  protected drain(): MediaPacket[] {
    const C = this.av.constants;
    const out: MediaPacket[] = [];
    const packet = this.packet;
    for (;;) {
      const ret = this.ctx.receivePacketSync(packet);
      if (ret < 0) {
        if (ret === C.AVERROR_EAGAIN || ret === C.AVERROR_EOF) return out;
        throw new MediaFileError(this.file, `${this.name} encoder failed: ${ffmpegReason(this.av, ret)}`);
      }
      const data = packet.data; // a copy
      if (data?.byteLength) {
        out.push({
          streamIndex: 0,
          data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
          pts: packet.pts,
          dts: packet.dts,
          duration: packet.duration,
          keyframe: packet.isKeyframe,
          size: data.byteLength,
        });
      }
      packet.unref();
    }
  }
}

export class VideoStreamEncoder extends StreamEncoder {
  readonly timeBase = VIDEO_ENCODER_TIME_BASE;
  private lastPts = -1;

  private constructor(
    av: NodeAv,
    ctx: CodecContext,
    file: string,
    name: string,
    readonly width: number,
    readonly height: number,
    private readonly format: PixelFormat,
  ) {
    super(av, ctx, file, name);
  }

  static open(av: NodeAv, file: string, choice: EncoderChoice, first: VideoFrame, globalHeader: boolean) {
    const format: PixelFormat = choice.encoder === 'png' ? 'rgb24' : 'yuv420p';
    const { lib, constants: C } = av;
    const ctx = openContext(av, file, choice, (c) => {
      c.width = first.width;
      c.height = first.height;
      c.pixelFormat = avPixelFormat(av, format);
      c.timeBase = new lib.Rational(1, 90000);
      c.framerate = new lib.Rational(30, 1);
      c.threadCount = 0;
      if (globalHeader) c.setFlags(C.AV_CODEC_FLAG_GLOBAL_HEADER);
    });
    return new VideoStreamEncoder(av, ctx, file, choice.encoder, first.width, first.height, format);
  }

  /** Encode one frame at `pts` (90 kHz ticks from the start of the recording). */
  encode(frame: VideoFrame, pts: number): Promise<MediaPacket[]> {
    return this.run(async () => {
      // Encoders refuse pts that do not increase: a source that restarted its clock continues from the last.
      const at = pts > this.lastPts ? pts : this.lastPts + 1;
      this.lastPts = at;
      const same = frame.format === this.format && frame.width === this.width && frame.height === this.height;
      const input = same
        ? frame
        : frame.reformat({ format: this.format, width: this.width, height: this.height });
      const bytes = input.toBytes();
      const { lib } = this.av;
      const native = lib.Frame.fromVideoBuffer(
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        {
          width: this.width,
          height: this.height,
          format: avPixelFormat(this.av, this.format),
          timeBase: new lib.Rational(1, 90000),
          pts: BigInt(at),
        },
      );
      return this.send(native);
    });
  }
}

interface AudioTarget {
  format: AudioSampleFormat;
  rate: number | null;
  layout: AudioLayout | null;
}

const AUDIO_TARGETS: Record<string, AudioTarget> = {
  aac: { format: 'fltp', rate: 48000, layout: 'stereo' },
  libopus: { format: 's16', rate: 48000, layout: 'stereo' },
  libmp3lame: { format: 's16p', rate: 48000, layout: 'stereo' },
  pcm_s16le: { format: 's16', rate: null, layout: null },
};

export class AudioStreamEncoder extends StreamEncoder {
  readonly timeBase: Fraction;
  private readonly resampler: AudioResampler;
  private samples = 0;

  private constructor(
    av: NodeAv,
    ctx: CodecContext,
    file: string,
    name: string,
    readonly rate: number,
    readonly layout: AudioLayout,
    private readonly format: AudioSampleFormat,
  ) {
    super(av, ctx, file, name);
    this.timeBase = new Fraction(1, rate);
    const frameSize = ctx.frameSize > 0 ? ctx.frameSize : undefined;
    this.resampler = new AudioResampler({ format, layout, rate, frameSize });
  }

  static open(av: NodeAv, file: string, choice: EncoderChoice, first: AudioFrame, globalHeader: boolean) {
    const target = AUDIO_TARGETS[choice.encoder] ?? { format: 'fltp', rate: 48000, layout: 'stereo' };
    const rate = target.rate ?? first.sampleRate;
    const layout = target.layout ?? first.layout;
    const { lib, constants: C } = av;
    const ctx = openContext(av, file, choice, (c) => {
      c.sampleRate = rate;
      c.sampleFormat = avSampleFormat(av, target.format) as AVSampleFormat;
      c.channelLayout = layout === 'stereo' ? C.AV_CHANNEL_LAYOUT_STEREO : C.AV_CHANNEL_LAYOUT_MONO;
      c.timeBase = new lib.Rational(1, rate);
      if (choice.encoder !== 'pcm_s16le') c.bitRate = 128_000n;
      if (globalHeader) c.setFlags(C.AV_CODEC_FLAG_GLOBAL_HEADER);
    });
    return new AudioStreamEncoder(av, ctx, file, choice.encoder, rate, layout, target.format);
  }

  /** Samples handed to the encoder so far (the next pts). */
  get position(): number {
    return this.samples;
  }

  /** Encode a frame; its samples follow the previous ones (gaps are filled by the caller). */
  encode(frame: AudioFrame): Promise<MediaPacket[]> {
    return this.run(async () => {
      const out: MediaPacket[] = [];
      for (const chunk of this.resampler.resample(frame)) out.push(...(await this.sendChunk(chunk)));
      return out;
    });
  }

  private async sendChunk(chunk: AudioFrame): Promise<MediaPacket[]> {
    const { lib, constants: C } = this.av;
    const bytes = chunk.toBytes();
    const native = lib.Frame.fromAudioBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      nbSamples: chunk.samples,
      format: avSampleFormat(this.av, this.format),
      sampleRate: this.rate,
      channelLayout: this.layout === 'stereo' ? C.AV_CHANNEL_LAYOUT_STEREO : C.AV_CHANNEL_LAYOUT_MONO,
      timeBase: new lib.Rational(1, this.rate),
      pts: BigInt(this.samples),
    });
    this.samples += chunk.samples;
    return this.send(native);
  }
}
