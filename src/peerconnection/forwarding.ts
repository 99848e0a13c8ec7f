/**
 * Forwarding without decoding (the base of a media server): a MediaForwarder taps the encoded frames of one
 * RTCRtpReceiver (every simulcast layer) and hands them to any number of ForwardedTracks, each the track of a
 * sender on another connection (`pc.addTrack(forwarder.subscribe())` or `sender.replaceTrack(…)`). The
 * sending session re-payloads each frame on its own SSRC with its own sequence numbers and RTP timestamps
 * (from the pts, which each subscriber's LayerSwitch keeps continuous across layer and source switches), and
 * keeps its own send history, so each subscriber's NACKs are answered by its own connection.
 *
 * Per subscriber: a layer (rid) or the highest arriving one, entered at its keyframe (asked of the source);
 * a bounded queue — a subscriber that falls behind drops its backlog and resumes at the next keyframe
 * without holding up the others. A subscriber's PLI/FIR reaches `ForwardedTrack.requestKeyframe()` (the
 * sender pipeline calls it) and goes back to the source receiver as a PLI/FIR of the layer, at most one per
 * `keyframeIntervalMs` per layer for all subscribers together.
 */

import type { EncodedFrame } from '../media/encoded-frame.js';
import { MediaStreamError } from '../media/errors.js';
import { type MediaKind, MediaStreamTrack } from '../media/track.js';
import { type Clock, nodeClock } from '../net/clock.js';
import { LayerSwitch, type LayerSwitchStats } from '../rtp/forward/layer-switch.js';
import type { ReceivedEncodedFrame } from './receiver-layers.js';
import type { RTCRtpReceiver } from './transceiver.js';

export interface MediaForwarderOptions {
  /** At most one keyframe request to the source per layer in this many ms (default 500). */
  keyframeIntervalMs?: number;
  /** A layer without a frame for this long is not chosen by automatic selection (default 1,000 ms). */
  layerTimeoutMs?: number;
  /** The clock keyframe requests are timed with (default the process clock). */
  clock?: Clock;
}

export interface ForwardOptions {
  /** The layer (rid) to forward; null or absent: the highest arriving layer. */
  layer?: string | null;
  /** Frames queued before this subscriber drops its backlog and waits for a keyframe (default 60). */
  maxQueue?: number;
}

export interface MediaForwarderStats {
  framesIn: number;
  keyframeRequestsSent: number;
  /** Requests within `keyframeIntervalMs` of the last one for the layer (already on their way). */
  keyframeRequestsCoalesced: number;
}

export interface ForwardedTrackStats extends LayerSwitchStats {
  /** Frames dropped because this subscriber fell behind (its queue overflowed). */
  framesDroppedBehind: number;
  keyframeRequests: number;
}

export class MediaForwarder {
  readonly stats: MediaForwarderStats = {
    framesIn: 0,
    keyframeRequestsSent: 0,
    keyframeRequestsCoalesced: 0,
  };
  private sourceReceiver: RTCRtpReceiver;
  private unsubscribe: () => void;
  private readonly subscribers = new Set<ForwardedTrack>();
  private readonly lastFrameAt = new Map<string | undefined, number>();
  private readonly lastRequestAt = new Map<string | undefined, number>();
  private arriving: string[] = [];
  private lastLayerCheck = -Infinity;
  private readonly clock: Clock;
  private readonly keyframeIntervalMs: number;
  private readonly layerTimeoutMs: number;
  private closed = false;

  constructor(source: RTCRtpReceiver, options: MediaForwarderOptions = {}) {
    this.clock = options.clock ?? nodeClock;
    this.keyframeIntervalMs = options.keyframeIntervalMs ?? 500;
    this.layerTimeoutMs = options.layerTimeoutMs ?? 1000;
    this.sourceReceiver = source;
    this.unsubscribe = source.layers.onEncodedFrame(this.onFrame);
  }

  get source(): RTCRtpReceiver {
    return this.sourceReceiver;
  }

  get kind(): MediaKind {
    return this.sourceReceiver.track.kind;
  }

  /** The source's layers (rids), lowest to highest as listed; empty for a single stream. */
  get rids(): readonly string[] {
    return this.sourceReceiver.layers.rids;
  }

