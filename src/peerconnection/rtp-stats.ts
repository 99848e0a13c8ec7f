/**
 * The RTP part of getStats() as W3C dictionaries (webrtc-stats): `codec`, `outbound-rtp`, `inbound-rtp`,
 * `remote-inbound-rtp`, `media-source`, from the media session's counters and the pipelines' encoder and
 * decoder figures. Ids follow Chromium's shapes so references (`codecId`, `remoteId`, `mediaSourceId`,
 * `transportId`) resolve within the report.
 */
import type { MediaCodecConfig, MediaSectionConfig } from '../rtp/session-config.js';
import type { MediaLink } from './media-link.js';
import type { MediaPipelines, TransceiverMedia } from './media-pipelines.js';
import type { RTCStatsReport } from './stats.js';

function mimeType(kind: 'audio' | 'video', c: MediaCodecConfig): string {
  return `${kind}/${c.name}`;
}

function fmtpLine(c: MediaCodecConfig): string | undefined {
  const line = Object.entries(c.parameters)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(';');
  return line || undefined;
}

/** One `codec` entry per payload type in use (direction letter as Chromium: I inbound, O outbound). */
function addCodec(
  report: RTCStatsReport,
  timestamp: number,
  section: MediaSectionConfig,
  payloadType: number | undefined,
  direction: 'I' | 'O',
  transportId: string,
): string | undefined {
  if (payloadType === undefined) return undefined;
  const list = direction === 'O' ? section.sendCodecs : section.receiveCodecs;
  const c = list.find((x) => x.payloadType === payloadType);
  if (!c) return undefined;
  const id = `C${direction}${transportId}_${payloadType}`;
  if (!report.has(id)) {
    report.set(id, {
      id,
      type: 'codec',
      timestamp,
      transportId,
      payloadType,
      mimeType: mimeType(section.kind, c),
      clockRate: c.clockRate,
      channels: c.channels,
      sdpFmtpLine: fmtpLine(c),
    });
  }
  return id;
}

/** The RTP stats of every media session (one per transport that carries media). */
export function addRtpStats(
  report: RTCStatsReport,
  links: readonly { link: MediaLink; transportId: string }[],
  pipelines: MediaPipelines,
  timestamp: number,
): void {
  const entries = [...pipelines.all()];
  const sourceIds = new Map<TransceiverMedia, string>();
  for (const e of entries) {
    const track = e.transceiver.sender.track;
    if (!track || e.transceiver.mid === null) continue;
    const s = e.send.source;
    const id = `S${sourceIds.size + 1}`;
    report.set(id, {
      id,
      type: 'media-source',
      timestamp,
      trackIdentifier: track.id,
      kind: e.transceiver.kind,
      ...(e.transceiver.kind === 'audio'
        ? {
            audioLevel: s.audioLevel,
            totalAudioEnergy: s.totalAudioEnergy,
            totalSamplesDuration: s.totalSamplesDuration,
          }
        : { width: s.width, height: s.height, frames: s.frames, framesPerSecond: s.framesPerSecond }),
    });
    sourceIds.set(e, id);
  }
  for (const { link, transportId } of links)
    addSessionStats(report, link, transportId, entries, sourceIds, timestamp);
}

