/**
 * An already-encoded frame: what an encoder produces, what a depayloader reassembles, and what a pass-through
 * track yields (aiortc's `av.Packet` from `MediaPlayer(decode=False)`). Immutable by convention, so one
 * encode can be shared by many senders without copies.
 */
import type { Fraction } from './time-base.js';

export type CodecName = 'opus' | 'pcmu' | 'pcma' | 'g722' | 'vp8' | 'vp9' | 'h264' | 'av1';

export const AUDIO_CODECS: readonly CodecName[] = ['opus', 'pcmu', 'pcma', 'g722'];
export const VIDEO_CODECS: readonly CodecName[] = ['vp8', 'vp9', 'h264', 'av1'];

export class EncodedFrame {
  constructor(
    readonly codec: CodecName,
    /** The bitstream: one Opus/G.711/G.722 frame, a VP8/VP9 frame, an Annex B H.264 access unit, AV1 OBUs. */
    readonly data: Uint8Array,
    /** Presentation time in `timeBase` units (the codec's RTP clock for frames from encoders and depayloaders). */
    readonly pts: number,
    readonly timeBase: Fraction,
    /** A keyframe can be decoded without earlier frames (always true for audio). */
    readonly keyframe: boolean,
  ) {}

  get kind(): 'audio' | 'video' {
    return AUDIO_CODECS.includes(this.codec) ? 'audio' : 'video';
  }

  toString(): string {
    return `<EncodedFrame ${this.codec} pts=${this.pts} ${this.data.byteLength} bytes${this.keyframe ? ' key' : ''}>`;
  }
}
