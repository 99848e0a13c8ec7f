/**
 * VP8, VP9, H.264 and AV1 through FFmpeg (node-av): libvpx, libx264 and SVT-AV1 encoders with real-time
 * settings; FFmpeg's native VP8/VP9/H.264 decoders and dav1d for AV1. Frames of any pixel format are
 * converted to yuv420p first. Encode and decode calls run on libuv's worker pool, one at a time per codec.
 */
import type { CodecContext, Frame, Packet } from 'node-av/lib';
import { createLogger } from '../../common/logger.js';
import { VIDEO_TIME_BASE } from '../constants.js';
import { EncodedFrame } from '../encoded-frame.js';
import { rescale } from '../time-base.js';
import { MAX_VIDEO_DIMENSION, VideoFrame, VideoPlane } from '../video-frame.js';
import type { Decoder, DecoderStats, Encoder, EncoderOptions } from './codec.js';
import { loadNodeAv, type NodeAv, setOptions } from './node-av.js';

export type VideoCodecName = 'vp8' | 'vp9' | 'h264' | 'av1';

interface VideoCodecProfile {
  encoder: string;
  decoder: string;
  defaultBitrate: number;
  minBitrate: number;
  maxBitrate: number;
  /** The FFmpeg wrapper re-reads the target bitrate on every frame (only libx264 does). */
  liveBitrate: boolean;
  /**
   * Constant-bitrate rate control (libvpx): FFmpeg picks it only when min = max = target rate. libvpx's
   * default VBR spends what the content asks for: a first keyframe of 131 kB (a whole second's budget) at a
   * 1 Mbit/s target was measured, which a congested link turns into loss and a burst of queueing delay.
   */
  constantBitrate: boolean;
  options: Record<string, string>;
}

const log = createLogger('media');

/**
 * libvpx's rate control as real-time WebRTC senders configure it: undershoot freely, overshoot by at most
 * 15 %, and a keyframe no bigger than 9 average frames.
 */
const LIBVPX_RATE_CONTROL = { 'undershoot-pct': '100', 'overshoot-pct': '15', 'max-intra-rate': '900' };

const PROFILES: Record<VideoCodecName, VideoCodecProfile> = {
  vp8: {
    encoder: 'libvpx',
    decoder: 'vp8',
    defaultBitrate: 500_000,
    minBitrate: 250_000,
    maxBitrate: 1_500_000,
    liveBitrate: false,
    constantBitrate: true,
    options: {
      deadline: 'realtime',
      'cpu-used': '8',
      'lag-in-frames': '0',
      'error-resilient': '1',
      ...LIBVPX_RATE_CONTROL,
      qmin: '2',
      qmax: '56',
    },
  },
  vp9: {
    encoder: 'libvpx-vp9',
    decoder: 'vp9',
    defaultBitrate: 500_000,
    minBitrate: 250_000,
    maxBitrate: 1_500_000,
    liveBitrate: false,
    constantBitrate: true,
    options: {
      deadline: 'realtime',
      'cpu-used': '8',
      'lag-in-frames': '0',
      'row-mt': '1',
      ...LIBVPX_RATE_CONTROL,
      'error-resilient': '1',
    },
  },
  h264: {
    encoder: 'libx264',
    decoder: 'h264',
    defaultBitrate: 1_000_000,
    minBitrate: 500_000,
    maxBitrate: 3_000_000,
    liveBitrate: true,
    constantBitrate: false,
    // Constrained baseline (profile-level-id 42e01f): no B-frames, no CABAC. Without a global header x264
    // repeats SPS/PPS before every IDR, so a receiver can join at any keyframe.
    options: {
      preset: 'ultrafast',
      tune: 'zerolatency',
      profile: 'baseline',
      level: '3.1',
      'forced-idr': '1',
    },
  },
  av1: {
    encoder: 'libsvtav1',
    decoder: 'libdav1d',
    defaultBitrate: 500_000,
    minBitrate: 150_000,
    maxBitrate: 3_000_000,
    liveBitrate: false,
    constantBitrate: false,
    options: { preset: '10', 'svtav1-params': 'rc=2:pred-struct=1:lp=1' },
  },
};

/** Recreating a libvpx/SVT-AV1 encoder costs a keyframe: only worth it when the target moves this much. */
const RECREATE_RATIO = 1.3;
/**
 * A smaller cut still matters: a sender above its estimate fills the bottleneck's queue without end (GCC
 * lowers the estimate to 85 % of what arrives, a cut the ratio above never reaches). So a target this far
 * under the open bitrate for this long (90 kHz ticks: 1 s) recreates too; one keyframe per cut, not per move.
 */
