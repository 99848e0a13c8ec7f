/**
 * Raw audio (aiortc/PyAV's `av.AudioFrame`): interleaved (`s16`, `flt`) or planar (`s16p`, `fltp`) samples,
 * mono or stereo, with an exact time base.
 */
import type { Fraction } from './time-base.js';

export type AudioSampleFormat = 's16' | 's16p' | 'flt' | 'fltp';
export type AudioLayout = 'mono' | 'stereo';

const BYTES_PER_SAMPLE: Record<AudioSampleFormat, number> = { s16: 2, s16p: 2, flt: 4, fltp: 4 };
/** 10 s at 192 kHz: anything larger is a caller bug, not audio. */
const MAX_SAMPLES = 1_920_000;

export function isPlanar(format: AudioSampleFormat): boolean {
  return format === 's16p' || format === 'fltp';
}

export function channelCount(layout: AudioLayout): number {
  return layout === 'stereo' ? 2 : 1;
}

/** One buffer of sample data; `update()` copies bytes in, as PyAV's `plane.update()`. */
export class AudioPlane {
  constructor(readonly data: Uint8Array) {}

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

export interface AudioFrameInit {
  format?: AudioSampleFormat;
  layout?: AudioLayout;
  /** Samples per channel. */
  samples?: number;
  sampleRate?: number;
}

function checkFormat(format: string, layout: string): void {
  if (!(format in BYTES_PER_SAMPLE)) throw new TypeError(`unsupported audio sample format '${format}'`);
  if (layout !== 'mono' && layout !== 'stereo') throw new TypeError(`unsupported audio layout '${layout}'`);
}

export class AudioFrame {
  readonly format: AudioSampleFormat;
  readonly layout: AudioLayout;
  readonly samples: number;
  sampleRate: number;
  readonly planes: AudioPlane[];
  pts: number | null = null;
  timeBase: Fraction | null = null;

  /** Zero-filled (silent) samples. */
  constructor(init: AudioFrameInit = {}) {
    const { format = 's16', layout = 'mono', samples = 0, sampleRate = 48000 } = init;
    checkFormat(format, layout);
    if (!Number.isInteger(samples) || samples < 0 || samples > MAX_SAMPLES) {
      throw new RangeError(`audio frame sample count ${samples} is out of range (0..${MAX_SAMPLES})`);
    }
    if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 384000) {
      throw new RangeError(`audio sample rate ${sampleRate} is out of range`);
    }
    this.format = format;
    this.layout = layout;
    this.samples = samples;
    this.sampleRate = sampleRate;
    const channels = channelCount(layout);
    const bytes = BYTES_PER_SAMPLE[format];
    this.planes = isPlanar(format)
      ? Array.from({ length: channels }, () => new AudioPlane(new Uint8Array(samples * bytes)))
      : [new AudioPlane(new Uint8Array(samples * bytes * channels))];
  }

  get channels(): number {
    return channelCount(this.layout);
  }

  get bytesPerSample(): number {
    return BYTES_PER_SAMPLE[this.format];
  }

  /** Duration in seconds. */
  get duration(): number {
    return this.samples / this.sampleRate;
  }

  /**
   * A frame from raw bytes (aiortc's `from_ndarray`): interleaved formats take one buffer, planar formats
   * take the planes one after the other. The sample count follows from the byte length.
   */
  static fromBytes(
    data: Uint8Array,
    init: { format?: AudioSampleFormat; layout?: AudioLayout; sampleRate?: number } = {},
  ): AudioFrame {
    const format = init.format ?? 's16';
    const layout = init.layout ?? 'mono';
    checkFormat(format, layout);
    const frameBytes = BYTES_PER_SAMPLE[format] * channelCount(layout);
    if (data.byteLength % frameBytes !== 0) {
      throw new RangeError(`${data.byteLength} bytes is not a whole number of ${format}/${layout} samples`);
    }
    const frame = new AudioFrame({ ...init, format, layout, samples: data.byteLength / frameBytes });
    let offset = 0;
    for (const plane of frame.planes) {
      plane.data.set(data.subarray(offset, offset + plane.data.byteLength));
      offset += plane.data.byteLength;
    }
    return frame;
  }

  /** Samples as floats in [-1, 1], one array per channel (a convenient working form). */
  toFloat32(): Float32Array[] {
    const ch = this.channels;
    const out = Array.from({ length: ch }, () => new Float32Array(this.samples));
    const planar = isPlanar(this.format);
    const isFloat = this.format === 'flt' || this.format === 'fltp';
    for (let p = 0; p < this.planes.length; p++) {
      const d = this.planes[p]!.data;
      const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
      const stride = planar ? 1 : ch;
      const count = this.samples * stride;
      for (let i = 0; i < count; i++) {
        const v = isFloat ? view.getFloat32(i * 4, true) : view.getInt16(i * 2, true) / 32768;
        const c = planar ? p : i % ch;
        out[c]![planar ? i : (i / ch) | 0] = v;
      }
    }
    return out;
  }

  /** A frame from per-channel float samples (clipped to [-1, 1] for integer formats). */
  static fromFloat32(
    channels: readonly Float32Array[],
    init: { format?: AudioSampleFormat; sampleRate?: number } = {},
  ): AudioFrame {
    const layout: AudioLayout = channels.length === 2 ? 'stereo' : 'mono';
    if (channels.length !== 1 && channels.length !== 2) throw new RangeError('1 or 2 channels supported');
    const samples = channels[0]!.length;
    const frame = new AudioFrame({ ...init, layout, samples });
    const planar = isPlanar(frame.format);
    const isFloat = frame.format === 'flt' || frame.format === 'fltp';
    const ch = channels.length;
    for (let p = 0; p < frame.planes.length; p++) {
      const d = frame.planes[p]!.data;
      const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
      const count = planar ? samples : samples * ch;
      for (let i = 0; i < count; i++) {
        const src = planar ? channels[p]! : channels[i % ch]!;
        const v = src[planar ? i : (i / ch) | 0]!;
        if (isFloat) view.setFloat32(i * 4, v, true);
        else view.setInt16(i * 2, Math.max(-32768, Math.min(32767, Math.round(v * 32768))), true);
      }
    }
    return frame;
  }

  /** The sample bytes: interleaved buffer, or planes concatenated. */
  toBytes(): Uint8Array {
    if (this.planes.length === 1) return this.planes[0]!.data;
    const out = new Uint8Array(this.planes.reduce((n, p) => n + p.data.byteLength, 0));
    let offset = 0;
    for (const p of this.planes) {
      out.set(p.data, offset);
      offset += p.data.byteLength;
    }
    return out;
  }

  toString(): string {
    return `<AudioFrame pts=${this.pts}, ${this.samples} samples at ${this.sampleRate}Hz, ${this.layout}, ${this.format}>`;
  }
}
