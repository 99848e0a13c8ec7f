/**
 * Parsers for the values of the attributes the model knows. Each returns `undefined` for a malformed value;
 * the line parser turns that into an SdpSyntaxError with the line number.
 */
import { parseCandidate } from '../ice/candidate.js';
import type {
  Fingerprint,
  HeaderExtension,
  MediaDirection,
  MediaGroup,
  Msid,
  MsidSemantic,
  Rid,
  RtcpAddress,
  RtcpFeedback,
  SctpMap,
  SdpCandidate,
  SetupRole,
  Simulcast,
  SimulcastStream,
  SsrcAttribute,
  SsrcGroup,
} from './types.js';

const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const SETUP_ROLES: readonly string[] = ['actpass', 'active', 'passive', 'holdconn'];

/** A decimal integer in [0, max], or undefined. */
export function parseUint(text: string | undefined, max: number): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** Split at the first run of whitespace: [head, rest] (rest '' when there is none). */
function splitFirst(text: string): [string, string] {
  const m = /^(\S+)\s*(.*)$/s.exec(text.trim());
  return m ? [m[1]!, m[2]!] : ['', ''];
}

function words(text: string): string[] {
  const t = text.trim();
  return t === '' ? [] : t.split(/\s+/);
}

export function isDirection(text: string): text is MediaDirection {
  return DIRECTIONS.includes(text);
}

export function parseSetup(value: string): SetupRole | undefined {
  const v = value.trim();
  return SETUP_ROLES.includes(v) ? (v as SetupRole) : undefined;
}

export interface Rtpmap {
  payloadType: number;
  name: string;
  clockRate: number;
  channels?: number;
}

/** `<pt> <encoding>/<clock rate>[/<channels>]`. */
export function parseRtpmap(value: string): Rtpmap | undefined {
  const m = /^(\d{1,3})\s+([^\s/]+)\/(\d{1,10})(?:\/(\d{1,3}))?\s*$/.exec(value);
  if (!m) return undefined;
  const payloadType = parseUint(m[1], 127);
  const clockRate = parseUint(m[3], 0xffffffff);
  if (payloadType === undefined || clockRate === undefined) return undefined;
  const out: Rtpmap = { payloadType, name: m[2]!, clockRate };
  if (m[4] !== undefined) out.channels = Number(m[4]);
  return out;
}

/** `a=fmtp` parameters: `k=v;k2=v2`, tokens without `=` map to ''. */
export function parseFmtpParameters(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    const token = part.trim();
    if (token === '') continue;
    const eq = token.indexOf('=');
    const key = (eq < 0 ? token : token.slice(0, eq)).trim();
    // Never let a hostile key reach the prototype chain.
    if (key === '' || key === '__proto__') continue;
    out[key] = eq < 0 ? '' : token.slice(eq + 1).trim();
  }
  return out;
}

export function writeFmtpParameters(parameters: Record<string, string>): string {
  return Object.entries(parameters)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(';');
}

/** `<pt> <parameters>`. */
export function parseFmtp(
  value: string,
): { payloadType: number; parameters: Record<string, string> } | undefined {
  const [head, rest] = splitFirst(value);
  const payloadType = parseUint(head, 127);
  if (payloadType === undefined) return undefined;
  return { payloadType, parameters: parseFmtpParameters(rest) };
}

/** `<pt|*> <type> [<parameter>]`. */
export function parseRtcpFb(
  value: string,
): { payloadType: number | '*'; feedback: RtcpFeedback } | undefined {
  const [head, rest] = splitFirst(value);
  const payloadType = head === '*' ? '*' : parseUint(head, 127);
  if (payloadType === undefined) return undefined;
  const [type, parameter] = splitFirst(rest);
  if (type === '') return undefined;
  const feedback: RtcpFeedback = { type };
  if (parameter !== '') feedback.parameter = parameter;
  return { payloadType, feedback };
}

/** `<id>[/<direction>] <uri> [<attributes>]`. */
export function parseExtmap(value: string): HeaderExtension | undefined {
  const m = /^(\d{1,5})(?:\/(\w+))?\s+(\S+)(?:\s+(.*))?$/.exec(value.trim());
  if (!m) return undefined;
  const id = parseUint(m[1], 65535);
  if (id === undefined || id === 0) return undefined;
  const out: HeaderExtension = { id, uri: m[3]! };
  if (m[2] !== undefined) {
    if (!isDirection(m[2])) return undefined;
    out.direction = m[2];
  }
  if (m[4] !== undefined && m[4].trim() !== '') out.attributes = m[4].trim();
  return out;
}

/** `<hash function> <XX:XX:…>` (RFC 8122). */
export function parseFingerprint(value: string): Fingerprint | undefined {
  const [algorithm, hex] = splitFirst(value);
  if (!/^[A-Za-z0-9-]+$/.test(algorithm) || !/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/.test(hex.trim()))
    return undefined;
  return { algorithm, value: hex.trim() };
}

export function parseGroup(value: string): MediaGroup | undefined {
  const [semantics, ...mids] = words(value);
  return semantics === undefined ? undefined : { semantics, mids };
}