function addSessionStats(
  report: RTCStatsReport,
  link: MediaLink,
  transportId: string,
  entries: readonly TransceiverMedia[],
  sourceIds: ReadonlyMap<TransceiverMedia, string>,
  timestamp: number,
): void {
  const session = link.stats();
  const byMid = (mid: string): TransceiverMedia | undefined =>
    entries.find((e) => e.transceiver.mid === mid && e.section !== undefined);
  for (const out of session.outbound) {
    const e = byMid(out.mid);
    if (!e?.section) continue;
    const kindLetter = out.kind === 'audio' ? 'A' : 'V';
    const id = `O${transportId}${kindLetter}${out.ssrc}`;
    const codecId = addCodec(
      report,
      timestamp,
      e.section,
      e.section.sendCodecs.find((c) => c.codec === e.send.codec)?.payloadType,
      'O',
      transportId,
    );
    const remote = out.remote;
    const remoteId = remote ? `RI${transportId}${kindLetter}${out.ssrc}` : undefined;
    const enc = e.send.encoderStatsFor(out.rid);
    const layer = e.send.layerFor(out.rid);
    report.set(id, {
      id,
      type: 'outbound-rtp',
      timestamp,
      ssrc: out.ssrc,
      kind: out.kind,
      mid: out.mid,
      rid: out.rid,
      transportId: transportId,
      codecId,
      mediaSourceId: sourceIds.get(e),
      remoteId,
      trackIdentifier: e.transceiver.sender.track?.id,
      // W3C: packetsSent includes retransmissions; probe padding too, as libwebrtc counts it (Chromium counts
      // our padding-only RTX in its inbound packetsReceived and retransmittedPacketsReceived)
      packetsSent: out.packetsSent + out.retransmittedPacketsSent + out.paddingPacketsSent,
      bytesSent: out.bytesSent,
      headerBytesSent: out.headerBytesSent,
      retransmittedPacketsSent: out.retransmittedPacketsSent,
      retransmittedBytesSent: out.retransmittedBytesSent,
      rtxSsrc: out.rtxSsrc,
      nackCount: out.nack.nackPacketsReceived,
      pliCount: out.keyframeRequests.pliReceived,
      firCount: out.keyframeRequests.firReceived,
      active: e.send.controlsFor(out.rid).active,
      ...(out.kind === 'video'
        ? {
            framesSent: out.framesSent,
            framesEncoded: enc.framesEncoded,
            keyFramesEncoded: enc.keyFramesEncoded,
            totalEncodeTime: enc.totalEncodeTime,
            frameWidth: enc.frameWidth,
            frameHeight: enc.frameHeight,
            framesPerSecond: e.send.source.framesPerSecond,
            qualityLimitationReason: layer.adaptation.qualityLimitationReason,
            qualityLimitationResolutionChanges: layer.adaptation.resolutionChanges,
          }
        : {}),
      encoderImplementation: enc.encoderImplementation,
      targetBitrate: layer.encoder?.targetBitrate,
    });
    if (remote && remoteId) {
      report.set(remoteId, {
        id: remoteId,
        type: 'remote-inbound-rtp',
        timestamp: link.toWallTime(remote.receivedAt),
        ssrc: out.ssrc,
        kind: out.kind,
        transportId: transportId,
        codecId,
        localId: id,
        packetsLost: remote.packetsLost,
        fractionLost: remote.fractionLost,
        jitter: remote.jitter,
        roundTripTime: remote.roundTripTime === undefined ? undefined : remote.roundTripTime / 1000,
      });
    }
  }
  for (const inb of session.inbound) {
    const e = byMid(inb.mid);
    if (!e?.section) continue;
    const kindLetter = inb.kind === 'audio' ? 'A' : 'V';
    const id = `I${transportId}${kindLetter}${inb.ssrc}`;
    const dec = e.receive.statsFor(inb.rid);
    const jb = inb.jitterBuffer;
    const sr = inb.remoteSender;
    const remoteId = sr ? `ROA${transportId}${kindLetter}${inb.ssrc}` : undefined;
    if (sr && remoteId) {
      report.set(remoteId, {
        id: remoteId,
        type: 'remote-outbound-rtp',
        timestamp: link.toWallTime(sr.receivedAt),
        ssrc: inb.ssrc,
        kind: inb.kind,
        transportId: transportId,
        localId: id,
        packetsSent: sr.packetsSent,
        bytesSent: sr.bytesSent,
        remoteTimestamp: sr.wallTime,
        reportsSent: sr.reportsReceived,
      });
    }
    report.set(id, {
      id,
      type: 'inbound-rtp',
      timestamp,
      ssrc: inb.ssrc,
      kind: inb.kind,
      mid: inb.mid,
      rid: inb.rid,
      transportId: transportId,
      codecId: addCodec(report, timestamp, e.section, inb.payloadType, 'I', transportId),
      trackIdentifier: e.transceiver.receiver.track.id,
      remoteId,
      packetsReceived: inb.packetsReceived,
      bytesReceived: inb.bytesReceived,
      headerBytesReceived: inb.headerBytesReceived,
      packetsLost: inb.packetsLost,
      packetsDiscarded: jb?.packetsDiscarded,
      jitter: inb.jitter,
      nackCount: inb.nackPacketsSent,
      pliCount: inb.pliSent,
      firCount: inb.firSent,
      lastPacketReceivedTimestamp: link.toWallTime(inb.lastPacketReceivedAt),
      jitterBufferDelay: dec.jitterBufferDelay,
      jitterBufferEmittedCount: dec.jitterBufferEmittedCount,
      retransmittedPacketsReceived: inb.rtxPacketsReceived,
      retransmittedBytesReceived: inb.rtxBytesReceived,
      decoderImplementation: dec.decoderImplementation,
      ...(inb.kind === 'video'
        ? {
            framesReceived: dec.framesReceived,
            framesDecoded: dec.framesDecoded,
            keyFramesDecoded: dec.keyFramesDecoded,
            framesDropped: dec.framesDropped,
            totalDecodeTime: dec.totalDecodeTime,
            frameWidth: dec.frameWidth,
            frameHeight: dec.frameHeight,
          }
        : {
            totalSamplesReceived: dec.totalSamplesReceived,
            totalSamplesDuration: dec.totalSamplesDuration,
            totalAudioEnergy: dec.totalAudioEnergy,
            audioLevel: dec.audioLevel,
          }),
    });
  }
}
