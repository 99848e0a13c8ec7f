/**
 * Sample format, channel layout and sample rate conversion (PyAV's `av.AudioResampler`). Stateful: the
 * fractional read position and the last input sample carry over between frames, so a stream resampled frame by
 * frame has no clicks at frame boundaries. Rate conversion is windowed-sinc interpolation (16 taps a side),
 * which delays output by 16 input samples' worth of buffering but keeps pts exact.
 *
 * This TypeScript code is the fallback and the reference: when native conversion is on (native-convert.ts), each
 * resampler hands its work to FFmpeg's swresample instead, decided at its first `resample()` call.
 */
import { AudioFrame, type AudioLayout, type AudioSampleFormat } from './audio-frame.js';
import { Fraction, rescale } from './time-base.js';

export interface AudioResamplerOptions {
  format?: AudioSampleFormat;
  layout?: AudioLayout;
  rate?: number;
  /** Output frames of exactly this many samples (the remainder waits for the next input); default: as produced. */
  frameSize?: number;
}

/** One native resampler (swresample); stateful like AudioResampler, so each AudioResampler gets its own. */
export interface ResamplerBackend {
  resample(frame: AudioFrame): AudioFrame[];
}

export type ResamplerBackendFactory = (options: {
  format: AudioSampleFormat;
  layout: AudioLayout;
  rate: number | undefined;
  frameSize: number | undefined;
}) => ResamplerBackend;

let backendFactory: ResamplerBackendFactory | null = null;

/** Install (or with null, remove) the native resampler; resamplers already running keep their choice. */
export function setResamplerBackendFactory(factory: ResamplerBackendFactory | null): void {
  backendFactory = factory;
}

export class AudioResampler {
  readonly format: AudioSampleFormat;
  readonly layout: AudioLayout;
  readonly rate: number | undefined;
  private readonly frameSize: number | undefined;
  private inputRate = 0;
  /** Position of the next output sample, in input samples, relative to the start of the pending input. */
  private position = 0;
  /** The last 2×TAPS input samples of each channel: the filter's view across the frame boundary. */
  private previous: Float32Array[] = [];
  private nextHistory: Float32Array[] = [];
  private readonly weightCache = new Map<number, Float32Array>();
  private pending: Float32Array[] = [];
  private nextPts: number | null = null;
  /** The native resampler, chosen at the first frame (undefined until then, null for TypeScript). */
  private backend: ResamplerBackend | null | undefined;

  constructor(options: AudioResamplerOptions = {}) {
    this.format = options.format ?? 's16';
    this.layout = options.layout ?? 'mono';
    this.rate = options.rate;
    this.frameSize = options.frameSize;
  }

  /** Convert one frame; may return zero, one or several frames (when `frameSize` is set). */
  resample(frame: AudioFrame): AudioFrame[] {
    if (this.backend === undefined) {
      const { format, layout, rate, frameSize } = this;
      this.backend = backendFactory?.({ format, layout, rate, frameSize }) ?? null;
    }
    if (this.backend) return this.backend.resample(frame);
    const outRate = this.rate ?? frame.sampleRate;
    if (this.inputRate !== frame.sampleRate) {
      this.inputRate = frame.sampleRate;
      this.position = 0;
      this.previous = [];
      this.weightCache.clear();
    }
    if (this.nextPts === null) {
      this.nextPts =
        frame.pts === null
          ? 0
          : frame.timeBase
            ? rescale(frame.pts, frame.timeBase, new Fraction(1, outRate))
            : Math.round((frame.pts * outRate) / frame.sampleRate);
    }
    const outChannels = this.layout === 'stereo' ? 2 : 1;
    const input = frame.toFloat32();
    // Rate-convert as few channels as possible: downmix before, upmix after.
    const before = input.length > outChannels ? mixChannels(input, outChannels) : input;
    const converted =
      frame.sampleRate === outRate
        ? before
        : before.map((c, i) => this.convertRate(c, i, before.length, outRate));
    const mixed = mixChannels(converted, outChannels);
    if (outRate !== frame.sampleRate) {
      this.position -= frame.samples;
      this.previous = this.nextHistory;
      this.nextHistory = [];
    }
    return this.emit(mixed, outRate);
  }

