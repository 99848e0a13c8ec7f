/**
 * Raw video (aiortc/PyAV's `av.VideoFrame`): planes with strides, a pixel format, pts and an exact time base.
 * Pixel format and size conversion live in pixel-convert.ts.
 */
import { reformatFrame } from './pixel-convert.js';
import type { Fraction } from './time-base.js';

export type PixelFormat = 'yuv420p' | 'nv12' | 'rgb24' | 'bgr24' | 'rgba' | 'gray';

/** Bytes left free after the planes of a frame this class allocates (see the constructor). */
export const PLANE_SLACK = 64;

/** Largest accepted side; 8K UHD fits, corrupt headers asking for 65535×65535 do not. */
export const MAX_VIDEO_DIMENSION = 8192;

interface PlaneShape {
  width: number;
  height: number;
  bytesPerPixel: number;
}

/** Geometry of each plane of a format: width in pixels, rows, bytes per pixel. */
export function planeShapes(format: PixelFormat, width: number, height: number): PlaneShape[] {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  switch (format) {
    case 'yuv420p':
      return [
        { width, height, bytesPerPixel: 1 },
        { width: cw, height: ch, bytesPerPixel: 1 },
        { width: cw, height: ch, bytesPerPixel: 1 },
      ];
    case 'nv12':
      return [
        { width, height, bytesPerPixel: 1 },
        { width: cw, height: ch, bytesPerPixel: 2 },
      ];
    case 'rgb24':
    case 'bgr24':
      return [{ width, height, bytesPerPixel: 3 }];
    case 'rgba':
      return [{ width, height, bytesPerPixel: 4 }];
    case 'gray':
      return [{ width, height, bytesPerPixel: 1 }];
    default:
      throw new TypeError(`unsupported pixel format '${String(format)}'`);
  }
}

export function checkDimensions(width: number, height: number): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_VIDEO_DIMENSION) {
      throw new RangeError(`video frame ${name} ${v} is out of range (1..${MAX_VIDEO_DIMENSION})`);
    }
  }
}

/** Bytes of a tightly packed frame (strides equal to the row width). */
export function frameByteLength(format: PixelFormat, width: number, height: number): number {
  return planeShapes(format, width, height).reduce((n, p) => n + p.width * p.bytesPerPixel * p.height, 0);
}

export class VideoPlane {
  constructor(
    readonly data: Uint8Array,
    /** Bytes from the start of one row to the next (PyAV's `line_size`). */
    readonly lineSize: number,
    readonly width: number,
    readonly height: number,
  ) {}

  get bufferSize(): number {
    return this.data.byteLength;
  }

  update(bytes: Uint8Array): void {
    if (bytes.byteLength !== this.data.byteLength) {
      throw new RangeError(`plane holds ${this.data.byteLength} bytes, got ${bytes.byteLength}`);
    }
    this.data.set(bytes);
  }
}

export class VideoFrame {
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  readonly planes: VideoPlane[];
  pts: number | null = null;
  timeBase: Fraction | null = null;

  /** Zero-filled planes (for yuv420p that renders green, as aiortc's default frame). */
  constructor(width: number, height: number, format: PixelFormat = 'yuv420p', planes?: VideoPlane[]) {
    checkDimensions(width, height);
    const shapes = planeShapes(format, width, height);
    this.width = width;
    this.height = height;
    this.format = format;
    if (planes) {
      if (planes.length !== shapes.length) {
        throw new RangeError(`${format} needs ${shapes.length} planes, got ${planes.length}`);
      }
      planes.forEach((p, i) => {
        const s = shapes[i]!;
        const rowBytes = s.width * s.bytesPerPixel;
        if (p.lineSize < rowBytes || p.data.byteLength < p.lineSize * (s.height - 1) + rowBytes) {
          throw new RangeError(`plane ${i} of a ${width}x${height} ${format} frame is too small`);
        }
      });
      this.planes = planes;
    } else {
      // One buffer for all planes, with slack after the last: native converters (swscale's SIMD) may read a
      // vector past the end of a plane, and can then work on the planes in place instead of on a copy.
      const sizes = shapes.map((s) => s.width * s.bytesPerPixel * s.height);
      const buffer = new Uint8Array(sizes.reduce((a, b) => a + b, 0) + PLANE_SLACK);
      let offset = 0;
      this.planes = shapes.map((s, i) => {
        const plane = new VideoPlane(
          buffer.subarray(offset, offset + sizes[i]!),
          s.width * s.bytesPerPixel,
          s.width,
          s.height,
        );
        offset += sizes[i]!;
        return plane;
      });
    }
  }

  /**
   * A frame from tightly packed bytes (aiortc's `VideoFrame.from_ndarray`): planes one after the other,
   * rows without padding. The bytes are copied.
   */
  static fromBytes(
    data: Uint8Array,
    width: number,
    height: number,
    format: PixelFormat = 'yuv420p',
  ): VideoFrame {
    checkDimensions(width, height);
    const expected = frameByteLength(format, width, height);
    if (data.byteLength !== expected) {
      throw new RangeError(
        `a ${width}x${height} ${format} frame needs ${expected} bytes, got ${data.byteLength}`,
      );
    }
    const frame = new VideoFrame(width, height, format);
    let offset = 0;
    for (const plane of frame.planes) {
      plane.data.set(data.subarray(offset, offset + plane.data.byteLength));
      offset += plane.data.byteLength;
    }
    return frame;
  }

  /** Tightly packed bytes (aiortc's `to_ndarray`): rows without stride padding, planes concatenated. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(frameByteLength(this.format, this.width, this.height));
    let offset = 0;
    const shapes = planeShapes(this.format, this.width, this.height);
    this.planes.forEach((plane, i) => {
      const s = shapes[i]!;
      const rowBytes = s.width * s.bytesPerPixel;
      if (plane.lineSize === rowBytes) {
        out.set(plane.data.subarray(0, rowBytes * s.height), offset);
        offset += rowBytes * s.height;
        return;
      }
      for (let y = 0; y < s.height; y++) {
        out.set(plane.data.subarray(y * plane.lineSize, y * plane.lineSize + rowBytes), offset);
        offset += rowBytes;
      }
    });
    return out;
  }

  /**
   * A new frame in another pixel format and/or size (PyAV's `reformat`). Colour conversion uses BT.601
   * limited range, as FFmpeg's swscale does by default; resizing is bilinear. FFmpeg's swscale does the work when
   * native conversion is on (`enableNativeConversion()`), the TypeScript code otherwise.
   */
  reformat(options: { format?: PixelFormat; width?: number; height?: number }): VideoFrame {
    const format = options.format ?? this.format;
    const width = options.width ?? this.width;
    const height = options.height ?? this.height;
    checkDimensions(width, height);
    planeShapes(format, width, height); // refuses an unknown format before any backend sees it
    const out = reformatFrame(this, format, width, height);
    out.pts = this.pts;
    out.timeBase = this.timeBase;
    return out;
  }

  toString(): string {
    return `<VideoFrame pts=${this.pts}, ${this.width}x${this.height} ${this.format}>`;
  }
}
