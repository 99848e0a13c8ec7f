/**
 * `receiver.layers` (a tsrtc extension of RTCRtpReceiver): what a receiver of simulcast offers beyond its one
 * W3C track. The track follows one layer — by default the highest one that is arriving (the last listed in
 * the peer's a=simulcast: by the W3C/Chromium convention encodings go from lowest to highest resolution) —
 * switching only at a keyframe of the new layer; `select(rid)` pins it. `track(rid)` gives a track of one
 * layer's own frames. Encoded frames of every layer can be tapped without decoding (forwarding), and
 * keyframes asked for per layer. Nothing is decoded for a track nobody reads.
 */
import type { EncodedFrame } from '../media/encoded-frame.js';
import type { MediaStreamTrack } from '../media/track.js';

/** One complete encoded frame as the receiver got it. */
export interface ReceivedEncodedFrame {
  /** The simulcast layer (rid), or undefined for a single stream. */
  readonly rid: string | undefined;
  readonly ssrc: number;
  /** The frame; its pts counts from this stream's first frame, in the codec's RTP clock. */
  readonly frame: EncodedFrame;
  /** When it was complete (the connection's clock, ms). */
  readonly receivedAt: number;
}

export type EncodedFrameListener = (frame: ReceivedEncodedFrame) => void;

/** What the layers object needs from the media path once negotiation attached one. */
export interface ReceiverLayersBackend {
  readonly rids: readonly string[];
  readonly current: string | undefined;
  readonly activeRids: readonly string[];
  select(rid: string | null): void;
  layerTrack(rid: string): MediaStreamTrack;
  requestKeyframe(rid: string | undefined): void;
}

export class RTCRtpReceiverLayers {
  private backend: ReceiverLayersBackend | undefined;
  private choice: string | null = null;
  private readonly listeners = new Set<EncodedFrameListener>();

  /** The rids the peer sends, in its a=simulcast order; empty for a single stream (or before negotiation). */
  get rids(): readonly string[] {
    return this.backend?.rids ?? [];
  }

  /** The layers frames arrived on within the last 2 s, in `rids` order. */
  get active(): readonly string[] {
    return this.backend?.activeRids ?? [];
  }

  /** The layer the receiver's track follows: a rid, or null for the highest arriving one (the default). */
  get selected(): string | null {
    return this.choice;
  }

  /** The layer the track shows now (undefined before its first keyframe, or for a single stream). */
  get current(): string | undefined {
    return this.backend?.current;
  }

  /** Make the receiver's track follow `rid` (null: the highest arriving layer); the switch waits for a keyframe. */
  select(rid: string | null): void {
    this.choice = rid;
    this.backend?.select(rid);
  }

  /** A track of one layer's decoded frames (the same track for the same rid); decoded only once read. */
  track(rid: string): MediaStreamTrack {
    if (!this.backend)
      throw new DOMException('the receiver has not negotiated media yet', 'InvalidStateError');
    if (!this.backend.rids.includes(rid)) throw new RangeError(`the peer sends no layer '${rid}'`);
    return this.backend.layerTrack(rid);
  }

  /** Every complete encoded frame of every layer as it arrives, not decoded. Returns the unsubscribe. */
  onEncodedFrame(listener: EncodedFrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ask the sender for a keyframe of a layer (undefined: the single stream, or every layer). */
  requestKeyframe(rid?: string): void {
    this.backend?.requestKeyframe(rid);
  }

  /** @internal The media path of this receiver (after negotiation). */
  attach(backend: ReceiverLayersBackend): void {
    this.backend = backend;
    backend.select(this.choice);
  }

  /** @internal */
  get hasEncodedListeners(): boolean {
    return this.listeners.size > 0;
  }

  /** @internal */
  deliver(frame: ReceivedEncodedFrame): void {
    for (const l of this.listeners) l(frame);
  }
}
