/**
 * Pixel format conversion and scaling for VideoFrame. RGB↔YUV uses BT.601 limited range (16–235 luma,
 * 16–240 chroma) with 2×2 chroma averaging: the same defaults as FFmpeg's swscale, so frames converted here and
 * by FFmpeg agree to within rounding.
 *
 * These TypeScript paths are the fallback and the reference: when node-av is loaded and native conversion is
 * switched on (native-convert.ts), `reformatFrame` hands the work to FFmpeg's swscale instead.
 */
import { type PixelFormat, VideoFrame, VideoPlane } from './video-frame.js';

/** A faster converter plugged in at run time (swscale through node-av); null when it cannot take the frame. */
export interface PixelConversionBackend {
  readonly name: string;
  convert(frame: VideoFrame, format: PixelFormat, width: number, height: number): VideoFrame | null;
}

let backend: PixelConversionBackend | null = null;

/** Install (or with null, remove) the native converter; the TypeScript paths stay the fallback. */
export function setPixelConversionBackend(next: PixelConversionBackend | null): void {
  backend = next;
}

export function pixelConversionBackend(): PixelConversionBackend | null {
  return backend;
}

/** `frame` in `format` at width×height: the native backend when installed, else the TypeScript paths. */
export function reformatFrame(
  frame: VideoFrame,
  format: PixelFormat,
  width: number,
  height: number,
): VideoFrame {
  const same = width === frame.width && height === frame.height;
  if (!(same && format === frame.format) && backend) {
    const out = backend.convert(frame, format, width, height);
    if (out) return out;
  }
  if (same) return convertPixels(frame, format);
  return convertPixels(scaleFrame(convertPixels(frame, 'yuv420p'), width, height), format);
}

type RgbFormat = 'rgb24' | 'bgr24' | 'rgba';
const RGB_LAYOUT: Record<RgbFormat, { r: number; g: number; b: number; bpp: number }> = {
  rgb24: { r: 0, g: 1, b: 2, bpp: 3 },
  bgr24: { r: 2, g: 1, b: 0, bpp: 3 },
  rgba: { r: 0, g: 1, b: 2, bpp: 4 },
};

function isRgb(f: PixelFormat): f is RgbFormat {
  return f === 'rgb24' || f === 'bgr24' || f === 'rgba';
}

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Planes Y, U, V of a yuv420p, nv12 or gray frame as tight arrays. */
function toYuv420pPlanes(frame: VideoFrame): [Uint8Array, Uint8Array, Uint8Array] {
  const { width: w, height: h } = frame;
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const y = new Uint8Array(w * h);
  const yp = frame.planes[0]!;
  for (let r = 0; r < h; r++) y.set(yp.data.subarray(r * yp.lineSize, r * yp.lineSize + w), r * w);
  const u = new Uint8Array(cw * ch);
  const v = new Uint8Array(cw * ch);
  if (frame.format === 'gray') {
    u.fill(128);
    v.fill(128);
  } else if (frame.format === 'nv12') {
    const uv = frame.planes[1]!;
    for (let r = 0; r < ch; r++) {
      for (let c = 0; c < cw; c++) {
        u[r * cw + c] = uv.data[r * uv.lineSize + 2 * c]!;
        v[r * cw + c] = uv.data[r * uv.lineSize + 2 * c + 1]!;
      }
    }
  } else {
    const up = frame.planes[1]!;
    const vp = frame.planes[2]!;
    for (let r = 0; r < ch; r++) {
      u.set(up.data.subarray(r * up.lineSize, r * up.lineSize + cw), r * cw);
      v.set(vp.data.subarray(r * vp.lineSize, r * vp.lineSize + cw), r * cw);
    }
  }
  return [y, u, v];
}

function fromYuv420pPlanes(
  y: Uint8Array,
  u: Uint8Array,
  v: Uint8Array,
  w: number,
  h: number,
  format: 'yuv420p' | 'nv12' | 'gray',
): VideoFrame {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  if (format === 'gray') return new VideoFrame(w, h, 'gray', [new VideoPlane(y, w, w, h)]);
  if (format === 'yuv420p') {
    return new VideoFrame(w, h, 'yuv420p', [
      new VideoPlane(y, w, w, h),
      new VideoPlane(u, cw, cw, ch),
      new VideoPlane(v, cw, cw, ch),
    ]);
  }
  const uv = new Uint8Array(cw * ch * 2);
  for (let i = 0; i < cw * ch; i++) {
    uv[2 * i] = u[i]!;
    uv[2 * i + 1] = v[i]!;
  }
  return new VideoFrame(w, h, 'nv12', [new VideoPlane(y, w, w, h), new VideoPlane(uv, cw * 2, cw, ch)]);
}

