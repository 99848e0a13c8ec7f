/** getStats(): an RTCStatsReport (a Map, as in browsers) of W3C stats dictionaries. */
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import type { RTCSctpTransport } from '../datachannel/sctp-transport.js';
import type { RTCCertificate } from '../dtls/certificate.js';
import type { RTCIceCandidate } from '../ice/candidate.js';
import type { SectionTransport } from './section-transport.js';

export interface RTCStats {
  id: string;
  type: string;
  timestamp: number;
  [field: string]: unknown;
}

export class RTCStatsReport extends Map<string, RTCStats> {}

interface StatsSources {
  /** The connection's transports: a `transport` entry and its candidates and pairs for each. */
  transports: readonly SectionTransport[];
  sctpTransport: RTCSctpTransport | null;
  certificate: RTCCertificate | undefined;
  channels: readonly RTCDataChannel[];
  /** The send-side bandwidth estimate (bits/s), reported on the selected pair; undefined without one. */
  availableOutgoingBitrate?: number | undefined;
  /** Unix milliseconds from the connection's clock. */
  timestamp: number;
}

function candidateStats(
  c: RTCIceCandidate,
  type: 'local-candidate' | 'remote-candidate',
  timestamp: number,
  transportId: string,
): RTCStats {
  // The first transport keeps the short ids; others' candidates may repeat an address (the same peer).
  const scope = transportId === 'T01' ? '' : `${transportId}-`;
  return {
    id: `${type === 'local-candidate' ? 'CL' : 'CR'}${scope}${c.foundation}-${c.address}-${c.port}`,
    type,
    timestamp,
    transportId,
    address: c.address,
    port: c.port,
    protocol: c.protocol,
    candidateType: c.type,
    priority: c.priority,
    foundation: c.foundation,
    relatedAddress: c.relatedAddress,
    relatedPort: c.relatedPort,
    usernameFragment: c.usernameFragment,
    relayProtocol: c.relayProtocol ?? undefined,
    url: c.url ?? undefined,
  };
}

export function collectStats(s: StatsSources): RTCStatsReport {
  const timestamp = s.timestamp;
  const report = new RTCStatsReport();
  const add = (st: RTCStats): void => {
    report.set(st.id, st);
  };
  const opened = s.channels.filter((c) => c.readyState !== 'connecting').length;
  const closed = s.channels.filter((c) => c.readyState === 'closed').length;
  add({
    id: 'P',
    type: 'peer-connection',
    timestamp,
    dataChannelsOpened: opened,
    dataChannelsClosed: closed,
  });

  for (const ch of s.channels) {
    add({
      id: `D${ch.id ?? `-${s.channels.indexOf(ch)}`}`,
      type: 'data-channel',
      timestamp,
      label: ch.label,
      protocol: ch.protocol,
      dataChannelIdentifier: ch.id,
      state: ch.readyState,
      messagesSent: ch.messagesSent,
      bytesSent: ch.bytesSent,
      messagesReceived: ch.messagesReceived,
      bytesReceived: ch.bytesReceived,
    });
  }

  let localCertId: string | undefined;
  if (s.certificate) {
    const found = s.certificate.getFingerprints().find((f) => f.algorithm === 'sha-256');
    // Upper-case hex, as SDP carries it and browsers report it.
    const fp = found ? { value: found.value.toUpperCase() } : undefined;
    localCertId = `CF${fp?.value ?? 'local'}`;
    const pem = s.certificate.toPem().certificate;
    add({
      id: localCertId,
      type: 'certificate',
      timestamp,
      fingerprint: fp?.value,
      fingerprintAlgorithm: 'sha-256',
      base64Certificate: pem.replace(/-----[^-]+-----|\s/g, ''),
    });
  }
  // Without BUNDLE each transport estimates alone; the latest estimate is shown on the first transport's pair.
  for (const [i, t] of s.transports.entries())
    addTransportStats(report, t, timestamp, localCertId, i === 0 ? s.availableOutgoingBitrate : undefined);
  const sctpCarrier = s.sctpTransport
    ? s.transports.find((t) => t.dtls !== undefined && t.dtls === s.sctpTransport?.transport)
    : undefined;
  if (s.sctpTransport) {
    add({
      id: 'S01',
      type: 'sctp-transport',
      timestamp,
      transportId: sctpCarrier?.statsId ?? 'T01',
      state: s.sctpTransport.state,
    });
  }
  return report;
}

