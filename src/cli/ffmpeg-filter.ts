/**
 * A video filter graph of FFmpeg's libavfilter (through node-av, loaded lazily): yuv420p frames in, yuv420p
 * frames out, timestamps kept. The graph is described as on FFmpeg's command line (`edgedetect`,
 * `rotate=a=PI/4*t`, …) by a function of the picture size, and rebuilt when the size changes. Filtering runs on
 * libuv's worker pool (node-av's async calls), one frame at a time, so the event loop stays free.
 */
import type { AVPixelFormat } from 'node-av/constants';
import type { FilterContext, FilterGraph, Frame } from 'node-av/lib';
import { loadNodeAv, type NodeAv } from '../media/codecs/node-av.js';
import { VIDEO_TIME_BASE } from '../media/constants.js';
import { rescale } from '../media/time-base.js';
import { VideoFrame, VideoPlane } from '../media/video-frame.js';

/** The graph between `[in]` and `[out]` for a picture of this size, e.g. `[in]hflip[out]`. */
export type GraphDescription = (width: number, height: number) => string;

interface BuiltGraph {
  graph: FilterGraph;
  source: FilterContext;
  sink: FilterContext;
  width: number;
  height: number;
}

const AVERROR_EAGAIN = -11;

export class FfmpegVideoFilter {
  private built: BuiltGraph | null = null;
  private output: Frame | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly av: NodeAv,
    private readonly describe: GraphDescription,
  ) {}

  /** Loads node-av (CodecUnavailableError without it) and checks the graph builds for a 64×48 picture. */
  static async open(describe: GraphDescription): Promise<FfmpegVideoFilter> {
    const av = await loadNodeAv('video filter');
    const filter = new FfmpegVideoFilter(av, describe);
    filter.build(64, 48);
    return filter;
  }

  /** The filtered frames for one input frame (one for every graph used here), with the input's timing. */
  filter(frame: VideoFrame): Promise<VideoFrame[]> {
    const run = this.queue.then(() => this.filterNow(frame));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.queue.then(() => this.release());
  }

  private async filterNow(frame: VideoFrame): Promise<VideoFrame[]> {
    if (this.closed) return [];
    const { lib, constants: C } = this.av;
    const yuv = frame.format === 'yuv420p' ? frame : frame.reformat({ format: 'yuv420p' });
    if (!this.built || this.built.width !== yuv.width || this.built.height !== yuv.height)
      this.build(yuv.width, yuv.height);
    const built = this.built!;
    const pts =
      frame.pts === null ? 0 : rescale(frame.pts, frame.timeBase ?? VIDEO_TIME_BASE, VIDEO_TIME_BASE);
    const input = lib.Frame.fromVideoBuffer(Buffer.from(yuv.toBytes()), {
      width: yuv.width,
      height: yuv.height,
      format: C.AV_PIX_FMT_YUV420P,
      timeBase: new lib.Rational(1, 90000),
      pts: BigInt(pts),
    });
    try {
      const ret = await built.source.buffersrcAddFrame(input);
      if (ret < 0) throw new Error(`the filter graph refused a frame (FFmpeg error ${ret})`);
    } finally {
      input.free();
    }
    const out: VideoFrame[] = [];
    const picture = this.output!;
    for (;;) {
      const ret = await built.sink.buffersinkGetFrame(picture);
      if (ret === AVERROR_EAGAIN || ret < 0) break;
      const copy = this.copyOut(picture);
      picture.unref();
      if (copy) {
        copy.pts = frame.pts;
        copy.timeBase = frame.timeBase;
        out.push(copy);
      }
    }
    return out;
  }

  /** The sink's picture as a tsrtc frame (one native copy; planes are views into it). */
  private copyOut(picture: Frame): VideoFrame | null {
    const { width, height } = picture;
    if (picture.format !== this.av.constants.AV_PIX_FMT_YUV420P || width < 1 || height < 1) return null;
    const packed = picture.toBuffer();
    const bytes = new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
    const cw = (width + 1) >> 1;
    const ch = (height + 1) >> 1;
    const ySize = width * height;
    const cSize = cw * ch;
    if (bytes.byteLength < ySize + 2 * cSize) return null;
    return new VideoFrame(width, height, 'yuv420p', [
      new VideoPlane(bytes.subarray(0, ySize), width, width, height),
      new VideoPlane(bytes.subarray(ySize, ySize + cSize), cw, cw, ch),
      new VideoPlane(bytes.subarray(ySize + cSize, ySize + 2 * cSize), cw, cw, ch),
    ]);
  }

  private build(width: number, height: number): void {
    const { lib, constants: C } = this.av;
    this.release();
    const graph = new lib.FilterGraph();
    graph.alloc();
    const bufferFilter = lib.Filter.getByName('buffer');
    const sinkFilter = lib.Filter.getByName('buffersink');
    if (!bufferFilter || !sinkFilter) throw new Error('FFmpeg has no buffer/buffersink filters');
    const format: AVPixelFormat = C.AV_PIX_FMT_YUV420P;
    const source = graph.createFilter(
      bufferFilter,
      'in',
      `video_size=${width}x${height}:pix_fmt=${format}:time_base=1/90000:pixel_aspect=1/1`,
    );
    const sink = graph.createFilter(sinkFilter, 'out', null);
    if (!source || !sink) {
      graph.free();
      throw new Error('could not create the filter graph ends');
    }
    const description = this.describe(width, height);
    // avfilter_graph_parse_ptr's view: the source is an open output feeding [in], the sink an open input
    // taking [out].
    const outputs = lib.FilterInOut.createList([{ name: 'in', filterCtx: source, padIdx: 0 }]);
    const inputs = lib.FilterInOut.createList([{ name: 'out', filterCtx: sink, padIdx: 0 }]);
    let ret = graph.parsePtr(description, inputs, outputs);
    if (ret >= 0) ret = graph.configSync();
    if (ret < 0) {
      graph.free();
      throw new Error(`FFmpeg refused the filter graph '${description}' (error ${ret})`);
    }
    if (!this.output) {
      this.output = new lib.Frame();
      this.output.alloc();
    }
    this.built = { graph, source, sink, width, height };
  }

  private release(): void {
    this.built?.graph.free();
    this.built = null;
    if (this.closed) {
      this.output?.free();
      this.output = null;
    }
  }
}
