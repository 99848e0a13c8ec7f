/**
 * A peer connection's getStats(): the transports' entries (stats.ts) and the RTP entries of its media
 * (rtp-stats.ts) in one report, whole or narrowed to one track, sender or receiver (W3C stats selection).
 */
import { invalidAccess } from '../common/errors.js';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import type { RTCCertificate } from '../dtls/certificate.js';
import type { MediaStreamTrack } from '../media/track.js';
import type { Clock } from '../net/clock.js';
import type { MediaPipelines } from './media-pipelines.js';
import { addRtpStats } from './rtp-stats.js';
import { collectStats, type RTCStats, type RTCStatsReport, selectStats } from './stats.js';
import type { RTCRtpTransceiver } from './transceiver.js';
import type { ConnectionTransports } from './transports.js';

export interface ConnectionStatsSources {
  readonly clock: Clock;
  readonly transports: ConnectionTransports;
  readonly pipelines: MediaPipelines;
  readonly channels: readonly RTCDataChannel[];
  transceivers(): readonly RTCRtpTransceiver[];
  certificate(): RTCCertificate | undefined;
}

export class ConnectionStats {
  constructor(private readonly sources: ConnectionStatsSources) {}

  /** RTCPeerConnection.getStats(selector): everything, or what the track's sender or receiver reaches. */
  async forSelector(selector?: MediaStreamTrack | null): Promise<RTCStatsReport> {
    if (selector) {
      const owner = this.sources
        .transceivers()
        .find((t) => t.sender.track === selector || t.receiver.track === selector);
      if (!owner) throw invalidAccess('the selector is not a track of this connection');
    }
    const report = this.collect();
    if (!selector) return report;
    return selectStats(report, (s) => s.trackIdentifier === selector.id);
  }

  /** A sender's or receiver's getStats(): its RTP stats and what they reference. */
  async select(isRoot: (s: RTCStats) => boolean): Promise<RTCStatsReport> {
    return selectStats(this.collect(), isRoot);
  }

  private collect(): RTCStatsReport {
    const { transports, pipelines } = this.sources;
    const timestamp = this.sources.clock.wallTime();
    const report = collectStats({
      transports: transports.all,
      sctpTransport: transports.sctp,
      certificate: this.sources.certificate(),
      channels: this.sources.channels,
      availableOutgoingBitrate: pipelines.lastEstimate?.availableOutgoingBitrate,
      timestamp,
    });
    const links = transports.all.flatMap((x) => (x.media ? [{ link: x.media, transportId: x.statsId }] : []));
    if (links.length > 0) addRtpStats(report, links, pipelines, timestamp);
    return report;
  }
}
