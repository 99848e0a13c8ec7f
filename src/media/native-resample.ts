/**
 * Sample format, layout and rate conversion through FFmpeg's swresample (node-av): the native backend of
 * AudioResampler, with the same contract (output format, layout, rate, optional fixed frame size, pts counted in
 * output samples from the first frame's pts). Synchronous, like `resample()`.
 */
import type { AVSampleFormat } from 'node-av/constants';
import type { SoftwareResampleContext } from 'node-av/lib';
import {
  AudioFrame,
  type AudioLayout,
  type AudioSampleFormat,
  channelCount,
  isPlanar,
} from './audio-frame.js';
import type { ResamplerBackend } from './audio-resampler.js';
import type { NodeAv } from './codecs/node-av.js';
import { Fraction, rescale } from './time-base.js';

export function avSampleFormat(av: NodeAv, format: AudioSampleFormat): AVSampleFormat {
  const C = av.constants;
  switch (format) {
    case 's16':
      return C.AV_SAMPLE_FMT_S16;
    case 's16p':
      return C.AV_SAMPLE_FMT_S16P;
    case 'flt':
      return C.AV_SAMPLE_FMT_FLT;
    case 'fltp':
      return C.AV_SAMPLE_FMT_FLTP;
  }
}

const BYTES: Record<AudioSampleFormat, number> = { s16: 2, s16p: 2, flt: 4, fltp: 4 };

export interface SwresampleOptions {
  format: AudioSampleFormat;
  layout: AudioLayout;
  rate: number | undefined;
  frameSize: number | undefined;
}

export class SwresampleBackend implements ResamplerBackend {
  private swr: SoftwareResampleContext | null = null;
  private inputKey = '';
  private outRate = 0;
  private nextPts: number | null = null;
  /** Converted bytes not yet emitted (fixed frame size), one array per output plane. */
  private pending: Uint8Array[] = [];
  private readonly outChannels: number;
  private readonly planes: number;
  /** Bytes per sample in one output plane. */
  private readonly stride: number;

  constructor(
    private readonly av: NodeAv,
    private readonly options: SwresampleOptions,
  ) {
    this.outChannels = channelCount(options.layout);
    this.planes = isPlanar(options.format) ? this.outChannels : 1;
    this.stride = BYTES[options.format] * (isPlanar(options.format) ? 1 : this.outChannels);
  }

  resample(frame: AudioFrame): AudioFrame[] {
    const outRate = this.options.rate ?? frame.sampleRate;
    const swr = this.context(frame, outRate);
    if (this.nextPts === null) {
      this.nextPts =
        frame.pts === null
          ? 0
          : frame.timeBase
            ? rescale(frame.pts, frame.timeBase, new Fraction(1, outRate))
            : Math.round((frame.pts * outRate) / frame.sampleRate);
    }
    // swresample keeps up to its filter length buffered: room for what it holds plus this frame.
    const capacity = swr.getOutSamples(frame.samples) + 64;
    const out = Array.from({ length: this.planes }, () => Buffer.alloc(capacity * this.stride));
    const input = frame.planes.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength));
    const produced = swr.convertSync(out, capacity, input, frame.samples);
    if (produced < 0) throw new Error(`swresample failed (FFmpeg error ${produced})`);
    const converted = out.map((b) => new Uint8Array(b.buffer, b.byteOffset, produced * this.stride));
    return this.emit(converted, produced, outRate);
  }

  close(): void {
    this.swr?.free();
    this.swr = null;
  }

  private context(frame: AudioFrame, outRate: number): SoftwareResampleContext {
    const key = `${frame.format}/${frame.layout}/${frame.sampleRate}`;
    if (this.swr && key === this.inputKey && outRate === this.outRate) return this.swr;
    // A new input shape starts a new stream, as the TypeScript resampler does.
    this.swr?.free();
    this.pending = [];
    const { lib, constants: C } = this.av;
    const swr = new lib.SoftwareResampleContext();
    const layout = (l: AudioLayout) =>
      l === 'stereo' ? C.AV_CHANNEL_LAYOUT_STEREO : C.AV_CHANNEL_LAYOUT_MONO;
    let ret = swr.allocSetOpts2(
      layout(this.options.layout),
      avSampleFormat(this.av, this.options.format),
      outRate,
      layout(frame.layout),
      avSampleFormat(this.av, frame.format),
      frame.sampleRate,
    );
    // Mono to stereo copies at full level and stereo to mono averages, as the TypeScript resampler does
    // (swresample's default matrix would lower an upmixed mono signal by 3 dB).
    const upmix = frame.layout === 'mono' && this.options.layout === 'stereo';
    const downmix = frame.layout === 'stereo' && this.options.layout === 'mono';
    if (ret >= 0 && upmix) ret = swr.setMatrix([1, 1], 1);
    if (ret >= 0 && downmix) ret = swr.setMatrix([0.5, 0.5], 2);
    if (ret >= 0) ret = swr.init();
    if (ret < 0) {
      swr.free();
      throw new Error(`swresample refused ${key} → ${this.options.format}/${this.options.layout}/${outRate}`);
    }
    this.swr = swr;
    this.inputKey = key;
    this.outRate = outRate;
    return swr;
  }

  private emit(converted: Uint8Array[], samples: number, rate: number): AudioFrame[] {
    const frameSize = this.options.frameSize;
    if (!frameSize) return samples > 0 ? [this.makeFrame(converted, samples, rate)] : [];
    const joined = this.pending.length
      ? converted.map((c, i) => {
          const p = this.pending[i]!;
          const both = new Uint8Array(p.byteLength + c.byteLength);
          both.set(p);
          both.set(c, p.byteLength);
          return both;
        })
      : converted;
    const frames: AudioFrame[] = [];
    const bytes = frameSize * this.stride;
    let offset = 0;
    while (joined[0]!.byteLength - offset >= bytes) {
      frames.push(
        this.makeFrame(
          joined.map((j) => j.subarray(offset, offset + bytes)),
          frameSize,
          rate,
        ),
      );
      offset += bytes;
    }
    this.pending = joined.map((j) => j.slice(offset));
    return frames;
  }

  private makeFrame(planes: Uint8Array[], samples: number, rate: number): AudioFrame {
    const frame = new AudioFrame({
      format: this.options.format,
      layout: this.options.layout,
      samples,
      sampleRate: rate,
    });
    planes.forEach((p, i) => {
      frame.planes[i]!.data.set(p);
    });
    frame.pts = this.nextPts;
    frame.timeBase = new Fraction(1, rate);
    this.nextPts = (this.nextPts ?? 0) + samples;
    return frame;
  }
}
