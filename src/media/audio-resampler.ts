/**
 * Sample format, channel layout and sample rate conversion (PyAV's `av.AudioResampler`). Stateful: the
 * fractional read position and the last input sample carry over between frames, so a stream resampled frame by
 * frame has no clicks at frame boundaries. Rate conversion is linear interpolation (no anti-alias filter when
 * downsampling): good enough for voice codecs and tests, not a mastering-grade resampler.
 */
import { AudioFrame, type AudioLayout, type AudioSampleFormat } from './audio-frame.js';
import { Fraction } from './time-base.js';

export interface AudioResamplerOptions {
  format?: AudioSampleFormat;
  layout?: AudioLayout;
  rate?: number;
  /** Output frames of exactly this many samples (the remainder waits for the next input); default: as produced. */
  frameSize?: number;
}

export class AudioResampler {
  readonly format: AudioSampleFormat;
  readonly layout: AudioLayout;
  readonly rate: number | undefined;
  private readonly frameSize: number | undefined;
  private inputRate = 0;
  /** Position of the next output sample, in input samples, relative to the start of the pending input. */
  private position = 0;
  /** The last input sample of each channel, for interpolation across the frame boundary. */
  private previous: number[] = [];
  private pending: Float32Array[] = [];
  private nextPts: number | null = null;

  constructor(options: AudioResamplerOptions = {}) {
    this.format = options.format ?? 's16';
    this.layout = options.layout ?? 'mono';
    this.rate = options.rate;
    this.frameSize = options.frameSize;
  }

  /** Convert one frame; may return zero, one or several frames (when `frameSize` is set). */
  resample(frame: AudioFrame): AudioFrame[] {
    const outRate = this.rate ?? frame.sampleRate;
    if (this.inputRate !== frame.sampleRate) {
      this.inputRate = frame.sampleRate;
      this.position = 0;
      this.previous = [];
    }
    if (this.nextPts === null) {
      this.nextPts = frame.pts === null ? 0 : Math.round((frame.pts * outRate) / frame.sampleRate);
    }
    const mixed = mixChannels(frame.toFloat32(), this.layout === 'stereo' ? 2 : 1);
    const converted =
      frame.sampleRate === outRate ? mixed : mixed.map((c, i) => this.convertRate(c, i, outRate));
    this.position -= outRate === frame.sampleRate ? 0 : frame.samples;
    this.previous = mixed.map((c, i) => (c.length ? c[c.length - 1]! : (this.previous[i] ?? 0)));
    return this.emit(converted, outRate);
  }

  private convertRate(input: Float32Array, channel: number, outRate: number): Float32Array {
    const step = this.inputRate / outRate;
    const prev = this.previous[channel] ?? input[0] ?? 0;
    // Emit every output sample whose position lies at or before the last input sample; later ones wait for the
    // next frame, where they interpolate from this frame's last sample.
    const count = Math.max(0, Math.floor((input.length - 1 - this.position) / step + 1e-9) + 1);
    const out = new Float32Array(count);
    let pos = this.position;
    for (let i = 0; i < count; i++, pos += step) {
      // pos is relative to input[0]; -1 < pos < 0 interpolates from the previous frame's last sample.
      const i0 = Math.floor(pos);
      const frac = pos - i0;
      const a = i0 < 0 ? prev : input[i0]!;
      const b = input[i0 + 1] ?? a;
      out[i] = a + (b - a) * frac;
    }
    // All channels advance identically; the shared position moves once per frame (after the last channel).
    if (channel === (this.layout === 'stereo' ? 1 : 0)) this.position = pos;
    return out;
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

function mixChannels(input: Float32Array[], outChannels: number): Float32Array[] {
  if (input.length === outChannels) return input;
  if (outChannels === 2) return [input[0]!, input[0]!];
  const left = input[0]!;
  const right = input[1]!;
  const mono = new Float32Array(left.length);
  for (let i = 0; i < left.length; i++) mono[i] = (left[i]! + right[i]!) / 2;
  return [mono];
}
