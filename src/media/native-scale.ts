/**
 * Pixel format conversion and scaling through FFmpeg's swscale (node-av): the native backend of
 * `VideoFrame.reformat`. Bilinear, BT.601 limited range (swscale's defaults, which the TypeScript reference in
 * pixel-convert.ts follows). Synchronous, like `reformat`: swscale converts a 720p frame in 1–3 ms.
 */
import type { AVPixelFormat } from 'node-av/constants';
import type { SoftwareScaleContext } from 'node-av/lib';
import type { NodeAv } from './codecs/node-av.js';
import type { PixelConversionBackend } from './pixel-convert.js';
import { type PixelFormat, PLANE_SLACK, planeShapes, VideoFrame, VideoPlane } from './video-frame.js';

/** Row alignment and tail slack of buffers handed to swscale: its SIMD paths work in whole vectors. */
const ALIGN = PLANE_SLACK;
const CACHE_SIZE = 8;

export function avPixelFormat(av: NodeAv, format: PixelFormat): AVPixelFormat {
  const C = av.constants;
  switch (format) {
    case 'yuv420p':
      return C.AV_PIX_FMT_YUV420P;
    case 'nv12':
      return C.AV_PIX_FMT_NV12;
    case 'rgb24':
      return C.AV_PIX_FMT_RGB24;
    case 'bgr24':
      return C.AV_PIX_FMT_BGR24;
    case 'rgba':
      return C.AV_PIX_FMT_RGBA;
    case 'gray':
      return C.AV_PIX_FMT_GRAY8;
  }
}

const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/**
 * Planes of `format` at width×height in one buffer, rows aligned, with slack after the last row. The memory is
 * not zero-filled first (swscale writes every pixel); row padding and slack are zeroed, so no stale heap bytes
 * are ever visible through the planes.
 */
export function allocatePlanes(format: PixelFormat, width: number, height: number): VideoPlane[] {
  const shapes = planeShapes(format, width, height);
  const strides = shapes.map((s) => alignUp(s.width * s.bytesPerPixel));
  const total = shapes.reduce((n, s, i) => n + strides[i]! * s.height, 0) + ALIGN;
  const raw = Buffer.allocUnsafeSlow(total);
  const buffer = new Uint8Array(raw.buffer, raw.byteOffset, total);
  buffer.fill(0, total - ALIGN);
  let offset = 0;
  return shapes.map((s, i) => {
    const stride = strides[i]!;
    const rowBytes = s.width * s.bytesPerPixel;
    const size = stride * s.height;
    if (stride > rowBytes)
      for (let y = 0; y < s.height; y++)
        buffer.fill(0, offset + y * stride + rowBytes, offset + (y + 1) * stride);
    const plane = new VideoPlane(buffer.subarray(offset, offset + size), stride, s.width, s.height);
    offset += size;
    return plane;
  });
}

/** True when at least ALIGN bytes of the same buffer follow the plane: swscale may read it in place. */
function hasSlack(data: Uint8Array): boolean {
  return data.byteOffset + data.byteLength + ALIGN <= data.buffer.byteLength;
}

export class SwscaleBackend implements PixelConversionBackend {
  readonly name = 'swscale';
  /** Contexts by conversion, least recently used first. */
  private readonly contexts = new Map<string, SoftwareScaleContext>();
  /** Reused input buffer: frames from JavaScript have tight rows and no tail padding. */
  private staging = new Uint8Array(0);

  constructor(private readonly av: NodeAv) {}

  convert(frame: VideoFrame, format: PixelFormat, width: number, height: number): VideoFrame | null {
    // tsrtc's gray is the luma plane as it is (limited range); swscale would expand it to full range.
    if (format === 'gray' || frame.format === 'gray') return null;
    const sws = this.context(frame, format, width, height);
    const src = this.stage(frame);
    const planes = allocatePlanes(format, width, height);
    const ret = sws.scaleSync(
      src.buffers,
      src.strides,
      0,
      frame.height,
      planes.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)),
      planes.map((p) => p.lineSize),
    );
    if (ret <= 0) return null; // swscale refused: the TypeScript path takes the frame
    return new VideoFrame(width, height, format, planes);
  }

  /** Free every native context (they are recreated on demand). */
  close(): void {
    for (const sws of this.contexts.values()) sws.freeContext();
    this.contexts.clear();
  }

  private context(
    frame: VideoFrame,
    format: PixelFormat,
    width: number,
    height: number,
  ): SoftwareScaleContext {
    const key = `${frame.width}x${frame.height}:${frame.format}>${width}x${height}:${format}`;
    let sws = this.contexts.get(key);
    if (sws) {
      this.contexts.delete(key); // move to the most recently used end
    } else {
      const { lib, constants: C } = this.av;
      sws = new lib.SoftwareScaleContext();
      sws.getContext(
        frame.width,
        frame.height,
        avPixelFormat(this.av, frame.format),
        width,
        height,
        avPixelFormat(this.av, format),
        C.SWS_BILINEAR,
      );
      if (this.contexts.size >= CACHE_SIZE) {
        const [oldestKey, oldest] = this.contexts.entries().next().value as [string, SoftwareScaleContext];
        oldest.freeContext();
        this.contexts.delete(oldestKey);
      }
    }
    this.contexts.set(key, sws);
    return sws;
  }

  /**
   * The frame's planes as swscale inputs: in place when each is followed by slack (frames this library
   * allocates), else copied into one padded buffer with aligned rows.
   */
  private stage(frame: VideoFrame): { buffers: Buffer[]; strides: number[] } {
    if (frame.planes.every((p) => hasSlack(p.data))) {
      return {
        buffers: frame.planes.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)),
        strides: frame.planes.map((p) => p.lineSize),
      };
    }
    const shapes = planeShapes(frame.format, frame.width, frame.height);
    const strides = shapes.map((s) => alignUp(s.width * s.bytesPerPixel));
    const total = shapes.reduce((n, s, i) => n + strides[i]! * s.height, 0) + ALIGN;
    if (this.staging.byteLength < total) this.staging = new Uint8Array(total);
    const buffers: Buffer[] = [];
    let offset = 0;
    shapes.forEach((s, i) => {
      const plane = frame.planes[i]!;
      const rowBytes = s.width * s.bytesPerPixel;
      const stride = strides[i]!;
      const dest = this.staging.subarray(offset, offset + stride * s.height);
      if (plane.lineSize === stride) dest.set(plane.data.subarray(0, stride * (s.height - 1) + rowBytes));
      else {
        for (let y = 0; y < s.height; y++) {
          dest.set(plane.data.subarray(y * plane.lineSize, y * plane.lineSize + rowBytes), y * stride);
        }
      }
      buffers.push(Buffer.from(dest.buffer, dest.byteOffset, dest.byteLength));
      offset += stride * s.height;
    });
    return { buffers, strides };
  }
}
