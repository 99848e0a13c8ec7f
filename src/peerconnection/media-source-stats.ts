/**
 * What the W3C `media-source` stats say about the raw frames a sender takes from its track (audio level and
 * energy, frame size and rate), and the RFC 6464 audio level sent in the ssrc-audio-level extension.
 */
import type { AudioFrame } from '../media/audio-frame.js';
import type { VideoFrame } from '../media/video-frame.js';
import type { AudioLevel } from '../rtp/header-extensions.js';

/** Root mean square of a frame's samples in [0, 1] (all channels). */
export function rmsOf(frame: AudioFrame): number {
  if (frame.samples === 0) return 0;
  let sum = 0;
  let n = 0;
  if (frame.format === 's16') {
    const d = frame.planes[0]!.data;
    const view = new Int16Array(d.buffer, d.byteOffset, d.byteLength >> 1);
    for (let i = 0; i < view.length; i++) {
      const v = view[i]! / 32768;
      sum += v * v;
    }
    n = view.length;
  } else {
    for (const channel of frame.toFloat32()) {
      for (let i = 0; i < channel.length; i++) sum += channel[i]! * channel[i]!;
      n += channel.length;
    }
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/** RFC 6464: the level in -dBov (0 loudest, 127 silence), voice activity when louder than -50 dBov. */
export function audioLevelOf(frame: AudioFrame): AudioLevel {
  const rms = rmsOf(frame);
  const dbov = rms > 0 ? -20 * Math.log10(rms) : 127;
  const level = Math.max(0, Math.min(127, Math.round(dbov)));
  return { level, voiceActivity: level < 50 };
}

export class MediaSourceStats {
  audioLevel = 0;
  totalAudioEnergy = 0;
  totalSamplesDuration = 0;
  width: number | undefined;
  height: number | undefined;
  frames = 0;
  private recent: number[] = [];

  /** `now`: the runtime clock (ms), for the frame rate. */
  record(frame: AudioFrame | VideoFrame, now: number): void {
    if ('samples' in frame) {
      const rms = rmsOf(frame);
      this.audioLevel = rms;
      // W3C: energy is the sum of duration × level² (level linear in 0..1).
      this.totalAudioEnergy += frame.duration * rms * rms;
      this.totalSamplesDuration += frame.duration;
      return;
    }
    this.width = frame.width;
    this.height = frame.height;
    this.frames++;
    this.recent.push(now);
    while (this.recent.length > 0 && now - this.recent[0]! > 1000) this.recent.shift();
  }

  /** Frames in the last second. */
  get framesPerSecond(): number {
    return this.recent.length;
  }
}
