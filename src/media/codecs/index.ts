/** One factory for every codec: G.711 in TypeScript, the rest through node-av (loaded on first use). */
import type { AudioFrame } from '../audio-frame.js';
import { AUDIO_CODECS, type CodecName } from '../encoded-frame.js';
import type { VideoFrame } from '../video-frame.js';
import { AvAudioDecoder, AvAudioEncoder } from './av-audio.js';
import { AvVideoDecoder, AvVideoEncoder } from './av-video.js';
import type { Decoder, Encoder, EncoderOptions } from './codec.js';
import { G711Decoder, G711Encoder } from './g711.js';

export type { Decoder, DecoderStats, Encoder, EncoderOptions } from './codec.js';
export { alawToLinear, G711Decoder, G711Encoder, linearToAlaw, linearToUlaw, ulawToLinear } from './g711.js';
export { isNodeAvAvailable } from './node-av.js';

export function createAudioEncoder(codec: CodecName, options?: EncoderOptions): Encoder<AudioFrame> {
  if (codec === 'pcmu' || codec === 'pcma') return new G711Encoder(codec);
  if (codec === 'opus' || codec === 'g722') return new AvAudioEncoder(codec, options);
  throw new TypeError(`${codec} is not an audio codec`);
}

export function createAudioDecoder(codec: CodecName): Decoder<AudioFrame> {
  if (codec === 'pcmu' || codec === 'pcma') return new G711Decoder(codec);
  if (codec === 'opus' || codec === 'g722') return new AvAudioDecoder(codec);
  throw new TypeError(`${codec} is not an audio codec`);
}

export function createVideoEncoder(codec: CodecName, options?: EncoderOptions): Encoder<VideoFrame> {
  if (AUDIO_CODECS.includes(codec)) throw new TypeError(`${codec} is not a video codec`);
  return new AvVideoEncoder(codec as 'vp8' | 'vp9' | 'h264' | 'av1', options);
}

export function createVideoDecoder(codec: CodecName): Decoder<VideoFrame> {
  if (AUDIO_CODECS.includes(codec)) throw new TypeError(`${codec} is not a video codec`);
  return new AvVideoDecoder(codec as 'vp8' | 'vp9' | 'h264' | 'av1');
}
