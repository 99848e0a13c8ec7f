/** tsrtc/contrib/media: aiortc's media helpers — MediaPlayer, MediaRecorder, MediaRelay, MediaBlackhole. */
export { DemuxedFrame } from './demuxed-frame.js';
export { MediaFileError } from './errors.js';
export { MediaBlackhole } from './media-blackhole.js';
export { MediaPlayer, type MediaPlayerOptions, PlayerTrack } from './media-player.js';
export { MediaRecorder, type MediaRecorderOptions } from './media-recorder.js';
export { MediaRelay, type RelaySubscribeOptions, RelayTrack } from './media-relay.js';
