/**
 * SessionDescription → SDP text, `\r\n` line endings, lines in the order Chromium writes them (webrtc_sdp.cc):
 * a description Chromium produced comes back byte for byte. Attributes the model has no field for follow the
 * known ones of their level.
 */
import { writeCandidate } from '../ice/candidate.js';
import { writeFmtpParameters } from './attributes.js';
import type {
  Codec,
  Fingerprint,
  HeaderExtension,
  MediaSection,
  RtcpFeedback,
  SdpAttribute,
  SdpCandidate,
  SessionDescription,
  Simulcast,
  SimulcastStream,
} from './types.js';

export function writeCandidateLine(c: SdpCandidate): string {
  let s = writeCandidate(c);
  for (const [name, value] of c.extensions) s += ` ${name} ${value}`;
  return s;
}

export function writeExtmap(e: HeaderExtension): string {
  let s = `extmap:${e.id}${e.direction ? `/${e.direction}` : ''} ${e.uri}`;
  if (e.attributes !== undefined) s += ` ${e.attributes}`;
  return s;
}

function writeFeedback(pt: number | '*', fb: RtcpFeedback): string {
  return `a=rtcp-fb:${pt} ${fb.type}${fb.parameter !== undefined ? ` ${fb.parameter}` : ''}`;
}

function writeSimulcastList(list: SimulcastStream[][]): string {
  return list.map((alts) => alts.map((a) => (a.paused ? `~${a.rid}` : a.rid)).join(',')).join(';');
}

export function writeSimulcast(s: Simulcast): string {
  const send = s.send ? `send ${writeSimulcastList(s.send)}` : '';
  const recv = s.recv ? `recv ${writeSimulcastList(s.recv)}` : '';
  return [s.recvFirst ? recv : send, s.recvFirst ? send : recv].filter((x) => x !== '').join(' ');
}

function attributeLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

function fingerprintLines(out: string[], fingerprints: readonly Fingerprint[]): void {
  for (const f of fingerprints) out.push(`a=fingerprint:${f.algorithm} ${f.value}`);
}

function codecLines(out: string[], codec: Codec): void {
  const channels = codec.channels !== undefined ? `/${codec.channels}` : '';
  out.push(`a=rtpmap:${codec.payloadType} ${codec.name}/${codec.clockRate}${channels}`);
  for (const fb of codec.feedback) out.push(writeFeedback(codec.payloadType, fb));
  if (Object.keys(codec.parameters).length > 0)
    out.push(`a=fmtp:${codec.payloadType} ${writeFmtpParameters(codec.parameters)}`);
}

