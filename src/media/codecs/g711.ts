/**
 * G.711 μ-law (PCMU) and A-law (PCMA), ITU-T G.711, in TypeScript: 8 kHz mono, one byte per sample. Any input
 * frame is resampled to 8 kHz s16 mono first; output frames are 20 ms (160 samples) as in RFC 3551.
 */
import { AudioFrame } from '../audio-frame.js';
import { AudioResampler } from '../audio-resampler.js';
import { EncodedFrame } from '../encoded-frame.js';
import { Fraction } from '../time-base.js';
import type { Decoder, DecoderStats, Encoder } from './codec.js';

const RATE = 8000;
const TIME_BASE = new Fraction(1, RATE);

export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  let sign = 0;
  let s = sample;
  if (s < 0) {
    s = -s;
    sign = 0x80;
  }
  s = Math.min(s, 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? 0 - magnitude : magnitude; // 0 - 0 is +0, never -0
}

export function linearToAlaw(sample: number): number {
  let s = sample >> 3; // 13-bit magnitude domain
  let sign = 0x80;
  if (s < 0) {
    s = -s - 1;
    sign = 0;
  }
  s = Math.min(s, 0xfff);
  let code: number;
  if (s < 32) {
    code = s >> 1;
  } else {
    let exponent = 1;
    for (let v = s >> 5; v > 1; v >>= 1) exponent++;
    code = (exponent << 4) | ((s >> exponent) & 0x0f);
  }
  return (sign | code) ^ 0x55;
}

export function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  if (!(a & 0x80)) magnitude = -magnitude;
  return magnitude;
}

const ULAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));
const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));
/** Encode tables indexed by (sample + 32768): 64 KiB each, built on first use. */
let ulawEncode: Uint8Array | undefined;
let alawEncode: Uint8Array | undefined;

function encodeTable(law: 'pcmu' | 'pcma'): Uint8Array {
  if (law === 'pcmu') {
    ulawEncode ??= Uint8Array.from({ length: 65536 }, (_, i) => linearToUlaw(i - 32768));
    return ulawEncode;
  }
  alawEncode ??= Uint8Array.from({ length: 65536 }, (_, i) => linearToAlaw(i - 32768));
  return alawEncode;
}

export class G711Encoder implements Encoder<AudioFrame> {
  readonly kind = 'audio';
  readonly clockRate = RATE;
  readonly targetBitrate = 64000;
  private readonly resampler = new AudioResampler({
    format: 's16',
    layout: 'mono',
    rate: RATE,
    frameSize: 160,
  });
  private readonly table: Uint8Array;

  constructor(readonly codec: 'pcmu' | 'pcma') {
    this.table = encodeTable(codec);
  }

  async encode(frame: AudioFrame): Promise<EncodedFrame[]> {
    return this.resampler.resample(frame).map((f) => {
      const pcm = f.planes[0]!.data;
      const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
      const out = new Uint8Array(f.samples);
      for (let i = 0; i < f.samples; i++) out[i] = this.table[view.getInt16(i * 2, true) + 32768]!;
      return new EncodedFrame(this.codec, out, f.pts ?? 0, TIME_BASE, true);
    });
  }

  /** G.711 has one bitrate. */
  setTargetBitrate(_bitsPerSecond: number): void {}
  requestKeyframe(): void {}
  close(): void {}
}

export class G711Decoder implements Decoder<AudioFrame> {
  readonly kind = 'audio';
  readonly keyframeNeeded = false;
  readonly stats: DecoderStats = { framesDecoded: 0, decodeErrors: 0 };
  private readonly table: Int16Array;

  constructor(readonly codec: 'pcmu' | 'pcma') {
    this.table = codec === 'pcmu' ? ULAW_DECODE : ALAW_DECODE;
  }

  async decode(frame: EncodedFrame): Promise<AudioFrame[]> {
    const n = frame.data.byteLength;
    if (n === 0 || n > RATE) {
      this.stats.decodeErrors++;
      return [];
    }
    const out = new AudioFrame({ format: 's16', layout: 'mono', samples: n, sampleRate: RATE });
    const view = new DataView(out.planes[0]!.data.buffer);
    for (let i = 0; i < n; i++) view.setInt16(i * 2, this.table[frame.data[i]!]!, true);
    out.pts = frame.pts;
    out.timeBase = TIME_BASE;
    this.stats.framesDecoded++;
    return [out];
  }

  close(): void {}
}
