/**
 * The demo's media on the Node side, after aiortc's `server` example: the browser's video comes back through
 * a visible transform (edges, a mirror, or as it is), with a small tsrtc mark in the corner, and a tone plays
 * back as audio. Plain TypeScript on the frames: no FFmpeg filter graph needed.
 */
import { AudioFrame } from '../media/audio-frame.js';
import { AudioStreamTrack } from '../media/stream-tracks.js';
import { type MediaFrame, type MediaKind, MediaStreamTrack } from '../media/track.js';
import { VideoFrame } from '../media/video-frame.js';

export type VideoTransform = 'edges' | 'mirror' | 'none';

/** Magenta in BT.601 limited range: the mark a test (or a person) finds in the top-left corner. */
const MARK = { y: 105, u: 212, v: 235 };
const MARK_SIZE = 32;

/** A track that yields another video track's frames, transformed. */
export class VideoTransformTrack extends MediaStreamTrack {
  constructor(
    private readonly source: MediaStreamTrack,
    readonly transform: VideoTransform,
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
    const out =
      this.transform === 'edges' ? edges(yuv) : this.transform === 'mirror' ? mirror(yuv) : copy(yuv);
    mark(out);
    out.pts = frame.pts;
    out.timeBase = frame.timeBase;
    return out;
  }
}

function copy(frame: VideoFrame): VideoFrame {
  return VideoFrame.fromBytes(frame.toBytes(), frame.width, frame.height, 'yuv420p');
}

/** Sobel edges of the luma, drawn white on black; chroma neutral (a pencil drawing of the picture). */
function edges(frame: VideoFrame): VideoFrame {
  const { width: w, height: h } = frame;
  const out = new VideoFrame(w, h, 'yuv420p');
  const src = frame.planes[0]!;
  const dst = out.planes[0]!;
  const s = src.data;
  const ls = src.lineSize;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * ls + x;
      const gx =
        s[i - ls + 1]! + 2 * s[i + 1]! + s[i + ls + 1]! - s[i - ls - 1]! - 2 * s[i - 1]! - s[i + ls - 1]!;
      const gy =
        s[i + ls - 1]! + 2 * s[i + ls]! + s[i + ls + 1]! - s[i - ls - 1]! - 2 * s[i - ls]! - s[i - ls + 1]!;
      const m = Math.abs(gx) + Math.abs(gy);
      dst.data[y * dst.lineSize + x] = m > 255 ? 235 : 16 + ((m * 219) >> 8);
    }
  }
  out.planes[1]!.data.fill(128);
  out.planes[2]!.data.fill(128);
  return out;
}

/** Left and right swapped, as a mirror shows you. */
function mirror(frame: VideoFrame): VideoFrame {
  const out = new VideoFrame(frame.width, frame.height, 'yuv420p');
  frame.planes.forEach((plane, p) => {
    const o = out.planes[p]!;
    const w = p === 0 ? frame.width : frame.width >> 1;
    const h = p === 0 ? frame.height : frame.height >> 1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) o.data[y * o.lineSize + x] = plane.data[y * plane.lineSize + (w - 1 - x)]!;
    }
  });
  return out;
}

function mark(frame: VideoFrame): void {
  const size = Math.min(MARK_SIZE, frame.width, frame.height) & ~1;
  const [yp, up, vp] = frame.planes;
  for (let y = 0; y < size; y++) yp!.data.fill(MARK.y, y * yp!.lineSize, y * yp!.lineSize + size);
  for (let y = 0; y < size / 2; y++) {
    up!.data.fill(MARK.u, y * up!.lineSize, y * up!.lineSize + size / 2);
    vp!.data.fill(MARK.v, y * vp!.lineSize, y * vp!.lineSize + size / 2);
  }
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