function mediaLines(out: string[], m: MediaSection): void {
  const ports = m.numberOfPorts !== undefined ? `${m.port}/${m.numberOfPorts}` : `${m.port}`;
  out.push(`m=${m.kind} ${ports} ${m.protocol}${m.formats.map((f) => ` ${f}`).join('')}`);
  if (m.information !== undefined) out.push(`i=${m.information}`);
  if (m.connection) out.push(`c=${m.connection.netType} ${m.connection.addrType} ${m.connection.address}`);
  for (const b of m.bandwidths) out.push(`b=${b.type}:${b.value}`);
  if (m.encryptionKey !== undefined) out.push(`k=${m.encryptionKey}`);
  if (m.rtcp) {
    const addr =
      m.rtcp.address !== undefined ? ` ${m.rtcp.netType} ${m.rtcp.addrType} ${m.rtcp.address}` : '';
    out.push(`a=rtcp:${m.rtcp.port}${addr}`);
  }
  for (const c of m.candidates) out.push(`a=${writeCandidateLine(c)}`);
  if (m.endOfCandidates) out.push('a=end-of-candidates');
  if (m.iceUfrag !== undefined) out.push(`a=ice-ufrag:${m.iceUfrag}`);
  if (m.icePwd !== undefined) out.push(`a=ice-pwd:${m.icePwd}`);
  if (m.iceOptions) out.push(`a=ice-options:${m.iceOptions.join(' ')}`);
  fingerprintLines(out, m.fingerprints);
  if (m.setup) out.push(`a=setup:${m.setup}`);
  if (m.mid !== undefined) out.push(`a=mid:${m.mid}`);
  if (m.bundleOnly) out.push('a=bundle-only');
  if (m.sctpmap) {
    const streams = m.sctpmap.streams !== undefined ? ` ${m.sctpmap.streams}` : '';
    out.push(`a=sctpmap:${m.sctpmap.port} ${m.sctpmap.protocol}${streams}`);
  }
  if (m.sctpPort !== undefined) out.push(`a=sctp-port:${m.sctpPort}`);
  if (m.maxMessageSize !== undefined) out.push(`a=max-message-size:${m.maxMessageSize}`);
  if (m.extmapAllowMixed) out.push('a=extmap-allow-mixed');
  for (const e of m.headerExtensions) out.push(`a=${writeExtmap(e)}`);
  if (m.direction) out.push(`a=${m.direction}`);
  for (const msid of m.msids)
    out.push(`a=msid:${msid.streamId}${msid.trackId !== undefined ? ` ${msid.trackId}` : ''}`);
  if (m.rtcpMux) out.push('a=rtcp-mux');
  if (m.rtcpMuxOnly) out.push('a=rtcp-mux-only');
  if (m.rtcpReducedSize) out.push('a=rtcp-rsize');
  if (m.rtcpXr !== undefined) out.push(`a=rtcp-xr:${m.rtcpXr}`);
  for (const fb of m.wildcardFeedback) out.push(writeFeedback('*', fb));
  for (const codec of m.codecs) codecLines(out, codec);
  for (const g of m.ssrcGroups)
    out.push(`a=ssrc-group:${g.semantics}${g.ssrcs.map((s) => ` ${s}`).join('')}`);
  for (const s of m.ssrcs)
    out.push(`a=ssrc:${s.ssrc} ${s.attribute}${s.value !== undefined ? `:${s.value}` : ''}`);
  for (const r of m.rids) {
    const params: string[] = [];
    if (r.payloadTypes.length > 0) params.push(`pt=${r.payloadTypes.join(',')}`);
    for (const [k, v] of Object.entries(r.restrictions)) params.push(v === '' ? k : `${k}=${v}`);
    out.push(`a=rid:${r.id} ${r.direction}${params.length > 0 ? ` ${params.join(';')}` : ''}`);
  }
  if (m.simulcast) out.push(`a=simulcast:${writeSimulcast(m.simulcast)}`);
  for (const a of m.attributes) out.push(attributeLine(a));
}

/** Serialize a description; every line ends in `\r\n`. */
export function writeSdp(d: SessionDescription): string {
  const out: string[] = [];
  const o = d.origin;
  out.push(`v=${d.version}`);
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${d.sessionName}`);
  if (d.information !== undefined) out.push(`i=${d.information}`);
  if (d.uri !== undefined) out.push(`u=${d.uri}`);
  for (const e of d.emails) out.push(`e=${e}`);
  for (const p of d.phones) out.push(`p=${p}`);
  if (d.connection) out.push(`c=${d.connection.netType} ${d.connection.addrType} ${d.connection.address}`);
  for (const b of d.bandwidths) out.push(`b=${b.type}:${b.value}`);
  for (const t of d.timing) {
    out.push(`t=${t.start} ${t.stop}`);
    for (const r of t.repeats) out.push(`r=${r}`);
  }
  if (d.timeZones !== undefined) out.push(`z=${d.timeZones}`);
  if (d.encryptionKey !== undefined) out.push(`k=${d.encryptionKey}`);
  if (d.iceLite) out.push('a=ice-lite');
  if (d.iceUfrag !== undefined) out.push(`a=ice-ufrag:${d.iceUfrag}`);
  if (d.icePwd !== undefined) out.push(`a=ice-pwd:${d.icePwd}`);
  if (d.iceOptions) out.push(`a=ice-options:${d.iceOptions.join(' ')}`);
  fingerprintLines(out, d.fingerprints);
  if (d.setup) out.push(`a=setup:${d.setup}`);
  for (const g of d.groups) out.push(`a=group:${g.semantics}${g.mids.map((m) => ` ${m}`).join('')}`);
  if (d.extmapAllowMixed) out.push('a=extmap-allow-mixed');
  // Chromium writes a space after the colon here (`a=msid-semantic: WMS`).
  for (const s of d.msidSemantics)
    out.push(`a=msid-semantic: ${s.semantic}${s.identifiers.map((i) => ` ${i}`).join('')}`);
  for (const e of d.headerExtensions) out.push(`a=${writeExtmap(e)}`);
  for (const a of d.attributes) out.push(attributeLine(a));
  for (const m of d.media) mediaLines(out, m);
  return `${out.join('\r\n')}\r\n`;
}
