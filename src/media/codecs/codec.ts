/**
 * The one small codec interface. Encoders take raw frames and give EncodedFrames on the codec's RTP clock;
 * decoders do the reverse. Both are async because FFmpeg-backed codecs run on libuv's worker pool.
 */
import type { AudioFrame } from '../audio-frame.js';
import type { CodecName, EncodedFrame } from '../encoded-frame.js';
import type { VideoFrame } from '../video-frame.js';

export interface EncoderOptions {
  /** Target bitrate in bits per second (a codec default when omitted). */
  bitrate?: number;
  /** Video: frames per second the encoder plans rate control for (default 30). */
  framerate?: number;
  /** Video: encoder threads (default: 1 up to 640×480, more for larger frames when CPUs allow). */
  threads?: number;
  /**
   * H.264: the negotiated fmtp. `profile-level-id` chooses constrained baseline (42xxxx) or main (4dxxxx);
   * `packetization-mode` 0 makes the encoder keep every slice within `maxSliceBytes` (one NAL per packet).
   */
  h264?: { profileLevelId?: string; packetizationMode?: 0 | 1; maxSliceBytes?: number };
}

export interface Encoder<F extends AudioFrame | VideoFrame = AudioFrame | VideoFrame> {
  readonly codec: CodecName;
  readonly kind: 'audio' | 'video';
  /** RTP clock rate of the output pts. */
  readonly clockRate: number;
  readonly targetBitrate: number;
  /** Encode one frame; may return nothing (buffering) or several frames. */
  encode(frame: F): Promise<EncodedFrame[]>;
  /** Change the target bitrate; applied without recreating the encoder where the codec allows. */
  setTargetBitrate(bitsPerSecond: number): void;
  /** Make the next encoded frame a keyframe (after a PLI or FIR). A no-op for audio. */
  requestKeyframe(): void;
  close(): void;
}

export interface DecoderStats {
  framesDecoded: number;
  /** Frames the decoder refused (corrupt bitstream); each one also sets `keyframeNeeded` for video. */
  decodeErrors: number;
}

export interface Decoder<F extends AudioFrame | VideoFrame = AudioFrame | VideoFrame> {
  readonly codec: CodecName;
  readonly kind: 'audio' | 'video';
  readonly stats: DecoderStats;
  /**
   * Video: true after a decode error until a keyframe decodes; the receiver should send PLI while it is set.
   * Always false for audio.
   */
  readonly keyframeNeeded: boolean;
  /** Decode one frame; a corrupt frame yields nothing (and is counted), never a throw. */
  decode(frame: EncodedFrame): Promise<F[]>;
  close(): void;
}