  private convertRate(input: Float32Array, channel: number, channels: number, outRate: number): Float32Array {
    const step = this.inputRate / outRate;
    // Band-limited interpolation: a Blackman-windowed sinc, cut off below the lower Nyquist rate so that
    // downsampling does not alias and upsampling does not image.
    const cutoff = Math.min(1, outRate / this.inputRate) * 0.95;
    const history = this.previous[channel] ?? new Float32Array(2 * TAPS);
    const x = new Float32Array(history.length + input.length);
    x.set(history);
    x.set(input, history.length);
    const offset = history.length;
    // Emit every output whose filter window is inside the input seen so far; the rest waits for the next frame.
    const count = Math.max(0, Math.floor((input.length - 1 - TAPS - this.position) / step + 1e-9) + 1);
    const out = new Float32Array(count);
    let pos = this.position;
    for (let i = 0; i < count; i++, pos += step) {
      const center = Math.floor(pos);
      const weights = this.weights(pos - center, cutoff);
      const base = center - TAPS + 1 + offset;
      let acc = 0;
      for (let j = 0; j < 2 * TAPS; j++) acc += x[base + j]! * weights[j]!;
      out[i] = acc;
    }
    this.nextHistory[channel] = x.slice(x.length - 2 * TAPS);
    // All channels advance identically; the shared position moves once per frame (after the last channel).
    if (channel === channels - 1) this.position = pos;
    return out;
  }

  /** Filter weights for a fractional phase, cached: rational rate ratios revisit few phases (6 for 8→48 kHz). */
  private weights(phase: number, cutoff: number): Float32Array {
    const key = Math.round(phase * 1e6);
    let w = this.weightCache.get(key);
    if (!w) {
      w = new Float32Array(2 * TAPS);
      for (let j = 0; j < 2 * TAPS; j++) w[j] = kernel(phase + TAPS - 1 - j, cutoff);
      if (this.weightCache.size < 4096) this.weightCache.set(key, w);
    }
    return w;
  }

  private emit(channels: Float32Array[], rate: number): AudioFrame[] {
    const frames: AudioFrame[] = [];
    if (!this.frameSize) {
      if (channels[0]!.length) frames.push(this.makeFrame(channels, rate));
      return frames;
    }
    this.pending = this.pending.length
      ? this.pending.map((p, i) => {
          const joined = new Float32Array(p.length + channels[i]!.length);
          joined.set(p);
          joined.set(channels[i]!, p.length);
          return joined;
        })
      : channels;
    while (this.pending[0]!.length >= this.frameSize) {
      const n = this.frameSize;
      frames.push(
        this.makeFrame(
          this.pending.map((p) => p.subarray(0, n)),
          rate,
        ),
      );
      this.pending = this.pending.map((p) => p.subarray(n));
    }
    return frames;
  }

  private makeFrame(channels: Float32Array[], rate: number): AudioFrame {
    const out = AudioFrame.fromFloat32(channels, { format: this.format, sampleRate: rate });
    out.pts = this.nextPts;
    out.timeBase = new Fraction(1, rate);
    this.nextPts = (this.nextPts ?? 0) + channels[0]!.length;
    return out;
  }
}

/** Filter half-length in input samples. */
const TAPS = 16;

/** Blackman-windowed sinc at distance `t` (input samples), scaled by the cutoff for unity gain. */
function kernel(t: number, cutoff: number): number {
  if (Math.abs(t) >= TAPS) return 0;
  const w = 0.42 + 0.5 * Math.cos((Math.PI * t) / TAPS) + 0.08 * Math.cos((2 * Math.PI * t) / TAPS);
  const a = Math.PI * cutoff * t;
  return cutoff * w * (t === 0 ? 1 : Math.sin(a) / a);
}

function mixChannels(input: Float32Array[], outChannels: number): Float32Array[] {
  if (input.length === outChannels) return input;
  if (outChannels === 2) return [input[0]!, input[0]!];
  const left = input[0]!;
  const right = input[1]!;
  const mono = new Float32Array(left.length);
  for (let i = 0; i < left.length; i++) mono[i] = (left[i]! + right[i]!) / 2;
  return [mono];
}
