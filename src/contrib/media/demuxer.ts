/**
 * One open input (file, URL, device or lavfi graph) read packet by packet through FFmpeg's libavformat. Every
 * failure becomes a MediaFileError naming the input and FFmpeg's reason. Reads of URLs and devices run on
 * libuv's worker pool, so a slow source never blocks the event loop; a regular local file is read synchronously
 * (a worker-pool hop costs more than the read). close() waits for a read in flight before freeing.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FormatContext, Packet, Stream } from 'node-av/lib';
import { Fraction } from '../../media/time-base.js';
import { MediaFileError } from './errors.js';
import { codecIdName, ffmpegReason, type NodeAv } from './ffmpeg.js';
import type { MediaPacket } from './media-packet.js';

export interface InputOptions {
  /** FFmpeg input format: 'v4l2', 'alsa', 'lavfi', 'rtsp', … (default: probed from the input). */
  format?: string;
  /** Demuxer and protocol options, as on FFmpeg's command line without the dash (video_size, framerate, …). */
  options?: Record<string, string>;
  /** Seconds a network read may stall before it fails (FFmpeg's rw_timeout). */
  timeout?: number;
}

export interface InputStream {
  index: number;
  kind: 'audio' | 'video';
  /** FFmpeg's codec name ("h264", "aac"), for messages. */
  codecName: string;
  timeBase: Fraction;
  stream: Stream;
}

/** Sources that deliver in real time by themselves (aiortc's REAL_TIME_FORMATS): they are never throttled. */
const LIVE_FORMATS = new Set([
  'alsa',
  'android_camera',
  'avfoundation',
  'bktr',
  'decklink',
  'dshow',
  'fbdev',
  'gdigrab',
  'iec61883',
  'jack',
  'kmsgrab',
  'openal',
  'oss',
  'pulse',
  'sndio',
  'rtsp',
  'v4l2',
  'video4linux2',
  'vfwcap',
  'x11grab',
]);

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const isUrl = (s: string): boolean => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s) && !/^[a-zA-Z]:[\\/]/.test(s);

export class Demuxer {
  private reading: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** One native packet, reused for every read. */
  private readonly packet: Packet;
  /** Streams whose packets are wrapped AVFrames (lavfi), passed on as native references: index → bytes each. */
  private readonly wrapped: ReadonlyMap<number, number>;

  private constructor(
    private readonly av: NodeAv,
    private readonly ctx: FormatContext,
    readonly file: string,
    readonly streams: InputStream[],
    /** A device or live stream: it paces itself and cannot be rewound. */
    readonly live: boolean,
    /** A regular local file: read synchronously. */
    private readonly localFile: boolean,
  ) {
    this.packet = new av.lib.Packet();
    this.packet.alloc();
    const wrappedId = av.constants.AV_CODEC_ID_WRAPPED_AVFRAME;
    // What one wrapped frame holds, for the queue bounds: a 4-byte-per-pixel picture, or 4096 float samples.
    this.wrapped = new Map(
      streams
        .filter((s) => s.stream.codecpar.codecId === wrappedId)
        .map((s) => {
          const par = s.stream.codecpar;
          const bytes =
            s.kind === 'video' ? par.width * par.height * 4 : 4096 * Math.max(1, par.channels) * 8;
          return [s.index, bytes];
        }),
    );
  }