const SUSTAINED_CUT_RATIO = 0.92;
const SUSTAINED_CUT_TICKS = 90_000;

const clampBitrate = (p: VideoCodecProfile, b: number): number =>
  Math.round(Math.min(p.maxBitrate, Math.max(p.minBitrate, b)));

export class AvVideoEncoder implements Encoder<VideoFrame> {
  readonly kind = 'video';
  readonly clockRate = 90000;
  private readonly profile: VideoCodecProfile;
  private bitrate: number;
  /** The bitrate the open encoder runs at (differs from `bitrate` until a change is applied). */
  private openBitrate = 0;
  private ctx: CodecContext | null = null;
  private packet: Packet | null = null;
  private width = 0;
  private height = 0;
  private keyframeRequested = false;
  /** pts (90 kHz) of the first frame since the target fell under SUSTAINED_CUT_RATIO of the open bitrate. */
  private cutSince: number | undefined;
  private frameCount = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly codec: VideoCodecName,
    private readonly options: EncoderOptions = {},
  ) {
    this.profile = PROFILES[codec];
    this.bitrate = clampBitrate(this.profile, options.bitrate ?? this.profile.defaultBitrate);
  }

  get targetBitrate(): number {
    return this.bitrate;
  }

  /** Clamped to the codec's range (as aiortc's). libx264 applies it on the next frame; libvpx and SVT-AV1
   * cannot retarget an open encoder through FFmpeg, so they are recreated, only for moves of 30 % or more. */
  setTargetBitrate(bitsPerSecond: number): void {
    this.bitrate = clampBitrate(this.profile, bitsPerSecond);
  }

  requestKeyframe(): void {
    this.keyframeRequested = true;
  }

  encode(frame: VideoFrame): Promise<EncodedFrame[]> {
    const run = this.queue.then(() => this.encodeNow(frame));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async encodeNow(frame: VideoFrame): Promise<EncodedFrame[]> {
    if (this.closed) throw new Error(`${this.codec} encoder is closed`);
    const av = await loadNodeAv(this.codec);
    const { lib, constants: C } = av;
    const pts =
      frame.pts === null
        ? this.frameCount * 3000
        : rescale(frame.pts, frame.timeBase ?? VIDEO_TIME_BASE, VIDEO_TIME_BASE);
    this.frameCount++;
    if (!this.ctx || frame.width !== this.width || frame.height !== this.height || this.needsRecreate(pts)) {
      await this.open(av, frame.width, frame.height);
    } else if (this.openBitrate !== this.bitrate) {
      this.applyLiveBitrate(this.ctx);
    }
    const ctx = this.ctx!;
    const yuv = frame.format === 'yuv420p' ? frame : frame.reformat({ format: 'yuv420p' });
    const input = lib.Frame.fromVideoBuffer(Buffer.from(yuv.toBytes()), {
      width: frame.width,
      height: frame.height,
      format: C.AV_PIX_FMT_YUV420P,
      timeBase: new lib.Rational(1, 90000),
      pts: BigInt(pts),
    });
    if (this.keyframeRequested) {
      input.pictType = C.AV_PICTURE_TYPE_I;
      this.keyframeRequested = false;
    }
    try {
      // The heavy work runs in send (off the main thread); FFmpeg encodes eagerly there, so receiving is cheap
      // and synchronous: one worker-pool hop per frame instead of three.
      const ret = await ctx.sendFrame(input);
      if (ret < 0) throw new Error(`${this.codec} encoder refused the frame (FFmpeg error ${ret})`);
      return await this.drain(ctx);
    } finally {
      input.free();
    }
  }

  private async drain(ctx: CodecContext): Promise<EncodedFrame[]> {
    const out: EncodedFrame[] = [];
    const packet = this.packet!;
    while (ctx.receivePacketSync(packet) >= 0) {
      const data = packet.data;
      if (data?.byteLength) {
        const bytes = new Uint8Array(data.byteLength);
        bytes.set(data);
        out.push(new EncodedFrame(this.codec, bytes, Number(packet.pts), VIDEO_TIME_BASE, packet.isKeyframe));
      }
      packet.unref();
    }
    return out;
  }

  private needsRecreate(pts: number): boolean {
    if (this.profile.liveBitrate || this.openBitrate === this.bitrate) {
      this.cutSince = undefined;
      return false;
    }
    const ratio = this.bitrate / this.openBitrate;
    if (ratio > SUSTAINED_CUT_RATIO) this.cutSince = undefined;
    else this.cutSince ??= pts;
    const cutHeld = this.cutSince !== undefined && pts - this.cutSince >= SUSTAINED_CUT_TICKS;
    // A keyframe is coming anyway: take the new bitrate with it at no extra cost.
    return this.keyframeRequested || ratio >= RECREATE_RATIO || ratio <= 1 / RECREATE_RATIO || cutHeld;
  }

  private applyLiveBitrate(ctx: CodecContext): void {
    if (!this.profile.liveBitrate) return;
    const b = BigInt(this.bitrate);
    ctx.bitRate = b;
    ctx.rcMaxRate = b;
    ctx.rcBufferSize = Math.round(this.bitrate / 2);
    this.openBitrate = this.bitrate;
  }

  /** x264 settings from the negotiated H.264 format: profile, and slices within a packet for mode 0. */
  private h264Options(): Record<string, string> {
    const h = this.options.h264;
    if (this.codec !== 'h264' || !h) return {};
    const out: Record<string, string> = {};
    const profileIdc = h.profileLevelId?.slice(0, 2).toLowerCase();
    if (profileIdc === '4d') out.profile = 'main';
    if (h.packetizationMode === 0) out['x264-params'] = `slice-max-size=${h.maxSliceBytes ?? 1100}`;
    return out;
  }

  /**
   * Open (or reopen) the encoder. avcodec_open2 runs on libuv's pool: libvpx and SVT-AV1 spend hundreds of
   * milliseconds setting up a 720p encoder, which on the main thread would stall every connection.
   */
  private async open(av: NodeAv, width: number, height: number): Promise<void> {
    const { lib, constants: C } = av;
    // The target may move while avcodec_open2 runs on the pool: what the encoder was opened with is this.
    const bitrate = this.bitrate;
    this.release();
    const codec = lib.Codec.findEncoderByName(
      this.profile.encoder as Parameters<typeof lib.Codec.findEncoderByName>[0],
    );
    if (!codec)
      throw new Error(`FFmpeg encoder ${this.profile.encoder} is not available in this node-av build`);
    const ctx = new lib.CodecContext();
    ctx.allocContext3(codec);
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = C.AV_PIX_FMT_YUV420P;
    ctx.timeBase = new lib.Rational(1, 90000);
    ctx.framerate = new lib.Rational(this.options.framerate ?? 30, 1);
    ctx.bitRate = BigInt(bitrate);
    ctx.rcMaxRate = BigInt(bitrate);
    if (this.profile.constantBitrate) {
      // libvpx's buffer model as WebRTC senders size it: 1 s, starting half full.
      ctx.rcMinRate = BigInt(bitrate);
      ctx.rcBufferSize = bitrate;
      setOptions(ctx, { rc_init_occupancy: `${Math.round(bitrate / 2)}` }, this.profile.encoder);
    } else {
      // A VBV buffer of half a second lets libx264 follow bitrate changes within a few frames.
      ctx.rcBufferSize = Math.round(bitrate / 2);
    }
    ctx.gopSize = 3000;
    ctx.maxBFrames = 0;
    ctx.threadCount = this.options.threads ?? (width * height > 640 * 480 ? 2 : 1);
    setOptions(ctx, { ...this.profile.options, ...this.h264Options() }, this.profile.encoder);
    const ret = await ctx.open2(codec, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new Error(`could not open the ${this.profile.encoder} encoder (FFmpeg error ${ret})`);
    }
    const packet = new lib.Packet();
    packet.alloc();
    this.ctx = ctx;
    this.packet = packet;
    this.width = width;
    this.height = height;
    this.openBitrate = bitrate;
    this.keyframeRequested = false; // a fresh encoder starts with a keyframe
  }

  private release(): void {
    this.packet?.free();
    this.ctx?.freeContext();
    this.packet = null;
    this.ctx = null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Free only after any encode in flight has finished with the context.
    void this.queue.then(() => this.release());
  }
}

