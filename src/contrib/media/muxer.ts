/**
 * One output container written through FFmpeg's libavformat. Packets arrive per stream in the stream's input
 * time base; each stream holds back one packet so that its duration can be set from the next one (containers
 * then report the right length). Writes are synchronous: avio buffers them into 32 KiB writes to the page cache,
 * cheaper than a worker-pool hop per packet (a network URL as output could block the event loop on a stalled
 * peer). Every failure becomes a MediaFileError naming the file.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import type { CodecContext, FormatContext, IOContext, Packet, Stream } from 'node-av/lib';
import type { Fraction } from '../../media/time-base.js';
import type { ContainerPlan } from './container.js';
import { MediaFileError } from './errors.js';
import { ffmpegReason, type NodeAv } from './ffmpeg.js';
import type { MediaPacket } from './media-packet.js';

export interface StreamSpec {
  kind: 'audio' | 'video';
  /** Time base of the packets given to write(). */
  timeBase: Fraction;
  /** Parameters from an open encoder… */
  encoder?: CodecContext;
  /** …or for remuxed packets: codec and what the container needs to know. */
  codecId?: number;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: 1 | 2;
  extradata?: Uint8Array;
}

interface OutStream {
  stream: Stream;
  /** The input time base as FFmpeg's rational, for rescaling. */
  inputTimeBase: { num: number; den: number };
  held: MediaPacket | null;
  lastDuration: bigint;
  packets: number;
}

const isUrl = (s: string): boolean => /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(s);

export class Muxer {
  private readonly streams: OutStream[] = [];
  private io: IOContext | null = null;
  /** One native packet, reused for every write. */
  private readonly packet: Packet;
  private headerWritten = false;
  private isClosed = false;
  /** Media time (s) after which avio's buffer next goes to the file. */
  private flushAfter = 1;

  private constructor(
    private readonly av: NodeAv,
    private readonly ctx: FormatContext,
    readonly file: string,
    private readonly plan: ContainerPlan,
  ) {
    this.packet = new av.lib.Packet();
    this.packet.alloc();
  }

  /** Allocate the container and create the file (so an unwritable path fails at start). */
  static async open(av: NodeAv, file: string, plan: ContainerPlan): Promise<Muxer> {
    const { lib, constants: C } = av;
    const ctx = new lib.FormatContext();
    const ret = ctx.allocOutputContext2(plan.format, null, file);
    if (ret < 0)
      throw new MediaFileError(file, `cannot set up the ${plan.name} container: ${ffmpegReason(av, ret)}`);
    const muxer = new Muxer(av, ctx, file, plan);
    if (!plan.noFile) {
      const io = new lib.IOContext();
      const opened = await io.open2(file, C.AVIO_FLAG_WRITE);
      if (opened < 0) {
        ctx.freeContext();
        throw new MediaFileError(file, `cannot write: ${ffmpegReason(av, opened)}`);
      }
      muxer.io = io;
      ctx.pb = io;
    }
    return muxer;
  }

