/**
 * The demo's media on the Node side, after aiortc's `server` example: the browser's video comes back through
 * a transform (edges, rotate, cartoon, a mirror, or as it is) with a small tsrtc mark in the corner, and a tone
 * plays back as audio. The transforms run as FFmpeg filter graphs when node-av is installed and in TypeScript
 * otherwise (frame-transforms.ts has both).
 */
import { createLogger } from '../common/logger.js';
import { AudioFrame } from '../media/audio-frame.js';
import { VIDEO_TIME_BASE } from '../media/constants.js';
import { CodecUnavailableError } from '../media/errors.js';
import { AudioStreamTrack } from '../media/stream-tracks.js';
import { type MediaFrame, type MediaKind, MediaStreamTrack } from '../media/track.js';
import { VideoFrame } from '../media/video-frame.js';
import { FfmpegVideoFilter } from './ffmpeg-filter.js';
import { FFMPEG_GRAPHS, mark, transformInTypeScript, type VideoTransform } from './frame-transforms.js';

export { isVideoTransform, VIDEO_TRANSFORMS, type VideoTransform } from './frame-transforms.js';

const log = createLogger('cli:demo');

/** Which implementation transforms frames: FFmpeg when it loads ('auto'), or one of them by force. */
export type TransformEngine = 'auto' | 'ffmpeg' | 'typescript';

let warnedNoFfmpeg = false;

/** A track that yields another video track's frames, transformed and marked. */
export class VideoTransformTrack extends MediaStreamTrack {
  private filter: Promise<FfmpegVideoFilter | null> | undefined;
  /** The implementation in use, once the first frame went through. */
  engineInUse: 'ffmpeg' | 'typescript' | undefined;

  constructor(
    private readonly source: MediaStreamTrack,
    readonly transform: VideoTransform,
    private readonly engine: TransformEngine = 'auto',
  ) {
    super();
    source.addEventListener('ended', () => this.stop());
  }

  override get kind(): MediaKind {
    return 'video';
  }

  async recv(): Promise<MediaFrame> {
    this.assertLive();
    const frame = await this.source.recv();
    if (!(frame instanceof VideoFrame)) return frame;
    const yuv = frame.format === 'yuv420p' ? frame : frame.reformat({ format: 'yuv420p' });
    const filter = await this.filterFor();
    let out: VideoFrame | undefined;
    if (filter) out = (await filter.filter(yuv))[0];
    this.engineInUse = out ? 'ffmpeg' : 'typescript';
    out ??= transformInTypeScript(yuv, this.transform, secondsOf(frame));
    mark(out);
    out.pts = frame.pts;
    out.timeBase = frame.timeBase;
    return out;
  }

  override stop(): void {
    super.stop();
    // A filter that failed to open already failed the recv() that asked for it: nothing to close, nothing to
    // report again (an unhandled rejection here crashed the process that stopped the track).
    void this.filter?.then(
      (f) => f?.close(),
      () => undefined,
    );
  }

  private filterFor(): Promise<FfmpegVideoFilter | null> {
    this.filter ??= (async () => {
      if (this.transform === 'none' || this.engine === 'typescript') return null;
      try {
        return await FfmpegVideoFilter.open(FFMPEG_GRAPHS[this.transform]);
      } catch (error) {
        if (this.engine === 'ffmpeg' || !(error instanceof CodecUnavailableError)) throw error;
        if (!warnedNoFfmpeg) log.debug(`transforms run in TypeScript: ${error.message}`);
        warnedNoFfmpeg = true;
        return null;
      }
    })();
    return this.filter;
  }
}

function secondsOf(frame: VideoFrame): number {
  if (frame.pts === null) return 0;
  return Number((frame.timeBase ?? VIDEO_TIME_BASE).mul(frame.pts));
}

/** A sine tone, 20 ms frames of 48 kHz mono, paced in real time. */
export class ToneTrack extends AudioStreamTrack {
  private sent = 0;

  constructor(readonly frequency = 440) {
    super();
  }

  override async recv(): Promise<AudioFrame> {
    const rate = 48_000;
    const n = rate / 50;
    const frame = new AudioFrame({ format: 's16', layout: 'mono', samples: n, sampleRate: rate });
    const d = frame.planes[0]!.data;
    const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (let i = 0; i < n; i++) {
      const v = Math.sin((2 * Math.PI * this.frequency * (this.sent + i)) / rate) * 8000;
      view.setInt16(i * 2, Math.round(v), true);
    }
    this.sent += n;
    const { pts, timeBase } = await this.nextTimestamp(n, rate);
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }
}
