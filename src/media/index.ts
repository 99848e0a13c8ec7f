/** tsrtc/media: tracks, frames, time bases, codecs. */
export {
  AudioFrame,
  type AudioFrameInit,
  type AudioLayout,
  AudioPlane,
  type AudioSampleFormat,
} from './audio-frame.js';
export { AudioResampler, type AudioResamplerOptions } from './audio-resampler.js';
export { type MediaClock, systemClock } from './clock.js';
export {
  createAudioDecoder,
  createAudioEncoder,
  createVideoDecoder,
  createVideoEncoder,
  type Decoder,
  type DecoderStats,
  type Encoder,
  type EncoderOptions,
  G711Decoder,
  G711Encoder,
  isNodeAvAvailable,
} from './codecs/index.js';
export { AUDIO_PTIME, VIDEO_CLOCK_RATE, VIDEO_PTIME, VIDEO_TIME_BASE } from './constants.js';
export { EncodedFanout, type EncodedFanoutOptions, EncodedSubscriberTrack } from './encoded-fanout.js';
export { AUDIO_CODECS, type CodecName, EncodedFrame, VIDEO_CODECS } from './encoded-frame.js';
export { CodecUnavailableError, MediaStreamError } from './errors.js';
export { MediaStream } from './media-stream.js';
export {
  disableNativeConversion,
  enableNativeConversion,
  installNativeConversion,
  isNativeConversionEnabled,
} from './native-convert.js';
export {
  AudioStreamTrack,
  type StreamTrackOptions,
  type Timestamp,
  VideoStreamTrack,
} from './stream-tracks.js';
export { Fraction, rescale } from './time-base.js';
export {
  type MediaFrame,
  type MediaKind,
  MediaStreamTrack,
  type MediaStreamTrackEventMap,
  type MediaStreamTrackState,
} from './track.js';
export { MAX_VIDEO_DIMENSION, type PixelFormat, VideoFrame, VideoPlane } from './video-frame.js';
