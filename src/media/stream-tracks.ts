/**
 * The built-in tracks of aiortc: AudioStreamTrack (20 ms of silence) and VideoStreamTrack (green 640×480 at
 * 30 fps), paced against the wall clock from the first call. Late callers are not caught up by skipping: the
 * next frame is simply returned at once, as aiortc does.
 */
import { AudioFrame } from './audio-frame.js';
import { type MediaClock, systemClock } from './clock.js';
import { AUDIO_PTIME, VIDEO_CLOCK_RATE, VIDEO_PTIME, VIDEO_TIME_BASE } from './constants.js';
import { Fraction } from './time-base.js';
import { type MediaKind, MediaStreamTrack } from './track.js';
import { VideoFrame } from './video-frame.js';

export interface StreamTrackOptions {
  id?: string;
  label?: string;
  /** The clock that paces frames; inject a fake one to test pacing in virtual time. */
  clock?: MediaClock;
}

export interface Timestamp {
  pts: number;
  timeBase: Fraction;
}

/** Paces a media clock: the first call starts it, later calls advance by `step` ticks and wait for it. */
class Pacer {
  private startMs: number | undefined;
  private ticks = 0;

  constructor(private readonly clock: MediaClock) {}

  async next(step: number, rate: number): Promise<number> {
    if (this.startMs === undefined) {
      this.startMs = this.clock.now();
      this.ticks = 0;
      return 0;
    }
    this.ticks += step;
    const due = this.startMs + (this.ticks * 1000) / rate;
    await this.clock.sleep(due - this.clock.now());
    return this.ticks;
  }
}

export class AudioStreamTrack extends MediaStreamTrack {
  private readonly pacer: Pacer;

  constructor(options: StreamTrackOptions = {}) {
    super(options);
    this.pacer = new Pacer(options.clock ?? systemClock);
  }

  override get kind(): MediaKind {
    return 'audio';
  }

  /**
   * The pts of the next frame in samples, waiting until it is due. `samples` per frame and `sampleRate` default
   * to AudioStreamTrack's own 160 samples at 8 kHz.
   */
  async nextTimestamp(samples = Math.round(AUDIO_PTIME * 8000), sampleRate = 8000): Promise<Timestamp> {
    this.assertLive();
    const pts = await this.pacer.next(samples, sampleRate);
    return { pts, timeBase: new Fraction(1, sampleRate) };
  }

  /** 20 ms of s16 mono silence at 8 kHz. */
  async recv(): Promise<AudioFrame> {
    this.assertLive();
    const sampleRate = 8000;
    const samples = Math.round(AUDIO_PTIME * sampleRate);
    const { pts, timeBase } = await this.nextTimestamp(samples, sampleRate);
    const frame = new AudioFrame({ format: 's16', layout: 'mono', samples, sampleRate });
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }
}

export class VideoStreamTrack extends MediaStreamTrack {
  private readonly pacer: Pacer;

  constructor(options: StreamTrackOptions = {}) {
    super(options);
    this.pacer = new Pacer(options.clock ?? systemClock);
  }

  override get kind(): MediaKind {
    return 'video';
  }

  /** The pts of the next frame on the 90 kHz clock (+3000 per frame at 30 fps), waiting until it is due. */
  async nextTimestamp(): Promise<Timestamp> {
    this.assertLive();
    const pts = await this.pacer.next(Math.trunc(VIDEO_PTIME * VIDEO_CLOCK_RATE), VIDEO_CLOCK_RATE);
    return { pts, timeBase: VIDEO_TIME_BASE };
  }

  /** A 640×480 yuv420p frame of zeros (green). */
  async recv(): Promise<VideoFrame> {
    const { pts, timeBase } = await this.nextTimestamp();
    const frame = new VideoFrame(640, 480);
    frame.pts = pts;
    frame.timeBase = timeBase;
    return frame;
  }
}
