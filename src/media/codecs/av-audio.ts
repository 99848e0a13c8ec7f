/**
 * Opus (libopus, 48 kHz stereo, 20 ms) and G.722 (16 kHz mono, 20 ms, RTP clock 8 kHz) through FFmpeg
 * (node-av). Input of any format, layout and rate is resampled first. Decoders return s16 frames.
 */
import type { CodecContext, Frame, Packet } from 'node-av/lib';
import { AudioFrame, type AudioSampleFormat } from '../audio-frame.js';
import { AudioResampler } from '../audio-resampler.js';
import { EncodedFrame } from '../encoded-frame.js';
import { Fraction } from '../time-base.js';
import type { Decoder, DecoderStats, Encoder, EncoderOptions } from './codec.js';
import { loadNodeAv, type NodeAv, setOptions } from './node-av.js';

export type AvAudioCodecName = 'opus' | 'g722';

interface AudioCodecProfile {
  encoder: string;
  decoder: string;
  sampleRate: number;
  channels: 1 | 2;
  frameSamples: number;
  /** RTP ticks per sample: G.722 runs at 16 kHz but its RTP clock is 8 kHz (RFC 3551 §4.5.2). */
  rtpScale: number;
  defaultBitrate: number;
  options: Record<string, string>;
}

const PROFILES: Record<AvAudioCodecName, AudioCodecProfile> = {
  opus: {
    encoder: 'libopus',
    decoder: 'libopus',
    sampleRate: 48000,
    channels: 2,
    frameSamples: 960,
    rtpScale: 1,
    defaultBitrate: 96_000,
    options: { application: 'voip', frame_duration: '20' },
  },
  g722: {
    encoder: 'g722',
    decoder: 'g722',
    sampleRate: 16000,
    channels: 1,
    frameSamples: 320,
    rtpScale: 0.5,
    defaultBitrate: 64_000,
    options: {},
  },
};

interface OpenCodec {
  ctx: CodecContext;
  packet: Packet;
  frame: Frame;
}

function openCodec(
  av: NodeAv,
  p: AudioCodecProfile,
  kind: 'encoder' | 'decoder',
  bitrate: number,
): OpenCodec {
  const { lib, constants: C } = av;
  const name = p[kind];
  const codec =
    kind === 'encoder'
      ? lib.Codec.findEncoderByName(name as Parameters<typeof lib.Codec.findEncoderByName>[0])
      : lib.Codec.findDecoderByName(name as Parameters<typeof lib.Codec.findDecoderByName>[0]);
  if (!codec) throw new Error(`FFmpeg ${kind} ${name} is not available in this node-av build`);
  const ctx = new lib.CodecContext();
  ctx.allocContext3(codec);
  ctx.sampleRate = p.sampleRate;
  ctx.channelLayout = p.channels === 2 ? C.AV_CHANNEL_LAYOUT_STEREO : C.AV_CHANNEL_LAYOUT_MONO;
  ctx.timeBase = new lib.Rational(1, p.sampleRate);
  if (kind === 'encoder') {
    ctx.sampleFormat = C.AV_SAMPLE_FMT_S16;
    ctx.bitRate = BigInt(bitrate);
    setOptions(ctx, p.options, name);
  }
  const ret = ctx.open2Sync(codec, null);
  if (ret < 0) {
    ctx.freeContext();
    throw new Error(`could not open the ${name} ${kind} (FFmpeg error ${ret})`);
  }
  const packet = new lib.Packet();
  packet.alloc();
  const frame = new lib.Frame();
  frame.alloc();
  return { ctx, packet, frame };
}

function closeCodec(c: OpenCodec | null): void {
  if (!c) return;
  c.frame.free();
  c.packet.free();
  c.ctx.freeContext();
}

export class AvAudioEncoder implements Encoder<AudioFrame> {
  readonly kind = 'audio';
  readonly clockRate: number;
  private readonly profile: AudioCodecProfile;
  private readonly resampler: AudioResampler;
  private bitrate: number;
  private openBitrate = 0;
  private codecState: OpenCodec | null = null;
  private readonly pendingPts: number[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly codec: AvAudioCodecName,
    options: EncoderOptions = {},
  ) {
    this.profile = PROFILES[codec];
    this.clockRate = this.profile.sampleRate * this.profile.rtpScale;
    this.bitrate = options.bitrate ?? this.profile.defaultBitrate;
    this.resampler = new AudioResampler({
      format: 's16',
      layout: this.profile.channels === 2 ? 'stereo' : 'mono',
      rate: this.profile.sampleRate,
      frameSize: this.profile.frameSamples,
    });
  }

  get targetBitrate(): number {
    return this.bitrate;
  }

  /** Opus: FFmpeg's libopus wrapper cannot retarget an open encoder, so the next frame reopens it (audio has
   * no keyframes, so this costs nothing on the wire). G.722 has fixed modes and ignores it. */
  setTargetBitrate(bitsPerSecond: number): void {
    if (this.codec === 'opus') this.bitrate = Math.round(Math.min(510_000, Math.max(6_000, bitsPerSecond)));
  }

  requestKeyframe(): void {}

