/**
 * An EncodedFrame read from a container, with its decode timestamp: frames of a stream with B-frames come in
 * decode order with pts out of order, and a recorder needs the dts to remux them.
 */
import { type CodecName, EncodedFrame } from '../../media/encoded-frame.js';
import type { Fraction } from '../../media/time-base.js';

export class DemuxedFrame extends EncodedFrame {
  constructor(
    codec: CodecName,
    data: Uint8Array,
    pts: number,
    timeBase: Fraction,
    keyframe: boolean,
    /** Decode timestamp in `timeBase`, on the same origin as `pts` (dts ≤ pts). */
    readonly dts: number,
  ) {
    super(codec, data, pts, timeBase, keyframe);
  }
}
