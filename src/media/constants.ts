import { Fraction } from './time-base.js';

/** Duration of one audio frame from AudioStreamTrack, in seconds (20 ms). */
export const AUDIO_PTIME = 0.02;
/** The RTP clock of every video codec. */
export const VIDEO_CLOCK_RATE = 90000;
/** Duration of one video frame from VideoStreamTrack, in seconds (30 fps). */
export const VIDEO_PTIME = 1 / 30;
/** Time base of video pts: one tick of the 90 kHz clock, exactly. */
export const VIDEO_TIME_BASE = new Fraction(1, VIDEO_CLOCK_RATE);
