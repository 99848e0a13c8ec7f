/**
 * A decoder for one demuxed stream, of any codec FFmpeg decodes (the codecs of src/media/codecs are only the
 * WebRTC ones). Decoding runs on libuv's worker pool; a corrupt packet is counted and skipped, never thrown.
 */
import type { CodecContext, Frame, Packet } from 'node-av/lib';
import { createLogger } from '../../common/logger.js';
import type { InputStream } from './demuxer.js';
import { MediaFileError } from './errors.js';
import { ffmpegReason, type NodeAv } from './ffmpeg.js';
import type { MediaPacket } from './media-packet.js';

const log = createLogger('media:player');

export class StreamDecoder {
  /** Packets the decoder refused. */
  errors = 0;
  private closed = false;

  private constructor(
    private readonly av: NodeAv,
    private readonly ctx: CodecContext,
    private readonly frame: Frame,
    private readonly packet: Packet,
    private readonly name: string,
  ) {}

  static open(av: NodeAv, file: string, input: InputStream): StreamDecoder {
    const { lib } = av;
    const par = input.stream.codecpar;
    const codec = lib.Codec.findDecoder(par.codecId);
    if (!codec)
      throw new MediaFileError(file, `FFmpeg has no decoder for ${input.kind} codec ${input.codecName}`);
    const ctx = new lib.CodecContext();
    ctx.allocContext3(codec);
    let ret = ctx.parametersToContext(par);
    if (ret >= 0) {
      ctx.pktTimebase = input.stream.timeBase;
      ctx.threadCount = 0; // FFmpeg picks by core count
      ret = ctx.open2Sync(codec, null);
    }
    if (ret < 0) {
      ctx.freeContext();
      throw new MediaFileError(file, `cannot open the ${input.codecName} decoder: ${ffmpegReason(av, ret)}`);
    }
    const frame = new lib.Frame();
    frame.alloc();
    const packet = new lib.Packet();
    packet.alloc();
    return new StreamDecoder(av, ctx, frame, packet, `${input.kind} ${input.codecName}`);
  }

  /**
   * Decode one packet (null drains the decoder at the end of the input); `onFrame` sees each decoded frame,
   * which is only valid during the call.
   */
  async decode(packet: MediaPacket | null, onFrame: (frame: Frame) => void): Promise<void> {
    if (this.closed) return;
    const C = this.av.constants;
    let native: Packet | null = null;
    if (packet?.native) native = packet.native;
    else if (packet) {
      native = this.packet;
      native.data = Buffer.from(packet.data.buffer, packet.data.byteOffset, packet.data.byteLength);
      native.pts = packet.pts;
      native.dts = packet.dts;
      native.duration = packet.duration;
      native.isKeyframe = packet.keyframe;
    }
    const sent = await this.ctx.sendPacket(native);
    if (packet?.native) packet.native.free();
    else native?.unref();
    if (sent < 0 && sent !== C.AVERROR_EAGAIN && sent !== C.AVERROR_EOF) {
      if (this.errors++ === 0)
        log.warn(`${this.name} decoder refused a packet: ${ffmpegReason(this.av, sent)}`);
      return;
    }
    for (;;) {
      const ret = this.ctx.receiveFrameSync(this.frame);
      if (ret === C.AVERROR_EAGAIN || ret === C.AVERROR_EOF) break;
      if (ret < 0) {
        this.errors++;
        break;
      }
      try {
        onFrame(this.frame);
      } finally {
        this.frame.unref();
      }
    }
  }

  /** After draining (end of a loop pass): ready for the same stream from its start. */
  reset(): void {
    if (!this.closed) this.ctx.flushBuffers();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.frame.free();
    this.packet.free();
    this.ctx.freeContext();
  }
}
