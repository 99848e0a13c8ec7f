/** getStats() of a MediaSession: plain data per stream and for the session (the W3C mapping is the caller's). */
import type { SrtpSession } from '../srtp/session.js';
import type { TwccRecorder } from './feedback/twcc-recorder.js';
import type {
  BandwidthStats,
  InboundStreamStats,
  MediaSessionCounters,
  MediaSessionStats,
  OutboundStreamStats,
} from './media-session-types.js';
import type { Pacer } from './pacer.js';
import type { ReceiveStream } from './stream/receive-stream.js';
import type { SendStream } from './stream/send-stream.js';

export function collectStats(input: {
  now: number;
  receiveStreams: Iterable<ReceiveStream>;
  sendStreams: Iterable<SendStream>;
  counters: MediaSessionCounters;
  srtp: SrtpSession | undefined;
  pacer: Pacer<{ readonly size: number }>;
  twcc: TwccRecorder;
  bandwidth: BandwidthStats | undefined;
  receiveEstimate: MediaSessionStats['receiveEstimate'];
  routedSsrcs: number;
  transmitQueue: number;
  eventQueue: number;
}): MediaSessionStats {
  const inbound: InboundStreamStats[] = [];
  let bufferedPackets = 0;
  for (const s of input.receiveStreams) {
    const st = s.statistics;
    bufferedPackets += s.bufferedPackets;
    inbound.push({
      mid: s.mid,
      rid: s.rid,
      ssrc: s.ssrc,
      rtxSsrc: s.rtxSsrc,
      kind: s.kind,
      payloadType: s.codec?.payloadType,
      packetsReceived: st?.packetsReceived ?? 0,
      bytesReceived: st?.bytesReceived ?? 0,
      headerBytesReceived: st?.headerBytesReceived ?? 0,
      packetsLost: st?.packetsLost ?? 0,
      jitter: st ? st.jitter / st.clockRate : 0,
      ...s.counters,
      pliSent: s.keyframes.pliSent,
      firSent: s.keyframes.firSent,
      lastPacketReceivedAt: s.lastPacketAt,
      active: s.active,
      cname: s.cname,
      jitterBuffer: s.jitterBufferStats ? { ...s.jitterBufferStats } : undefined,
      remoteSender: s.senderReport ? { ...s.senderReport } : undefined,
    });
  }
  const outbound: OutboundStreamStats[] = [];
  let historyBytes = 0;
  for (const s of input.sendStreams) {
    historyBytes += s.history.bytes;
    outbound.push({
      mid: s.mid,
      rid: s.rid,
      ssrc: s.ssrc,
      rtxSsrc: s.rtxSsrc,
      kind: s.kind,
      ...s.counters,
      nack: { ...s.nack.stats },
      keyframeRequests: { ...s.keyframeRequests.stats },
      remote: s.remoteReport ? { ...s.remoteReport } : undefined,
      historyPackets: s.history.size,
    });
  }
  const srtp = input.srtp;
  return {
    inbound,
    outbound,
    counters: { ...input.counters },
    srtp: srtp ? { inbound: { ...srtp.inbound.stats }, outbound: { ...srtp.outbound.stats } } : undefined,
    pacer: {
      ...input.pacer.stats,
      queued: input.pacer.queued,
      rateBps: input.pacer.rateBps,
      queueTimeMs: input.pacer.queueTimeMs(),
    },
    twcc: { ...input.twcc.stats },
    bandwidth: input.bandwidth,
    receiveEstimate: input.receiveEstimate,
    sizes: {
      receiveStreams: inbound.length,
      sendStreams: outbound.length,
      routedSsrcs: input.routedSsrcs,
      bufferedPackets,
      historyBytes,
      pacerQueue: input.pacer.queued,
      transmitQueue: input.transmitQueue,
      eventQueue: input.eventQueue,
      twccPending: input.twcc.pending,
      srtpInboundStreams: srtp?.inbound.streamCount ?? 0,
      srtpOutboundStreams: srtp?.outbound.streamCount ?? 0,
    },
  };
}
