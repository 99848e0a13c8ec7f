/**
 * The video transforms of aiortc's server example (edges, rotate, cartoon) and tsrtc's mirror, twice: as
 * FFmpeg filter graphs (ffmpeg-filter.ts, when node-av is there) and in plain TypeScript on yuv420p frames (the
 * fallback, and what the tests compare against). Also the small magenta mark the demo puts in the top-left
 * corner so that a person or a test can see the picture went through tsrtc.
 */
import { VideoFrame } from '../media/video-frame.js';
import type { GraphDescription } from './ffmpeg-filter.js';

export const VIDEO_TRANSFORMS = ['edges', 'rotate', 'cartoon', 'mirror', 'none'] as const;
export type VideoTransform = (typeof VIDEO_TRANSFORMS)[number];

export function isVideoTransform(value: unknown): value is VideoTransform {
  return (VIDEO_TRANSFORMS as readonly unknown[]).includes(value);
}

/**
 * The FFmpeg graphs. edges: Canny (white on black, as OpenCV's); rotate: 45° a second counter-clockwise, as
 * aiortc (`frame.time * 45`); cartoon: colours smoothed edge-preservingly at a quarter of the size (bilateral),
 * multiplied by dark outlines where the median-filtered luma's Sobel gradient is strong (Canny would lose a
 * perfectly straight step: its non-maximum suppression removes both equal sides); mirror: left and right swapped.
 */
export const FFMPEG_GRAPHS: Record<Exclude<VideoTransform, 'none'>, GraphDescription> = {
  edges: () => '[in]edgedetect=low=0.1:high=0.3,format=yuv420p[out]',
  rotate: () => '[in]rotate=a=-PI/4*t:c=black,format=yuv420p[out]',
  cartoon: (w, h) =>
    `[in]split[c][e];` +
    `[c]scale=${Math.max(2, w >> 2)}:${Math.max(2, h >> 2)}:flags=area,` +
    `bilateral=sigmaS=4:sigmaR=0.15,bilateral=sigmaS=4:sigmaR=0.15,scale=${w}:${h},format=gbrp[cc];` +
    `[e]format=gray,median=radius=2,sobel,lut=c0=if(gt(val\\,40)\\,0\\,255),format=gbrp[ee];` +
    `[cc][ee]blend=all_mode=multiply,format=yuv420p[out]`,
  mirror: () => '[in]hflip,format=yuv420p[out]',
};

/** BT.601 limited-range black. */
const BLACK = { y: 16, c: 128 };

export function copyFrame(frame: VideoFrame): VideoFrame {
  return VideoFrame.fromBytes(frame.toBytes(), frame.width, frame.height, 'yuv420p');
}

/** Sobel magnitude (|gx| + |gy|) of the luma at (x, y), for 1 ≤ x < w-1, 1 ≤ y < h-1. */
function sobel(s: Uint8Array, ls: number, x: number, y: number): number {
  const i = y * ls + x;
  const gx =
    s[i - ls + 1]! + 2 * s[i + 1]! + s[i + ls + 1]! - s[i - ls - 1]! - 2 * s[i - 1]! - s[i + ls - 1]!;
  const gy =
    s[i + ls - 1]! + 2 * s[i + ls]! + s[i + ls + 1]! - s[i - ls - 1]! - 2 * s[i - ls]! - s[i - ls + 1]!;
  return Math.abs(gx) + Math.abs(gy);
}

/** Sobel edges of the luma, drawn white on black; chroma neutral (a pencil drawing of the picture). */
export function edges(frame: VideoFrame): VideoFrame {
  const { width: w, height: h } = frame;
  const out = new VideoFrame(w, h, 'yuv420p');
  const src = frame.planes[0]!;
  const dst = out.planes[0]!;
  dst.data.fill(BLACK.y);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const m = sobel(src.data, src.lineSize, x, y);
      dst.data[y * dst.lineSize + x] = m > 255 ? 235 : 16 + ((m * 219) >> 8);
    }
  }
  out.planes[1]!.data.fill(BLACK.c);
  out.planes[2]!.data.fill(BLACK.c);
  return out;
}

