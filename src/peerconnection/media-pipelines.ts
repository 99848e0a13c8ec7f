/**
 * The media pipelines of a peer connection: one sender pipeline and one receiver pipeline per transceiver,
 * reconfigured after every negotiation from the negotiated media sections, and the routing of the media
 * session's events to them by mid.
 */
import type { Clock } from '../net/clock.js';
import type { MediaSessionEvent } from '../rtp/media-session-types.js';
import type { MediaSectionConfig, MediaSessionConfig } from '../rtp/session-config.js';
import type { MediaLink } from './media-link.js';
import { ReceiverPipeline } from './receiver-pipeline.js';
import { SenderPipeline } from './sender-pipeline.js';
import type { RTCRtpTransceiver } from './transceiver.js';

export interface TransceiverMedia {
  readonly transceiver: RTCRtpTransceiver;
  readonly send: SenderPipeline;
  readonly receive: ReceiverPipeline;
  section: MediaSectionConfig | undefined;
}

export class MediaPipelines {
  private readonly entries = new Map<RTCRtpTransceiver, TransceiverMedia>();
  private link: MediaLink | undefined;

  constructor(private readonly clock: Clock) {}

  /** The pipelines of a transceiver (made on first use). */
  of(t: RTCRtpTransceiver): TransceiverMedia {
    let entry = this.entries.get(t);
    if (!entry) {
      const send = new SenderPipeline(t.kind, this.clock);
      send.setTrack(t.sender.track);
      const receive = new ReceiverPipeline(t.kind, t.receiver.track, this.clock, () => {
        if (t.mid !== null) this.link?.requestKeyframe(t.mid);
      });
      entry = { transceiver: t, send, receive, section: undefined };
      this.entries.set(t, entry);
      t.sender.onTrackChange = (track) => send.setTrack(track);
      t.sender.onEncodingsChange = (encodings) => {
        const e = encodings[0] ?? {};
        send.setControls({
          active: e.active ?? true,
          maxBitrate: e.maxBitrate,
          maxFramerate: e.maxFramerate,
          scaleResolutionDownBy: e.scaleResolutionDownBy,
        });
      };
    }
    return entry;
  }

  /** After a negotiation: every transceiver with a mid follows its negotiated section. */
  sync(transceivers: readonly RTCRtpTransceiver[], config: MediaSessionConfig, link: MediaLink): void {
    this.link = link;
    const sections = new Map(config.media.map((m) => [m.mid, m]));
    for (const t of transceivers) {
      const entry = this.of(t);
      const section = t.mid !== null && !t.stopped ? sections.get(t.mid) : undefined;
      entry.section = section;
      t.sender.negotiatedSection = section;
      entry.send.configure(link, section);
      t.receiver.media = { link, mid: t.mid, pipeline: entry.receive };
    }
  }

  /** A media session event, to the pipeline of its mid. */
  dispatch(event: MediaSessionEvent): void {
    // the estimate itself and send pressure concern the connection (stats), not one pipeline (yet)
    if (
      event.type === 'transport-feedback' ||
      event.type === 'bandwidth-estimate' ||
      event.type === 'send-pressure'
    )
      return;
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
        entry.send.requestKeyframe();
        break;
      case 'receive-activity':
        entry.receive.onActivity(event.active);
        break;
      case 'stream-added':
        break;
      case 'stream-removed':
        if (event.reason === 'bye') entry.receive.onActivity(false);
        break;
    }
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
