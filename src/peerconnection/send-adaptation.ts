/**
 * How a video layer gives way when the network cannot carry it: the encoder's target follows the bandwidth
 * estimate, and below what a picture size needs the layer is scaled down (and back up when the estimate
 * recovers); while the pacer's queue is too long (send pressure) frames are skipped before encoding, or the
 * picture made smaller, per the sender's `degradationPreference` (W3C webrtc-extensions). Plain state, driven
 * per raw frame by the sender pipeline; time comes from the caller.
 */

export type RTCDegradationPreference =
  | 'maintain-framerate'
  | 'maintain-resolution'
  | 'balanced'
  | 'maintain-framerate-and-resolution';

export const DEGRADATION_PREFERENCES: readonly RTCDegradationPreference[] = [
  'maintain-framerate',
  'maintain-resolution',
  'balanced',
  'maintain-framerate-and-resolution',
];

/** Extra downscale steps below the configured size (factors of width and height). */
const STEPS = [1, 1.5, 2, 3, 4] as const;
/**
 * Bits per pixel and frame a picture size needs to look acceptable in VP8/H.264 at real-time settings
 * (≈ 280 kbit/s for 640×480 at 30 fps, 830 kbit/s for 1280×720): below it a smaller picture looks better.
 */
const MIN_BITS_PER_PIXEL = 0.03;
/** Back up a step only with this much headroom over the larger size's need, so the layer does not flap. */
const UP_HEADROOM = 1.5;
/** A size change costs a keyframe: at most one step down per second, one step up per 4 s. */
const DOWN_INTERVAL_MS = 1000;
const UP_INTERVAL_MS = 4000;
/** Never scale a picture below this width. */
const MIN_WIDTH = 160;

export interface AdaptationInput {
  /** The picture as the encodings configure it (after scaleResolutionDownBy). */
  width: number;
  height: number;
  framesPerSecond: number;
  /** The encoder's target from the estimate (undefined before one arrives). */
  targetBitrate: number | undefined;
  pressure: boolean;
  preference: RTCDegradationPreference;
  now: number;
}

export interface AdaptationDecision {
  /** Skip this frame (not encoded, the reference chain stays whole). */
  skip: boolean;
  /** The size to encode at. */
  width: number;
  height: number;
}

export class BandwidthAdaptation {
  private step = 0;
  private lastChange = Number.NEGATIVE_INFINITY;
  private skipNext = false;
  /** W3C qualityLimitationResolutionChanges. */
  resolutionChanges = 0;
  /** Frames skipped for send pressure. */
  framesSkipped = 0;
  private limited = false;

  /** W3C qualityLimitationReason of this layer. */
  get qualityLimitationReason(): 'none' | 'bandwidth' {
    return this.limited || this.step > 0 ? 'bandwidth' : 'none';
  }

  decide(input: AdaptationInput): AdaptationDecision {
    const resize = input.preference === 'balanced' || input.preference === 'maintain-framerate';
    const dropFrames = input.preference === 'balanced' || input.preference === 'maintain-resolution';
    if (!resize && this.step > 0) this.change(0, input.now);
    if (resize) this.followBitrate(input);
    this.limited = input.pressure && (resize || dropFrames);
    let skip = false;
    if (input.pressure) {
      if (input.preference === 'maintain-resolution') skip = true;
      else if (input.preference === 'balanced') {
        // Half the frame rate, and a step smaller, until the queue drains.
        skip = this.skipNext;
        this.skipNext = !this.skipNext;
      }
      if (resize && input.now - this.lastChange >= DOWN_INTERVAL_MS) this.stepDown(input);
    } else {
      this.skipNext = false;
    }
    if (skip) this.framesSkipped++;
    const factor = STEPS[this.step]!;
    return {
      skip,
      width: even(input.width / factor),
      height: even(input.height / factor),
    };
  }

  private followBitrate(input: AdaptationInput): void {
    const target = input.targetBitrate;
    if (target === undefined) return;
    const need = (step: number) => {
      const f = STEPS[step]!;
      return (input.width / f) * (input.height / f) * input.framesPerSecond * MIN_BITS_PER_PIXEL;
    };
    const since = input.now - this.lastChange;
    if (target < need(this.step) && since >= DOWN_INTERVAL_MS) this.stepDown(input);
    else if (this.step > 0 && target >= need(this.step - 1) * UP_HEADROOM && since >= UP_INTERVAL_MS)
      this.change(this.step - 1, input.now);
  }

  private stepDown(input: AdaptationInput): void {
    const next = this.step + 1;
    if (next >= STEPS.length || input.width / STEPS[next]! < MIN_WIDTH) return;
    this.change(next, input.now);
  }

  private change(step: number, now: number): void {
    if (step === this.step) return;
    this.step = step;
    this.lastChange = now;
    this.resolutionChanges++;
  }
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}