/** One transport: its `transport` entry, candidate pairs, candidates and the peer's certificate. */
function addTransportStats(
  report: RTCStatsReport,
  t: SectionTransport,
  timestamp: number,
  localCertId: string | undefined,
  availableOutgoingBitrate: number | undefined,
): void {
  const add = (st: RTCStats): void => {
    report.set(st.id, st);
  };
  const transportId = t.statsId;
  const ice = t.ice;
  const selected = ice.getSelectedCandidatePair();
  const locals = new Map<string, RTCStats>();
  const remotes = new Map<string, RTCStats>();
  let selectedPairId: string | undefined;
  for (const p of ice.getStats()) {
    const l = candidateStats(p.local, 'local-candidate', timestamp, transportId);
    const r = candidateStats(p.remote, 'remote-candidate', timestamp, transportId);
    locals.set(l.id, l);
    remotes.set(r.id, r);
    const id = `CP${l.id}_${r.id}`;
    if (p.selected) selectedPairId = id;
    add({
      id,
      type: 'candidate-pair',
      timestamp,
      transportId,
      localCandidateId: l.id,
      remoteCandidateId: r.id,
      state: p.state,
      nominated: p.nominated,
      priority: p.priority,
      packetsSent: p.packetsSent,
      bytesSent: p.bytesSent,
      bytesReceived: p.bytesReceived,
      packetsReceived: p.packetsReceived,
      requestsSent: p.requestsSent,
      requestsReceived: p.requestsReceived,
      responsesSent: p.responsesSent,
      responsesReceived: p.responsesReceived,
      consentRequestsSent: p.consentRequestsSent,
      // The agent keeps round-trip times in seconds already, as the W3C dictionary wants them.
      currentRoundTripTime: p.currentRoundTripTime,
      totalRoundTripTime: p.totalRoundTripTime,
      lastPacketSentTimestamp: undefined,
      availableOutgoingBitrate: p.selected ? availableOutgoingBitrate : undefined,
    });
  }
  for (const c of ice.getLocalCandidates()) {
    const st = candidateStats(c, 'local-candidate', timestamp, transportId);
    if (!locals.has(st.id)) locals.set(st.id, st);
  }
  for (const c of ice.getRemoteCandidates()) {
    const st = candidateStats(c, 'remote-candidate', timestamp, transportId);
    if (!remotes.has(st.id)) remotes.set(st.id, st);
  }
  for (const st of [...locals.values(), ...remotes.values()]) add(st);

  const dtls = t.dtls;
  let remoteCertId: string | undefined;
  const remoteDer = dtls?.getRemoteCertificates()[0];
  if (remoteDer) {
    remoteCertId = transportId === 'T01' ? 'CFremote' : `CFremote-${transportId}`;
    add({
      id: remoteCertId,
      type: 'certificate',
      timestamp,
      fingerprintAlgorithm: 'sha-256',
      base64Certificate: Buffer.from(remoteDer).toString('base64'),
    });
  }
  add({
    id: transportId,
    type: 'transport',
    timestamp,
    bytesSent: ice.bytesSent,
    bytesReceived: ice.bytesReceived,
    packetsSent: ice.packetsSent,
    packetsReceived: ice.packetsReceived,
    iceRole: ice.role,
    iceLocalUsernameFragment: ice.getLocalParameters().usernameFragment,
    iceState: ice.state,
    dtlsState: dtls?.state ?? 'new',
    dtlsRole: dtls?.dtlsRole ?? 'unknown',
    dtlsCipher: dtls?.cipherSuite,
    srtpCipher: dtls?.srtpProfile,
    tlsVersion: dtls?.state === 'connected' ? 'FEFD' : undefined,
    selectedCandidatePairId: selected ? selectedPairId : undefined,
    selectedCandidatePairChanges: undefined,
    localCertificateId: localCertId,
    remoteCertificateId: remoteCertId,
  });
}

/**
 * The W3C stats selection algorithm: the stats objects `isRoot` picks, and every object they reference
 * directly or indirectly through an `…Id` member.
 */
export function selectStats(report: RTCStatsReport, isRoot: (stats: RTCStats) => boolean): RTCStatsReport {
  const out = new RTCStatsReport();
  const visit = (stats: RTCStats | undefined): void => {
    if (!stats || out.has(stats.id)) return;
    out.set(stats.id, stats);
    for (const [key, value] of Object.entries(stats)) {
      if (key !== 'id' && key.endsWith('Id') && typeof value === 'string') visit(report.get(value));
    }
  };
  for (const stats of report.values()) if (isRoot(stats)) visit(stats);
  return out;
}