  get started(): boolean {
    return this.headerWritten;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  addStream(spec: StreamSpec): number {
    const { lib, constants: C } = this.av;
    const stream = this.ctx.newStream(null);
    const par = stream.codecpar;
    if (spec.encoder) {
      par.fromContext(spec.encoder);
    } else {
      par.codecType = spec.kind === 'video' ? C.AVMEDIA_TYPE_VIDEO : C.AVMEDIA_TYPE_AUDIO;
      par.codecId = spec.codecId as typeof par.codecId;
      if (spec.kind === 'video') {
        par.width = spec.width ?? 0;
        par.height = spec.height ?? 0;
        par.format = C.AV_PIX_FMT_YUV420P;
      } else {
        par.sampleRate = spec.sampleRate ?? 48000;
        par.channelLayout = spec.channels === 1 ? C.AV_CHANNEL_LAYOUT_MONO : C.AV_CHANNEL_LAYOUT_STEREO;
      }
      if (spec.extradata?.byteLength) par.extradata = Buffer.from(spec.extradata);
    }
    stream.timeBase = new lib.Rational(spec.timeBase.num, spec.timeBase.den);
    const inputTimeBase = { num: spec.timeBase.num, den: spec.timeBase.den };
    this.streams.push({ stream, inputTimeBase, held: null, lastDuration: 0n, packets: 0 });
    return this.streams.length - 1;
  }

  /** Write the header; `options` are the muxer's own (movflags, …). */
  async writeHeader(options: Record<string, string> = {}): Promise<void> {
    const dict = Object.keys(options).length ? this.av.lib.Dictionary.fromObject(options) : null;
    try {
      const ret = await this.ctx.writeHeader(dict);
      if (ret < 0)
        throw new MediaFileError(this.file, `cannot write the header: ${ffmpegReason(this.av, ret)}`);
    } finally {
      dict?.free();
    }
    this.headerWritten = true;
  }

  /**
   * Write a packet (its data is copied; the caller may share it). pts/dts are in the stream's input time base;
   * a missing duration is taken from the next packet's dts.
   */
  write(index: number, packet: MediaPacket): void {
    const out = this.streams[index]!;
    const held = out.held;
    out.held = packet;
    if (held) {
      if (held.duration <= 0n) {
        const gap = packet.dts - held.dts;
        held.duration = gap > 0n ? gap : out.lastDuration;
      }
      out.lastDuration = held.duration;
      this.writeNow(index, held);
    }
  }

  /** Packets written so far for a stream (held one excluded). */
  packetCount(index: number): number {
    return this.streams[index]?.packets ?? 0;
  }

  /** Flush the held packets and the muxer's queue, write the trailer, close the file. */
  async finish(): Promise<void> {
    if (this.isClosed) return;
    try {
      this.streams.forEach((out, index) => {
        const held = out.held;
        out.held = null;
        if (!held) return;
        if (held.duration <= 0n) held.duration = out.lastDuration;
        this.writeNow(index, held);
      });
      const ret = this.ctx.writeTrailerSync();
      if (ret < 0)
        throw new MediaFileError(this.file, `cannot finish the file: ${ffmpegReason(this.av, ret)}`);
    } finally {
      await this.close();
    }
  }

  /** Give up: close, and remove the file if nothing playable was written. Returns whether it was removed. */
  async abort(): Promise<boolean> {
    for (const out of this.streams) out.held = null;
    await this.close();
    if (this.plan.noFile || isUrl(this.file)) return false;
    try {
      // Only a regular file this recorder wrote: never a device (/dev/full) or anything else at that path.
      if (!lstatSync(this.file).isFile()) return false;
      unlinkSync(this.file);
      return true;
    } catch {
      return false;
    }
  }

  private writeNow(index: number, packet: MediaPacket): void {
    const out = this.streams[index]!;
    const native = this.packet;
    native.data = Buffer.from(packet.data.buffer, packet.data.byteOffset, packet.data.byteLength);
    native.pts = packet.pts;
    native.dts = packet.dts;
    native.duration = packet.duration;
    native.isKeyframe = packet.keyframe;
    native.streamIndex = out.stream.index;
    native.pos = -1n;
    native.rescaleTs(out.inputTimeBase, out.stream.timeBase);
    // The muxer takes the packet's reference and leaves it blank for the next write.
    const ret = this.ctx.interleavedWriteFrameSync(native);
    native.unref();
    if (ret < 0) throw new MediaFileError(this.file, `write failed: ${ffmpegReason(this.av, ret)}`);
    out.packets++;
    // What was recorded reaches the file about every second of media, not only per 32 KiB: a low-rate
    // recording shows progress, and a process killed mid-call loses at most a second.
    const seconds = (Number(packet.pts) * out.inputTimeBase.num) / out.inputTimeBase.den;
    if (seconds >= this.flushAfter) {
      this.flushAfter = seconds + 1;
      this.io?.flushSync();
    }
  }

  private async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const out of this.streams) out.held = null;
    this.packet.free();
    if (this.io) {
      this.io.closepSync();
      this.ctx.pb = null;
      this.io = null;
    }
    this.ctx.freeContext();
  }
}