  /** Layers with a frame within `layerTimeoutMs`, in `rids` order. */
  get arrivingLayers(): readonly string[] {
    return this.arriving;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** A new track for a sender of another connection; it starts at a keyframe of its layer. */
  subscribe(options: ForwardOptions = {}): ForwardedTrack {
    if (this.closed) throw new MediaStreamError('the forwarder is closed');
    const track = new ForwardedTrack(this, options);
    this.subscribers.add(track);
    track.retarget();
    return track;
  }

  /**
   * Forward another receiver from now on (a new publisher): every subscriber resumes at its keyframe with
   * timestamps continuing where they were.
   */
  setSource(source: RTCRtpReceiver): void {
    if (this.closed || source === this.sourceReceiver) return;
    this.unsubscribe();
    this.sourceReceiver = source;
    this.lastFrameAt.clear();
    this.arriving = [];
    this.unsubscribe = source.layers.onEncodedFrame(this.onFrame);
    for (const s of this.subscribers) s.restart();
  }

  /** Ask the source for a keyframe of a layer, coalescing requests within `keyframeIntervalMs`. */
  requestKeyframe(layer: string | undefined): void {
    if (this.closed || this.kind !== 'video') return;
    const now = this.clock.now();
    const last = this.lastRequestAt.get(layer);
    if (last !== undefined && now - last < this.keyframeIntervalMs) {
      this.stats.keyframeRequestsCoalesced++;
      return;
    }
    this.lastRequestAt.set(layer, now);
    this.stats.keyframeRequestsSent++;
    this.sourceReceiver.layers.requestKeyframe(layer);
  }

  /** Stop forwarding: every subscriber track ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const s of [...this.subscribers]) s.stop();
  }

  /** @internal */
  remove(track: ForwardedTrack): void {
    this.subscribers.delete(track);
  }

  /** @internal The highest arriving layer (the last listed), or the first listed before any arrives. */
  highestLayer(): string | undefined {
    return this.arriving[this.arriving.length - 1] ?? this.rids[this.rids.length - 1];
  }

  private readonly onFrame = (f: ReceivedEncodedFrame): void => {
    this.stats.framesIn++;
    const isNew = !this.lastFrameAt.has(f.rid);
    this.lastFrameAt.set(f.rid, f.receivedAt);
    if (isNew || f.receivedAt - this.lastLayerCheck >= this.layerTimeoutMs / 2)
      this.checkLayers(f.receivedAt);
    for (const s of this.subscribers) s.deliver(f);
  };

  /** Which layers arrive; subscribers on automatic selection follow the highest. */
  private checkLayers(now: number): void {
    this.lastLayerCheck = now;
    const arriving = this.rids.filter((r) => {
      const at = this.lastFrameAt.get(r);
      return at !== undefined && now - at < this.layerTimeoutMs;
    });
    if (arriving.join(',') === this.arriving.join(',')) return;
    this.arriving = arriving;
    for (const s of this.subscribers) s.retarget();
  }
}

/** A pass-through track (recv() yields EncodedFrames) of one forwarder subscriber. */
export class ForwardedTrack extends MediaStreamTrack {
  private readonly layerSwitch = new LayerSwitch();
  private readonly queue: EncodedFrame[] = [];
  private readonly waiters: { resolve: (f: EncodedFrame) => void; reject: (e: Error) => void }[] = [];
  private choice: string | null;
  private readonly maxQueue: number;
  private dropped = 0;
  private requests = 0;

  constructor(
    private readonly forwarder: MediaForwarder,
    options: ForwardOptions,
  ) {
    super({ label: 'forwarded' });
    this.choice = options.layer ?? null;
    this.maxQueue = options.maxQueue ?? 60;
    this.addEventListener('ended', () => {
      this.forwarder.remove(this);
      for (const w of this.waiters.splice(0)) w.reject(new MediaStreamError(`track ${this.id} has ended`));
      this.queue.length = 0;
    });
  }

  override get kind(): MediaKind {
    return this.forwarder.kind;
  }

  get stats(): ForwardedTrackStats {
    return { ...this.layerSwitch.stats, framesDroppedBehind: this.dropped, keyframeRequests: this.requests };
  }

  /** The layer frames come from now (undefined before the first keyframe, or for a single stream). */
  get layer(): string | undefined {
    return this.layerSwitch.current;
  }

  /** The layer asked for (null: the highest arriving). */
  get selectedLayer(): string | null {
    return this.choice;
  }

  /** Forward another layer (null: the highest arriving); the switch happens at its keyframe. */
  setLayer(layer: string | null): void {
    this.choice = layer;
    this.retarget();
  }

  recv(): Promise<EncodedFrame> {
    if (this.readyState !== 'live') return Promise.reject(new MediaStreamError(`track ${this.id} has ended`));
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The subscriber's PLI/FIR (the sender pipeline calls this): a keyframe of the layer it receives. */
  requestKeyframe(): void {
    this.requests++;
    const wanted = this.layerSwitch.keyframeWanted;
    this.forwarder.requestKeyframe(wanted ? wanted.layer : this.layerSwitch.current);
  }

  /** @internal */
  retarget(): void {
    const rids = this.forwarder.rids;
    const target =
      rids.length === 0
        ? undefined
        : this.choice !== null && rids.includes(this.choice)
          ? this.choice
          : this.forwarder.highestLayer();
    if (this.layerSwitch.setTarget(target)) this.forwarder.requestKeyframe(target);
  }

  /** @internal A new source: resume at its keyframe. */
  restart(): void {
    this.layerSwitch.restart();
    this.retarget();
    this.forwarder.requestKeyframe(this.layerSwitch.target);
  }

  /** @internal One frame of the source. */
  deliver(f: ReceivedEncodedFrame): void {
    if (this.readyState !== 'live') return;
    const out = this.layerSwitch.accept(f.rid, f.frame, f.receivedAt);
    if (out) {
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(out);
      else if (this.queue.length < this.maxQueue) this.queue.push(out);
      else {
        // Fallen behind: drop the backlog, resume at the next keyframe (the others go on).
        this.dropped += this.queue.length + 1;
        this.queue.length = 0;
        this.layerSwitch.skipToKeyframe();
      }
    }
    const wanted = this.layerSwitch.keyframeWanted;
    if (wanted) this.forwarder.requestKeyframe(wanted.layer);
  }
}