export class AvVideoDecoder implements Decoder<VideoFrame> {
  readonly kind = 'video';
  readonly stats: DecoderStats = { framesDecoded: 0, decodeErrors: 0 };
  private needKeyframe = false;
  private ctx: CodecContext | null = null;
  private packet: Packet | null = null;
  private frame: Frame | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly codec: VideoCodecName) {}

  get keyframeNeeded(): boolean {
    return this.needKeyframe;
  }

  decode(frame: EncodedFrame): Promise<VideoFrame[]> {
    const run = this.queue.then(() => this.decodeNow(frame));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async decodeNow(encoded: EncodedFrame): Promise<VideoFrame[]> {
    if (this.closed) return [];
    const av = await loadNodeAv(this.codec);
    if (!this.ctx) this.open(av);
    if (this.needKeyframe && !encoded.keyframe) return []; // decoding on would only show corruption
    const ctx = this.ctx!;
    const packet = this.packet!;
    packet.data = Buffer.from(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength);
    packet.pts = BigInt(encoded.pts);
    const sent = await ctx.sendPacket(packet);
    packet.unref();
    if (sent < 0 && sent !== av.constants.AVERROR_EAGAIN) return this.fail(ctx);
    const out: VideoFrame[] = [];
    const frame = this.frame!;
    for (;;) {
      const ret = ctx.receiveFrameSync(frame);
      if (ret === av.constants.AVERROR_EAGAIN || ret === av.constants.AVERROR_EOF) break;
      if (ret < 0 || frame.decodeErrorFlags !== 0) {
        frame.unref();
        return this.fail(ctx);
      }
      const picture = this.copyOut(av, frame, encoded.pts);
      frame.unref();
      if (!picture) return this.fail(ctx);
      out.push(picture);
    }
    if (out.length) this.needKeyframe = false;
    this.stats.framesDecoded += out.length;
    return out;
  }

  private fail(ctx: CodecContext): VideoFrame[] {
    this.stats.decodeErrors++;
    this.needKeyframe = true;
    ctx.flushBuffers();
    return [];
  }

  /**
   * Copy the decoder's picture out in one native call (its buffers are reused); planes are views into it.
   * Null (the frame is refused, and counted) for pictures tsrtc cannot represent: a peer sending 4:4:4 or
   * 10-bit video, or a size beyond MAX_VIDEO_DIMENSION.
   */
  private copyOut(av: NodeAv, frame: Frame, pts: number): VideoFrame | null {
    const { width, height } = frame;
    const C = av.constants;
    if (frame.format !== C.AV_PIX_FMT_YUV420P && frame.format !== C.AV_PIX_FMT_YUVJ420P) {
      log.debug(
        `${this.codec} decoder produced pixel format ${frame.format}, expected yuv420p: frame refused`,
      );
      return null;
    }
    if (width < 1 || height < 1 || width > MAX_VIDEO_DIMENSION || height > MAX_VIDEO_DIMENSION) {
      log.debug(`${this.codec} decoder produced a ${width}x${height} picture: frame refused`);
      return null;
    }
    const packed = frame.toBuffer(); // Y, U, V tightly packed (no stride padding)
    const cw = (width + 1) >> 1;
    const ch = (height + 1) >> 1;
    const bytes = new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
    if (bytes.byteLength < width * height + 2 * cw * ch) return null;
    const ySize = width * height;
    const cSize = cw * ch;
    const out = new VideoFrame(width, height, 'yuv420p', [
      new VideoPlane(bytes.subarray(0, ySize), width, width, height),
      new VideoPlane(bytes.subarray(ySize, ySize + cSize), cw, cw, ch),
      new VideoPlane(bytes.subarray(ySize + cSize, ySize + 2 * cSize), cw, cw, ch),
    ]);
    out.pts = pts;
    out.timeBase = VIDEO_TIME_BASE;
    return out;
  }

  private open(av: NodeAv): void {
    const { lib } = av;
    const name = PROFILES[this.codec].decoder as Parameters<typeof lib.Codec.findDecoderByName>[0];
    const codec = lib.Codec.findDecoderByName(name);
    if (!codec) throw new Error(`FFmpeg decoder ${name} is not available in this node-av build`);
    const ctx = new lib.CodecContext();
    ctx.allocContext3(codec);
    ctx.threadCount = 1;
    const ret = ctx.open2Sync(codec, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new Error(`could not open the ${name} decoder (FFmpeg error ${ret})`);
    }
    this.ctx = ctx;
    this.packet = new lib.Packet();
    this.packet.alloc();
    this.frame = new lib.Frame();
    this.frame.alloc();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.queue.then(() => {
      this.frame?.free();
      this.packet?.free();
      this.ctx?.freeContext();
      this.ctx = null;
    });
  }
}