  encode(frame: AudioFrame): Promise<EncodedFrame[]> {
    const run = this.queue.then(() => this.encodeNow(frame));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async encodeNow(frame: AudioFrame): Promise<EncodedFrame[]> {
    if (this.closed) throw new Error(`${this.codec} encoder is closed`);
    const av = await loadNodeAv(this.codec);
    const { lib, constants: C } = av;
    if (!this.codecState || this.openBitrate !== this.bitrate) {
      closeCodec(this.codecState);
      this.pendingPts.length = 0;
      this.codecState = openCodec(av, this.profile, 'encoder', this.bitrate);
      this.openBitrate = this.bitrate;
    }
    const { ctx, packet } = this.codecState;
    const timeBase = new Fraction(1, this.clockRate);
    const out: EncodedFrame[] = [];
    for (const chunk of this.resampler.resample(frame)) {
      this.pendingPts.push(chunk.pts ?? 0);
      const input = lib.Frame.fromAudioBuffer(Buffer.from(chunk.planes[0]!.data), {
        nbSamples: chunk.samples,
        format: C.AV_SAMPLE_FMT_S16,
        sampleRate: this.profile.sampleRate,
        channelLayout: this.profile.channels === 2 ? C.AV_CHANNEL_LAYOUT_STEREO : C.AV_CHANNEL_LAYOUT_MONO,
        timeBase: new lib.Rational(1, this.profile.sampleRate),
        pts: BigInt(chunk.pts ?? 0),
      });
      try {
        const ret = await ctx.sendFrame(input);
        if (ret < 0) throw new Error(`${this.codec} encoder refused the frame (FFmpeg error ${ret})`);
      } finally {
        input.free();
      }
      while (ctx.receivePacketSync(packet) >= 0) {
        const data = packet.data;
        if (data?.byteLength) {
          const bytes = new Uint8Array(data.byteLength);
          bytes.set(data);
          // One packet per 20 ms input chunk, in order: take the chunk's pts rather than FFmpeg's, which libopus
          // shifts back by its pre-skip (negative for the first packet).
          const pts = Math.round((this.pendingPts.shift() ?? Number(packet.pts)) * this.profile.rtpScale);
          out.push(new EncodedFrame(this.codec, bytes, pts, timeBase, true));
        }
        packet.unref();
      }
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.queue.then(() => closeCodec(this.codecState));
  }
}

export class AvAudioDecoder implements Decoder<AudioFrame> {
  readonly kind = 'audio';
  readonly keyframeNeeded = false;
  readonly stats: DecoderStats = { framesDecoded: 0, decodeErrors: 0 };
  private readonly profile: AudioCodecProfile;
  private codecState: OpenCodec | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly codec: AvAudioCodecName) {
    this.profile = PROFILES[codec];
  }

  decode(frame: EncodedFrame): Promise<AudioFrame[]> {
    const run = this.queue.then(() => this.decodeNow(frame));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async decodeNow(encoded: EncodedFrame): Promise<AudioFrame[]> {
    if (this.closed) return [];
    const av = await loadNodeAv(this.codec);
    this.codecState ??= openCodec(av, this.profile, 'decoder', 0);
    const { ctx, packet, frame } = this.codecState;
    packet.data = Buffer.from(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength);
    packet.pts = BigInt(Math.round(encoded.pts / this.profile.rtpScale));
    const sent = await ctx.sendPacket(packet);
    packet.unref();
    if (sent < 0 && sent !== av.constants.AVERROR_EAGAIN) {
      this.stats.decodeErrors++;
      return [];
    }
    const out: AudioFrame[] = [];
    for (;;) {
      const ret = ctx.receiveFrameSync(frame);
      if (ret < 0) {
        if (ret !== av.constants.AVERROR_EAGAIN && ret !== av.constants.AVERROR_EOF)
          this.stats.decodeErrors++;
        break;
      }
      const decoded = this.copyOut(av, frame, encoded.pts);
      frame.unref();
      if (decoded) out.push(decoded);
    }
    this.stats.framesDecoded += out.length;
    return out;
  }

  private copyOut(av: NodeAv, frame: Frame, pts: number): AudioFrame | null {
    const C = av.constants;
    const formats = new Map<number, AudioSampleFormat>([
      [C.AV_SAMPLE_FMT_S16, 's16'],
      [C.AV_SAMPLE_FMT_S16P, 's16p'],
      [C.AV_SAMPLE_FMT_FLT, 'flt'],
      [C.AV_SAMPLE_FMT_FLTP, 'fltp'],
    ]);
    const format = formats.get(frame.format);
    const channels = frame.channels;
    const data = frame.data;
    if (!format || (channels !== 1 && channels !== 2) || !data) {
      this.stats.decodeErrors++;
      return null;
    }
    const raw = new AudioFrame({
      format,
      layout: channels === 2 ? 'stereo' : 'mono',
      samples: frame.nbSamples,
      sampleRate: frame.sampleRate,
    });
    raw.planes.forEach((plane, i) => {
      plane.data.set(data[i]!.subarray(0, plane.data.byteLength));
    });
    const s16 =
      format === 's16'
        ? raw
        : AudioFrame.fromFloat32(raw.toFloat32(), { format: 's16', sampleRate: raw.sampleRate });
    s16.pts = pts;
    s16.timeBase = new Fraction(1, Math.round(this.profile.sampleRate * this.profile.rtpScale));
    return s16;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.queue.then(() => closeCodec(this.codecState));
  }
}
