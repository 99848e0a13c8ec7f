/**
 * One open input (file, URL, device or lavfi graph) read packet by packet through FFmpeg's libavformat. Every
 * failure becomes a MediaFileError naming the input and FFmpeg's reason. Reads run on libuv's worker pool, so
 * a slow network source never blocks the event loop; close() waits for a read in flight before freeing.
 */
import { resolve } from 'node:path';
import type { FormatContext, Packet, Stream } from 'node-av/lib';
import { Fraction } from '../../media/time-base.js';
import { MediaFileError } from './errors.js';
import { codecIdName, ffmpegReason, type NodeAv } from './ffmpeg.js';

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

const isUrl = (s: string): boolean => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s) && !/^[a-zA-Z]:[\\/]/.test(s);

export class Demuxer {
  private reading: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly av: NodeAv,
    private readonly ctx: FormatContext,
    readonly file: string,
    readonly streams: InputStream[],
    /** A device or live stream: it paces itself and cannot be rewound. */
    readonly live: boolean,
  ) {}

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
    return new Demuxer(av, ctx, file, streams, live);
  }

  /** The first stream of a kind (aiortc plays the first audio and the first video stream). */
  first(kind: 'audio' | 'video'): InputStream | null {
    return this.streams.find((s) => s.kind === kind) ?? null;
  }

  /** The next packet (the caller owns it and must free it), or null at the end. Throws MediaFileError. */
  read(): Promise<Packet | null> {
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
      await this.ctx.closeInput();
    });
    this.reading = run.catch(() => undefined);
    return run;
  }

  private async readNow(): Promise<Packet | null> {
    if (this.closed) return null;
    const { lib, constants: C } = this.av;
    const packet = new lib.Packet();
    packet.alloc();
    for (let again = 0; ; again++) {
      const ret = await this.ctx.readFrame(packet);
      if (ret >= 0) return packet;
      if (ret === C.AVERROR_EAGAIN && again < 1000) {
        await new Promise((r) => setTimeout(r, 5)); // a device with nothing ready yet
        continue;
      }
      packet.free();
      if (ret === C.AVERROR_EOF) return null;
      throw new MediaFileError(this.file, `read failed: ${ffmpegReason(this.av, ret)}`);
    }
  }
}