function rgbToYuv(frame: VideoFrame): [Uint8Array, Uint8Array, Uint8Array] {
  const { width: w, height: h } = frame;
  const L = RGB_LAYOUT[frame.format as RgbFormat];
  const p = frame.planes[0]!;
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const y = new Uint8Array(w * h);
  const u = new Uint8Array(cw * ch);
  const v = new Uint8Array(cw * ch);
  const uSum = new Float64Array(cw * ch);
  const vSum = new Float64Array(cw * ch);
  const count = new Uint8Array(cw * ch);
  for (let row = 0; row < h; row++) {
    const base = row * p.lineSize;
    for (let col = 0; col < w; col++) {
      const o = base + col * L.bpp;
      const r = p.data[o + L.r]!;
      const g = p.data[o + L.g]!;
      const b = p.data[o + L.b]!;
      y[row * w + col] = clamp8(16 + 0.256788 * r + 0.504129 * g + 0.097906 * b);
      const ci = (row >> 1) * cw + (col >> 1);
      uSum[ci]! += 128 - 0.148223 * r - 0.290993 * g + 0.439216 * b;
      vSum[ci]! += 128 + 0.439216 * r - 0.367788 * g - 0.071427 * b;
      count[ci]!++;
    }
  }
  for (let i = 0; i < cw * ch; i++) {
    u[i] = clamp8(uSum[i]! / count[i]!);
    v[i] = clamp8(vSum[i]! / count[i]!);
  }
  return [y, u, v];
}

function yuvToRgb(
  y: Uint8Array,
  u: Uint8Array,
  v: Uint8Array,
  w: number,
  h: number,
  format: RgbFormat,
): VideoFrame {
  const L = RGB_LAYOUT[format];
  const cw = (w + 1) >> 1;
  const out = new Uint8Array(w * h * L.bpp);
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const Y = 1.164384 * (y[row * w + col]! - 16);
      const ci = (row >> 1) * cw + (col >> 1);
      const U = u[ci]! - 128;
      const V = v[ci]! - 128;
      const o = (row * w + col) * L.bpp;
      out[o + L.r] = clamp8(Y + 1.596027 * V);
      out[o + L.g] = clamp8(Y - 0.391762 * U - 0.812968 * V);
      out[o + L.b] = clamp8(Y + 2.017232 * U);
      if (L.bpp === 4) out[o + 3] = 255;
    }
  }
  return new VideoFrame(w, h, format, [new VideoPlane(out, w * L.bpp, w, h)]);
}

function shuffleRgb(frame: VideoFrame, format: RgbFormat): VideoFrame {
  const S = RGB_LAYOUT[frame.format as RgbFormat];
  const D = RGB_LAYOUT[format];
  const { width: w, height: h } = frame;
  const p = frame.planes[0]!;
  const out = new Uint8Array(w * h * D.bpp);
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const s = row * p.lineSize + col * S.bpp;
      const d = (row * w + col) * D.bpp;
      out[d + D.r] = p.data[s + S.r]!;
      out[d + D.g] = p.data[s + S.g]!;
      out[d + D.b] = p.data[s + S.b]!;
      if (D.bpp === 4) out[d + 3] = S.bpp === 4 ? p.data[s + 3]! : 255;
    }
  }
  return new VideoFrame(w, h, format, [new VideoPlane(out, w * D.bpp, w, h)]);
}

/** The frame in `format` (a copy, even when the format is unchanged). */
export function convertPixels(frame: VideoFrame, format: PixelFormat): VideoFrame {
  const { width: w, height: h } = frame;
  if (frame.format === format) return VideoFrame.fromBytes(frame.toBytes(), w, h, format);
  if (isRgb(frame.format) && isRgb(format)) return shuffleRgb(frame, format);
  const [y, u, v] = isRgb(frame.format) ? rgbToYuv(frame) : toYuv420pPlanes(frame);
  if (isRgb(format)) return yuvToRgb(y, u, v, w, h, format);
  return fromYuv420pPlanes(y, u, v, w, h, format);
}

function scalePlane(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  const out = new Uint8Array(dw * dh);
  const xRatio = sw / dw;
  const yRatio = sh / dh;
  for (let y = 0; y < dh; y++) {
    const fy = Math.max(0, (y + 0.5) * yRatio - 0.5);
    const y0 = Math.min(sh - 1, Math.floor(fy));
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.max(0, (x + 0.5) * xRatio - 0.5);
      const x0 = Math.min(sw - 1, Math.floor(fx));
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = fx - x0;
      const top = src[y0 * sw + x0]! * (1 - wx) + src[y0 * sw + x1]! * wx;
      const bottom = src[y1 * sw + x0]! * (1 - wx) + src[y1 * sw + x1]! * wx;
      out[y * dw + x] = Math.round(top * (1 - wy) + bottom * wy);
    }
  }
  return out;
}

/** Bilinear resize of a yuv420p frame. */
export function scaleFrame(frame: VideoFrame, width: number, height: number): VideoFrame {
  const [y, u, v] = toYuv420pPlanes(frame);
  const sw = frame.width;
  const sh = frame.height;
  const scw = (sw + 1) >> 1;
  const sch = (sh + 1) >> 1;
  const dcw = (width + 1) >> 1;
  const dch = (height + 1) >> 1;
  return fromYuv420pPlanes(
    scalePlane(y, sw, sh, width, height),
    scalePlane(u, scw, sch, dcw, dch),
    scalePlane(v, scw, sch, dcw, dch),
    width,
    height,
    'yuv420p',
  );
}