export function parseMsidSemantic(value: string): MsidSemantic | undefined {
  const [semantic, ...identifiers] = words(value);
  return semantic === undefined ? undefined : { semantic, identifiers };
}

export function parseMsid(value: string): Msid | undefined {
  const w = words(value);
  if (w.length < 1 || w.length > 2) return undefined;
  const out: Msid = { streamId: w[0]! };
  if (w[1] !== undefined) out.trackId = w[1];
  return out;
}

/** `<ssrc> <attribute>[:<value>]`; the value may hold spaces and colons (`msid:stream track`). */
export function parseSsrc(value: string): SsrcAttribute | undefined {
  const [head, rest] = splitFirst(value);
  const ssrc = parseUint(head, 0xffffffff);
  if (ssrc === undefined || rest === '') return undefined;
  const colon = rest.indexOf(':');
  const out: SsrcAttribute = { ssrc, attribute: colon < 0 ? rest : rest.slice(0, colon) };
  if (colon >= 0) out.value = rest.slice(colon + 1);
  return out;
}

export function parseSsrcGroup(value: string): SsrcGroup | undefined {
  const [semantics, ...rest] = words(value);
  if (semantics === undefined) return undefined;
  const ssrcs: number[] = [];
  for (const w of rest) {
    const n = parseUint(w, 0xffffffff);
    if (n === undefined) return undefined;
    ssrcs.push(n);
  }
  return { semantics, ssrcs };
}

/** `<id> <send|recv> [pt=96,97;max-width=1280;…]`. */
export function parseRid(value: string): Rid | undefined {
  const [id, rest] = splitFirst(value);
  const [direction, params] = splitFirst(rest);
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(id) || (direction !== 'send' && direction !== 'recv')) return undefined;
  const rid: Rid = { id, direction, payloadTypes: [], restrictions: {} };
  const parameters = parseFmtpParameters(params);
  for (const [key, v] of Object.entries(parameters)) {
    if (key !== 'pt') {
      rid.restrictions[key] = v;
      continue;
    }
    for (const p of v.split(',')) {
      const pt = parseUint(p.trim(), 127);
      if (pt === undefined) return undefined;
      rid.payloadTypes.push(pt);
    }
  }
  return rid;
}

function parseSimulcastList(text: string): SimulcastStream[][] | undefined {
  const streams: SimulcastStream[][] = [];
  for (const stream of text.split(';')) {
    const alternatives: SimulcastStream[] = [];
    for (const alt of stream.split(',')) {
      const paused = alt.startsWith('~');
      const rid = paused ? alt.slice(1) : alt;
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(rid)) return undefined;
      alternatives.push({ rid, paused });
    }
    streams.push(alternatives);
  }
  return streams;
}

/** `send <streams> [recv <streams>]`, either order (RFC 8853 §5.1). */
export function parseSimulcast(value: string): Simulcast | undefined {
  const w = words(value);
  if (w.length !== 2 && w.length !== 4) return undefined;
  const out: Simulcast = {};
  for (let i = 0; i < w.length; i += 2) {
    const dir = w[i]!;
    const list = parseSimulcastList(w[i + 1]!);
    if (list === undefined || (dir !== 'send' && dir !== 'recv') || out[dir] !== undefined) return undefined;
    out[dir] = list;
  }
  if (w[0] === 'recv' && w.length === 4) out.recvFirst = true;
  return out;
}

/** `<port> [<nettype> <addrtype> <address>]` (RFC 3605). */
export function parseRtcp(value: string): RtcpAddress | undefined {
  const w = words(value);
  const port = parseUint(w[0], 65535);
  if (port === undefined || (w.length !== 1 && w.length !== 4)) return undefined;
  const out: RtcpAddress = { port };
  if (w.length === 4) {
    out.netType = w[1]!;
    out.addrType = w[2]!;
    out.address = w[3]!;
  }
  return out;
}

export function parseSctpmap(value: string): SctpMap | undefined {
  const w = words(value);
  const port = parseUint(w[0], 65535);
  if (port === undefined || w.length < 2 || w.length > 3) return undefined;
  const out: SctpMap = { port, protocol: w[1]! };
  if (w[2] !== undefined) {
    const streams = parseUint(w[2], 65535);
    if (streams === undefined) return undefined;
    out.streams = streams;
  }
  return out;
}

/** Extension names `parseCandidate` already turns into fields. */
const CANDIDATE_FIELDS: readonly string[] = ['raddr', 'rport', 'tcptype', 'ufrag'];

/** A `candidate:` value through the ICE layer's parser, keeping the extension pairs it skips. */
export function parseSdpCandidate(value: string): SdpCandidate | undefined {
  const parsed = parseCandidate(`candidate:${value}`);
  if (!parsed) return undefined;
  const tokens = value.trim().split(/\s+/);
  const extensions: [string, string][] = [];
  for (let i = 8; i + 1 < tokens.length; i += 2) {
    if (!CANDIDATE_FIELDS.includes(tokens[i]!)) extensions.push([tokens[i]!, tokens[i + 1]!]);
  }
  return { ...parsed, extensions };
}
