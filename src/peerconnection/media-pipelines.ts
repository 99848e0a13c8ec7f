/**
 * The media pipelines of a peer connection: one sender pipeline and one receiver pipeline per transceiver,
 * reconfigured after every negotiation from the negotiated media sections, and the routing of the media
 * session's events to them by mid.
 */
import { isNodeAvInstalled, loadNodeAv } from '../media/codecs/node-av.js';
import type { Clock } from '../net/clock.js';
import type { BandwidthEstimateEvent, MediaSessionEvent } from '../rtp/media-session-types.js';
import type { MediaSectionConfig, MediaSessionConfig, SendEncodingConfig } from '../rtp/session-config.js';
import type { MediaLink } from './media-link.js';
import { ReceiverPipeline } from './receiver-pipeline.js';
import { SenderPipeline } from './sender-pipeline.js';
import type { RTCRtpEncodingParameters, RTCRtpSender, RTCRtpTransceiver } from './transceiver.js';

export interface TransceiverMedia {
  readonly transceiver: RTCRtpTransceiver;
  readonly send: SenderPipeline;
  readonly receive: ReceiverPipeline;
  section: MediaSectionConfig | undefined;
}

/**
 * Load FFmpeg (node-av) in the background as soon as a connection has media: importing it blocks the event
 * loop for tens of milliseconds in pieces, which must not land on the first packets of a call (they would
 * look delayed in our transport-wide CC feedback, and the sender's bandwidth probe would fail).
 */
export function preloadCodecs(): void {
  if (isNodeAvInstalled()) void loadNodeAv('media').catch(() => undefined);
}

/**
 * The streams a sender sends for negotiated layers: its per-encoding SSRCs (stable across negotiations),
 * matched by rid; one stream (the first encoding's SSRCs) when no layer was negotiated.
 */
export function sendEncodingsOf(sender: RTCRtpSender, rids: readonly string[]): SendEncodingConfig[] {
  if (rids.length === 0) {
    const first = sender.encodingSsrcs[0]!;
    return [{ ssrc: first.ssrc, rtxSsrc: first.rtxSsrc }];
  }
  const encodings = sender.currentEncodings;
  const out: SendEncodingConfig[] = [];
  for (const rid of rids) {
    const index = encodings.findIndex((e) => e.rid === rid);
    const ssrcs = index >= 0 ? sender.encodingSsrcs[index] : undefined;
    if (ssrcs) out.push({ ssrc: ssrcs.ssrc, rtxSsrc: ssrcs.rtxSsrc, rid });
  }
  return out;
}

export class MediaPipelines {
  private readonly entries = new Map<RTCRtpTransceiver, TransceiverMedia>();
  /** The connection's latest bandwidth estimate (W3C availableOutgoingBitrate). */
  lastEstimate: BandwidthEstimateEvent | undefined;
  /** The media session each mid's section runs on (its transport's), from the last negotiation. */
  private linkFor: (mid: string) => MediaLink | undefined = () => undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onEstimate: (event: BandwidthEstimateEvent) => void = () => undefined,
  ) {}

  /** The pipelines of a transceiver (made on first use). */
  of(t: RTCRtpTransceiver): TransceiverMedia {
    let entry = this.entries.get(t);
    if (!entry) {
      const send = new SenderPipeline(t.kind, this.clock, () => t.sender.degradationPreference);
      send.setTrack(t.sender.track);
      const receive = new ReceiverPipeline(
        t.kind,
        t.receiver.track,
        this.clock,
        (rid) => {
          if (t.mid !== null) this.linkFor(t.mid)?.requestKeyframe(t.mid, rid);
        },
        t.receiver.layers,
      );
      entry = { transceiver: t, send, receive, section: undefined };
      this.entries.set(t, entry);
      t.sender.onTrackChange = (track) => send.setTrack(track);
      const encodingsChanged = (encodings: readonly RTCRtpEncodingParameters[]) =>
        send.setEncodings(
          encodings.map((e) => ({
            rid: e.rid,
            active: e.active ?? true,
            maxBitrate: e.maxBitrate,
            maxFramerate: e.maxFramerate,
            scaleResolutionDownBy: e.scaleResolutionDownBy,
          })),
        );
      t.sender.onEncodingsChange = (encodings) => {
        encodingsChanged(encodings);
        this.applyLimits(t, send);
      };
      encodingsChanged(t.sender.currentEncodings);
    }
    return entry;
  }

  /** After a negotiation: every transceiver with a mid follows its negotiated section, on its transport. */
  sync(
    transceivers: readonly RTCRtpTransceiver[],
    config: MediaSessionConfig,
    linkFor: (mid: string) => MediaLink | undefined,
  ): void {
    this.linkFor = linkFor;
    if (config.media.length > 0) preloadCodecs();
    const sections = new Map(config.media.map((m) => [m.mid, m]));
    for (const t of transceivers) {
      const entry = this.of(t);
      const section = t.mid !== null && !t.stopped ? sections.get(t.mid) : undefined;
      entry.section = section;
      t.sender.negotiatedSection = section;
      const link = t.mid !== null ? linkFor(t.mid) : undefined;
      entry.send.configure(link, section);
      this.applyLimits(t, entry.send);
      entry.receive.configure(section?.receiveRids ?? []);
      t.receiver.media = link ? { link, mid: t.mid, pipeline: entry.receive } : undefined;
    }
  }

  /** A media session event, to the pipeline of its mid. */
  dispatch(event: MediaSessionEvent): void {
    if (event.type === 'transport-feedback') return;
    if (event.type === 'bandwidth-estimate') {
      this.lastEstimate = event;
      this.onEstimate(event);
      return;
    }
    if (event.type === 'send-pressure') {
      for (const e of this.entries.values())
        if (e.transceiver.kind === 'video') e.send.setSendPressure(event.active);
      return;
    }
    if (event.type === 'target-bitrate') {
      for (const e of this.entries.values()) {
        if (event.mid === undefined || e.transceiver.mid === event.mid)
          e.send.setRemoteEstimate(event.bitrate);
      }
      return;
    }
    const entry = this.byMid(event.mid);
    if (!entry) return;
    switch (event.type) {
      case 'frame':
        entry.receive.onFrame(event);
        break;
      case 'keyframe-request':
        entry.send.requestKeyframe(event.rid);
        break;
      case 'receive-activity':
        entry.receive.onActivity(event.rid, event.active);
        break;
      case 'stream-added':
        break;
      case 'stream-removed':
        if (event.reason === 'bye') entry.receive.onActivity(event.rid, false);
        break;
    }
  }

  /** The session keeps a section's share of the estimate within its encodings' maxBitrate. */
  private applyLimits(t: RTCRtpTransceiver, send: SenderPipeline): void {
    const link = t.mid === null ? undefined : this.linkFor(t.mid);
    if (!link || t.mid === null) return;
    const maxBitrate = send.maxBitrate;
    link.setBitrateLimits(t.mid, maxBitrate === undefined ? undefined : { maxBitrate });
  }

  all(): IterableIterator<TransceiverMedia> {
    return this.entries.values();
  }

  close(): void {
    for (const e of this.entries.values()) {
      e.send.close();
      e.receive.close();
    }
  }

  private byMid(mid: string): TransceiverMedia | undefined {
    for (const e of this.entries.values()) if (e.transceiver.mid === mid && !e.transceiver.stopped) return e;
    return undefined;
  }
}