/** Left and right swapped, as a mirror shows you. */
export function mirror(frame: VideoFrame): VideoFrame {
  const out = new VideoFrame(frame.width, frame.height, 'yuv420p');
  frame.planes.forEach((plane, p) => {
    const o = out.planes[p]!;
    for (let y = 0; y < plane.height; y++) {
      for (let x = 0; x < plane.width; x++) {
        o.data[y * o.lineSize + x] = plane.data[y * plane.lineSize + (plane.width - 1 - x)]!;
      }
    }
  });
  return out;
}

/** Turned `degrees` counter-clockwise about the centre (nearest pixel); corners that come in are black. */
export function rotate(frame: VideoFrame, degrees: number): VideoFrame {
  const out = new VideoFrame(frame.width, frame.height, 'yuv420p');
  const a = (degrees * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  frame.planes.forEach((plane, p) => {
    const o = out.planes[p]!;
    const cx = (plane.width - 1) / 2;
    const cy = (plane.height - 1) / 2;
    const fill = p === 0 ? BLACK.y : BLACK.c;
    for (let y = 0; y < plane.height; y++) {
      const dy = y - cy;
      for (let x = 0; x < plane.width; x++) {
        const dx = x - cx;
        // The source of an output pixel: the inverse rotation (screen y grows downwards).
        const sx = Math.round(cx + dx * cos - dy * sin);
        const sy = Math.round(cy + dx * sin + dy * cos);
        o.data[y * o.lineSize + x] =
          sx >= 0 && sy >= 0 && sx < plane.width && sy < plane.height
            ? plane.data[sy * plane.lineSize + sx]!
            : fill;
      }
    }
  });
  return out;
}

/** Flat colour areas with dark outlines: a 3×3-smoothed luma in six levels, black where Sobel is strong. */
export function cartoon(frame: VideoFrame): VideoFrame {
  const { width: w, height: h } = frame;
  const out = copyFrame(frame);
  const src = frame.planes[0]!;
  const s = src.data;
  const ls = src.lineSize;
  const dst = out.planes[0]!;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * ls + x;
      let at: number;
      if (sobel(s, ls, x, y) > 160) at = BLACK.y;
      else {
        let sum = 0;
        for (let dy = -ls; dy <= ls; dy += ls) sum += s[i + dy - 1]! + s[i + dy]! + s[i + dy + 1]!;
        const mean = sum / 9;
        const level = Math.round(((Math.min(235, Math.max(16, mean)) - 16) / 219) * 5);
        at = 16 + Math.round((level * 219) / 5);
      }
      dst.data[y * dst.lineSize + x] = at;
    }
  }
  return out;
}

/** The TypeScript transform; `seconds` is the frame's time (rotate turns with it). */
export function transformInTypeScript(
  frame: VideoFrame,
  transform: VideoTransform,
  seconds: number,
): VideoFrame {
  switch (transform) {
    case 'edges':
      return edges(frame);
    case 'mirror':
      return mirror(frame);
    case 'rotate':
      return rotate(frame, seconds * 45);
    case 'cartoon':
      return cartoon(frame);
    case 'none':
      return copyFrame(frame);
  }
}

/** Magenta in BT.601 limited range: the mark a test (or a person) finds in the top-left corner. */
export const MARK = { y: 105, u: 212, v: 235 };
const MARK_SIZE = 32;

/** Paints the mark into the frame (which must be one of our own: its planes are written). */
export function mark(frame: VideoFrame): void {
  const size = Math.min(MARK_SIZE, frame.width, frame.height) & ~1;
  const [yp, up, vp] = frame.planes;
  for (let y = 0; y < size; y++) yp!.data.fill(MARK.y, y * yp!.lineSize, y * yp!.lineSize + size);
  for (let y = 0; y < size / 2; y++) {
    up!.data.fill(MARK.u, y * up!.lineSize, y * up!.lineSize + size / 2);
    vp!.data.fill(MARK.v, y * vp!.lineSize, y * vp!.lineSize + size / 2);
  }
}