  static async open(av: NodeAv, file: string, options: InputOptions = {}): Promise<Demuxer> {
    const { lib } = av;
    let inputFormat = null;
    if (options.format) {
      inputFormat = lib.InputFormat.findInputFormat(options.format);
      if (!inputFormat) throw new MediaFileError(file, `FFmpeg has no input format '${options.format}'`);
    }
    const settings: Record<string, string> = { ...options.options };
    if (options.timeout !== undefined) settings.rw_timeout ??= String(Math.round(options.timeout * 1e6));
    const dict = Object.keys(settings).length ? lib.Dictionary.fromObject(settings) : null;
    const ctx = new lib.FormatContext();
    // Devices, lavfi graphs and URLs are passed as given; plain paths are made absolute for the messages.
    const target = inputFormat || isUrl(file) ? file : resolve(file);
    try {
      const opened = await ctx.openInput(target, inputFormat, dict);
      if (opened < 0) throw new MediaFileError(file, `cannot open: ${ffmpegReason(av, opened)}`);
      const info = await ctx.findStreamInfo(null);
      if (info < 0) {
        await ctx.closeInput();
        throw new MediaFileError(file, `cannot read the stream layout: ${ffmpegReason(av, info)}`);
      }
    } finally {
      dict?.free();
    }
    const streams: InputStream[] = [];
    for (const stream of ctx.streams) {
      const type = stream.codecpar.codecType;
      const kind =
        type === av.constants.AVMEDIA_TYPE_AUDIO
          ? 'audio'
          : type === av.constants.AVMEDIA_TYPE_VIDEO
            ? 'video'
            : null;
      if (!kind) continue;
      const tb = stream.timeBase;
      streams.push({
        index: stream.index,
        kind,
        codecName: codecIdName(av, stream.codecpar.codecId),
        timeBase: tb.num > 0 && tb.den > 0 ? new Fraction(tb.num, tb.den) : new Fraction(1, 90000),
        stream,
      });
    }
    if (streams.length === 0) {
      await ctx.closeInput();
      throw new MediaFileError(file, 'holds no audio or video stream');
    }
    const formatName = ctx.iformat?.name ?? '';
    const live = formatName.split(',').some((n) => LIVE_FORMATS.has(n));
    const localFile = !inputFormat && !isUrl(file) && isRegularFile(target);
    return new Demuxer(av, ctx, file, streams, live, localFile);
  }

  /** The first stream of a kind (aiortc plays the first audio and the first video stream). */
  first(kind: 'audio' | 'video'): InputStream | null {
    return this.streams.find((s) => s.kind === kind) ?? null;
  }

  /** The next packet, or null at the end. Throws MediaFileError. */
  read(): Promise<MediaPacket | null> {
    const run = this.reading.then(() => this.readNow());
    this.reading = run.catch(() => undefined);
    return run;
  }

  /** Back to the start, for looping; false when the input cannot seek. */
  rewind(): Promise<boolean> {
    const run = this.reading.then(async () => {
      if (this.closed || this.live) return false;
      const C = this.av.constants;
      return (await this.ctx.seekFrame(-1, 0n, C.AVSEEK_FLAG_BACKWARD)) >= 0;
    });
    this.reading = run.catch(() => undefined);
    return run;
  }

  /** Free the input once any read in flight has finished. Idempotent. */
  close(): Promise<void> {
    const run = this.reading.then(async () => {
      if (this.closed) return;
      this.closed = true;
      this.packet.free();
      await this.ctx.closeInput();
    });
    this.reading = run.catch(() => undefined);
    return run;
  }

  private async readNow(): Promise<MediaPacket | null> {
    if (this.closed) return null;
    const C = this.av.constants;
    const packet = this.packet;
    for (let again = 0; ; again++) {
      // A local file reads from the page cache in microseconds: a worker-pool hop would cost more.
      const ret = this.localFile ? this.ctx.readFrameSync(packet) : await this.ctx.readFrame(packet);
      if (ret >= 0) {
        if (this.wrapped.has(packet.streamIndex)) return this.wrappedPacket(packet);
        // node-av's `data` is a copy: the payload is ours, the native packet is reused.
        const data = packet.data;
        const out: MediaPacket = {
          streamIndex: packet.streamIndex,
          data: data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(0),
          pts: packet.pts,
          dts: packet.dts,
          duration: packet.duration,
          keyframe: packet.isKeyframe,
          size: data?.byteLength ?? 0,
        };
        packet.unref();
        return out;
      }
      if (ret === C.AVERROR_EAGAIN && again < 1000) {
        await new Promise((r) => setTimeout(r, 5)); // a device with nothing ready yet
        continue;
      }
      if (ret === C.AVERROR_EOF) return null;
      throw new MediaFileError(this.file, `read failed: ${ffmpegReason(this.av, ret)}`);
    }
  }

  /** A wrapped AVFrame travels as a native reference (cloned: same buffers, no copy). */
  private wrappedPacket(packet: Packet): MediaPacket {
    const index = packet.streamIndex;
    const native = packet.clone();
    packet.unref();
    return {
      streamIndex: index,
      data: new Uint8Array(0),
      pts: native?.pts ?? this.av.constants.AV_NOPTS_VALUE,
      dts: native?.dts ?? this.av.constants.AV_NOPTS_VALUE,
      duration: native?.duration ?? 0n,
      keyframe: true,
      size: this.wrapped.get(index) ?? 0,
      ...(native ? { native } : {}),
    };
  }
}
