/**
 * Which encoded frames of a simulcast source go out, and with what timestamps: the decision an SFU makes per
 * subscriber, and a receiver makes for the one track that follows a selected layer. Sans-I/O and codec-free.
 *
 * - A layer is entered only at one of its keyframes: until the target layer's keyframe arrives, the current
 *   layer keeps flowing (no gap), and `keyframeWanted` names the layer to ask a keyframe of.
 * - After a gap (`skipToKeyframe()`: a subscriber that fell behind, a restarted source) only a keyframe of the
 *   current layer resumes the flow; the frames before it are dropped.
 * - Presentation times stay continuous: each layer (and each source) counts its pts from an origin of its own,
 *   so on every switch the offset is chosen to put the first frame of the new layer one arrival gap after the
 *   last frame that went out. The sending session turns those pts into RTP timestamps of its own SSRC.
 */
import { EncodedFrame } from '../../media/encoded-frame.js';
import type { Fraction } from '../../media/time-base.js';

/** Frames of one stream (a rid, or `undefined` for a single-stream source). */
export type LayerId = string | undefined;

export interface LayerSwitchStats {
  framesIn: number;
  framesOut: number;
  /** Frames of the selected layers that were not sent: waiting for a keyframe, or of another layer. */
  framesDropped: number;
  switches: number;
}

export class LayerSwitch {
  readonly stats: LayerSwitchStats = { framesIn: 0, framesOut: 0, framesDropped: 0, switches: 0 };
  private targetLayer: LayerId;
  private hasTarget = false;
  private currentLayer: LayerId;
  private flowing = false;
  /** The current layer needs a keyframe before anything more goes out (a gap, a restart). */
  private awaitingKeyframe = true;
  /** Output pts = input pts + offset (in the frame's time base), chosen at every switch. */
  private offset = 0;
  private last: { pts: number; receivedAt: number; timeBase: Fraction } | undefined;

  /** The layer frames are wanted from. */
  get target(): LayerId {
    return this.targetLayer;
  }

  /** The layer frames go out from now (undefined before the first keyframe). */
  get current(): LayerId {
    return this.flowing ? this.currentLayer : undefined;
  }

  /** The layer a keyframe should be asked of (the target while switching, or the current after a gap). */
  get keyframeWanted(): { layer: LayerId } | undefined {
    if (!this.hasTarget) return undefined;
    if (!this.flowing || this.targetLayer !== this.currentLayer) return { layer: this.targetLayer };
    return this.awaitingKeyframe ? { layer: this.currentLayer } : undefined;
  }

  /** Choose the layer to follow. True when this starts a switch (a keyframe of `layer` is now wanted). */
  setTarget(layer: LayerId): boolean {
    const changed = !this.hasTarget || layer !== this.targetLayer;
    this.targetLayer = layer;
    this.hasTarget = true;
    return changed && (!this.flowing || layer !== this.currentLayer);
  }

  /** Drop everything until the next keyframe (of the target layer); timestamps stay continuous. */
  skipToKeyframe(): void {
    this.awaitingKeyframe = true;
  }

  /** The source was replaced: its pts have another origin, so the next keyframe starts a new offset. */
  restart(): void {
    this.flowing = false;
    this.awaitingKeyframe = true;
  }

  /**
   * One complete frame of `layer`, arrived at `receivedAt` (ms). Returns the frame to send (with its pts
   * rebased when needed; the same object when not) or undefined to drop it.
   */
  accept(layer: LayerId, frame: EncodedFrame, receivedAt: number): EncodedFrame | undefined {
    this.stats.framesIn++;
    if (!this.hasTarget) return undefined;
    const switching = !this.flowing || (layer === this.targetLayer && this.targetLayer !== this.currentLayer);
    if (layer === this.targetLayer && frame.keyframe && (switching || this.awaitingKeyframe)) {
      if (switching) {
        this.offset = this.offsetFor(frame, receivedAt);
        if (this.flowing) this.stats.switches++;
        this.currentLayer = layer;
        this.flowing = true;
      }
      this.awaitingKeyframe = false;
      return this.out(frame, receivedAt);
    }
    if (!this.flowing || layer !== this.currentLayer) {
      if (layer === this.targetLayer || layer === this.currentLayer) this.stats.framesDropped++;
      return undefined;
    }
    if (this.awaitingKeyframe && !frame.keyframe) {
      this.stats.framesDropped++;
      return undefined;
    }
    this.awaitingKeyframe = false;
    return this.out(frame, receivedAt);
  }

  private out(frame: EncodedFrame, receivedAt: number): EncodedFrame {
    this.stats.framesOut++;
    const pts = frame.pts + this.offset;
    this.last = { pts, receivedAt, timeBase: frame.timeBase };
    if (this.offset === 0) return frame;
    return new EncodedFrame(frame.codec, frame.data, pts, frame.timeBase, frame.keyframe);
  }

  /** The offset that puts this frame one arrival gap (at least one tick) after the last one sent. */
  private offsetFor(frame: EncodedFrame, receivedAt: number): number {
    const last = this.last;
    if (!last) return 0;
    // The last pts in this frame's time base (the same one, unless the codec clock changed).
    const lastPts = last.timeBase.equals(frame.timeBase)
      ? last.pts
      : Math.round(
          (last.pts * last.timeBase.num * frame.timeBase.den) / (last.timeBase.den * frame.timeBase.num),
        );
    const gap = Math.max(1, Math.round(ticks(receivedAt - last.receivedAt, frame.timeBase)));
    return lastPts + gap - frame.pts;
  }
}

/** Milliseconds in units of a time base. */
function ticks(ms: number, timeBase: Fraction): number {
  return (Math.max(0, ms) / 1000) * (timeBase.den / timeBase.num);
}
