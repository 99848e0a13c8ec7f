/**
 * The receive side of an RTCRtpReceiver: encoded frames from the media session go to whoever wants them —
 * the encoded-frame listeners of `receiver.layers` (forwarding, no decoding), the receiver's track (decoded,
 * once someone reads it) and per-layer tracks (decoded, once read). With simulcast the receiver's track
 * follows one layer through a LayerSwitch: the highest arriving layer by default, or the one selected, entered
 * at its keyframe (asked for) with continuous timestamps. Each decoding track has its own FrameDecoder.
 */
import type { Clock } from '../net/clock.js';
import { LayerSwitch } from '../rtp/forward/layer-switch.js';
import type { FrameEvent } from '../rtp/media-session-types.js';
import { type DecoderStats, emptyDecoderStats, FrameDecoder } from './frame-decoder.js';
import type { ReceiverLayersBackend, RTCRtpReceiverLayers } from './receiver-layers.js';
import { RemoteStreamTrack } from './remote-track.js';

export type { DecoderStats } from './frame-decoder.js';

/** While a keyframe is wanted, ask again this often (the session limits PLIs too). */
const KEYFRAME_RETRY_MS = 500;

interface LayerTrack {
  readonly track: RemoteStreamTrack;
  readonly decoder: FrameDecoder;
}

export class ReceiverPipeline implements ReceiverLayersBackend {
  private readonly main: FrameDecoder;
  private readonly mainSwitch = new LayerSwitch();
  private readonly layerTracks = new Map<string, LayerTrack>();
  private ridList: string[] = [];
  private readonly arriving = new Set<string>();
  private choice: string | null = null;
  private readonly keyframeAskedAt = new Map<string | undefined, number>();
  private framesReceived = 0;
  private closed = false;

  constructor(
    readonly kind: 'audio' | 'video',
    private readonly track: RemoteStreamTrack,
    private readonly clock: Clock,
    /** Ask the sender for a keyframe (PLI/FIR through the session) of a layer, or of the single stream. */
    private readonly askKeyframe: (rid: string | undefined) => void,
    private readonly layers: RTCRtpReceiverLayers,
  ) {
    this.main = new FrameDecoder(kind, track, clock, () => this.requestKeyframe(this.mainSwitch.current));
    track.onDemand = () => {
      // Decoding starts now, at a keyframe of the followed layer.
      this.mainSwitch.restart();
      this.requestKeyframe(this.ridList.length > 0 ? this.mainSwitch.target : undefined);
    };
    layers.attach(this);
  }

  /** The decode statistics of the receiver's track (framesReceived: every frame of the followed layers). */
  get stats(): DecoderStats {
    return { ...this.main.stats, framesReceived: this.framesReceived };
  }

  /** The decode statistics of a layer's own track, when one was made. */
  layerStats(rid: string): DecoderStats | undefined {
    return this.layerTracks.get(rid)?.decoder.stats;
  }

  /**
   * The statistics for a received stream (inbound-rtp): a single stream's are the track's; a layer's are its
   * own track's when one is read, else the receiver track's while that shows the layer, else none decoded.
   */
  statsFor(rid: string | undefined): DecoderStats {
    if (rid === undefined || this.ridList.length === 0) return this.stats;
    const own = this.layerStats(rid);
    if (own && this.layerTracks.get(rid)!.track.demanded) return own;
    return rid === this.current ? this.stats : emptyDecoderStats();
  }

  /** The negotiated layers (after every round): the peer's rids in its a=simulcast order. */
  configure(rids: readonly string[]): void {
    this.ridList = [...rids];
    for (const rid of [...this.arriving]) if (!rids.includes(rid)) this.arriving.delete(rid);
    this.retarget();
  }

  get rids(): readonly string[] {
    return this.ridList;
  }

  get activeRids(): readonly string[] {
    return this.ridList.filter((r) => this.arriving.has(r));
  }

  get current(): string | undefined {
    return this.ridList.length > 0 ? this.mainSwitch.current : undefined;
  }

  select(rid: string | null): void {
    this.choice = rid;
    this.retarget();
  }

  layerTrack(rid: string): RemoteStreamTrack {
    let entry = this.layerTracks.get(rid);
    if (!entry) {
      const track = new RemoteStreamTrack(this.kind);
      const decoder = new FrameDecoder(this.kind, track, this.clock, () => this.requestKeyframe(rid));
      track.onDemand = () => this.requestKeyframe(rid);
      entry = { track, decoder };
      this.layerTracks.set(rid, entry);
    }
    return entry.track;
  }

  requestKeyframe(rid: string | undefined): void {
    if (this.closed || this.kind !== 'video') return;
    if (rid === undefined && this.ridList.length > 0) {
      for (const r of this.ridList) this.askKeyframe(r);
      return;
    }
    this.keyframeAskedAt.set(rid, this.clock.now());
    this.askKeyframe(rid);
  }

  /** A complete encoded frame from the session. */
  onFrame(event: FrameEvent): void {
    if (this.closed) return;
    const { frame, rid, receivedAt } = event;
    this.track.setRemoteMuted(false);
    if (this.layers.hasEncodedListeners) this.layers.deliver({ rid, ssrc: event.ssrc, frame, receivedAt });
    if (this.ridList.length === 0) {
      this.framesReceived++;
      if (this.track.demanded) this.main.push(frame, receivedAt);
      return;
    }
    if (rid === undefined) return;
    if (!this.arriving.has(rid) && this.ridList.includes(rid)) {
      this.arriving.add(rid);
      this.retarget();
    }
    const layer = this.layerTracks.get(rid);
    if (layer?.track.demanded) layer.decoder.push(frame, receivedAt);
    if (rid === this.mainSwitch.target || rid === this.mainSwitch.current) this.framesReceived++;
    if (!this.track.demanded) return;
    const out = this.mainSwitch.accept(rid, frame, receivedAt);
    if (out) this.main.push(out, receivedAt);
    const wanted = this.mainSwitch.keyframeWanted;
    if (wanted) {
      const asked = this.keyframeAskedAt.get(wanted.layer);
      if (asked === undefined || this.clock.now() - asked >= KEYFRAME_RETRY_MS)
        this.requestKeyframe(wanted.layer);
    }
  }

  /** Media stopped or resumed arriving on one of this receiver's streams. */
  onActivity(rid: string | undefined, active: boolean): void {
    if (rid !== undefined && this.ridList.includes(rid)) {
      if (active) this.arriving.add(rid);
      else this.arriving.delete(rid);
      this.retarget();
      // The track is muted only when no layer arrives.
      this.track.setRemoteMuted(this.arriving.size === 0);
      this.layerTracks.get(rid)?.track.setRemoteMuted(!active);
      return;
    }
    this.track.setRemoteMuted(!active);
  }

  close(): void {
    this.closed = true;
    this.main.close();
    for (const l of this.layerTracks.values()) {
      l.decoder.close();
      l.track.stop();
    }
  }

  /** The layer the track should follow: the chosen one, else the highest arriving (the last listed). */
  private retarget(): void {
    if (this.ridList.length === 0) return;
    let target: string | undefined;
    if (this.choice !== null && this.ridList.includes(this.choice)) target = this.choice;
    else {
      for (const r of this.ridList) if (this.arriving.has(r)) target = r;
    }
    if (target === undefined) return;
    if (this.mainSwitch.setTarget(target) && this.track.demanded) this.requestKeyframe(target);
  }
}
