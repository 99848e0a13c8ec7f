/**
 * RTCIceCandidate: the W3C object, with the SDP `candidate:` attribute parsed and written
 * (RFC 8839 §5.1), also constructible from aiortc's fields (`ip`, numeric `component`).
 */
import { isIpAddress } from '../common/ip.js';
import type { RTCIceCandidateType } from './priority.js';

export type { RTCIceCandidateType } from './priority.js';
export type RTCIceComponent = 'rtp' | 'rtcp';
export type RTCIceProtocol = 'udp' | 'tcp';
export type RTCIceTcpCandidateType = 'active' | 'passive' | 'so';
export type RTCIceServerTransportProtocol = 'udp' | 'tcp' | 'tls';

/** W3C RTCIceCandidateInit. */
export interface RTCIceCandidateInit {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** The candidate as fields, the way aiortc's dataclass holds it (`ip` or `address`, component 1/2). */
export interface RTCIceCandidateFields {
  foundation: string;
  component?: number | RTCIceComponent;
  priority: number;
  ip?: string;
  address?: string;
  port: number;
  protocol?: string;
  type: RTCIceCandidateType;
  relatedAddress?: string | null;
  relatedPort?: number | null;
  tcpType?: RTCIceTcpCandidateType | null;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
  relayProtocol?: RTCIceServerTransportProtocol | null;
  url?: string | null;
}

/** The parsed pieces of a `candidate:` attribute; all non-null. */
export interface ParsedCandidate {
  foundation: string;
  componentId: number;
  protocol: RTCIceProtocol;
  priority: number;
  address: string;
  port: number;
  type: RTCIceCandidateType;
  relatedAddress: string | null;
  relatedPort: number | null;
  tcpType: RTCIceTcpCandidateType | null;
  usernameFragment: string | null;
}

const TYPES: readonly string[] = ['host', 'srflx', 'prflx', 'relay'];
const TCP_TYPES: readonly string[] = ['active', 'passive', 'so'];

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** Parse `candidate:…` (an `a=` prefix is allowed). Returns undefined when the text is not a candidate. */
export function parseCandidate(text: string): ParsedCandidate | undefined {
  let s = text.trim();
  if (s.startsWith('a=')) s = s.slice(2);
  if (!s.startsWith('candidate:')) return undefined;
  const t = s.slice('candidate:'.length).split(/\s+/);
  if (t.length < 8 || t[6] !== 'typ') return undefined;
  const [foundation, component, transport, priority, address, port, , type] = t as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const protocol = transport.toLowerCase();
  const portNumber = parsePort(port);
  if (
    !/^[A-Za-z0-9+/]{1,32}$/.test(foundation) ||
    !/^\d{1,3}$/.test(component) ||
    Number(component) < 1 ||
    Number(component) > 256 ||
    (protocol !== 'udp' && protocol !== 'tcp') ||
    !/^\d{1,10}$/.test(priority) ||
    Number(priority) > 0xffffffff ||
    address.length === 0 ||
    portNumber === undefined ||
    !TYPES.includes(type)
  ) {
    return undefined;
  }
  const out: ParsedCandidate = {
    foundation,
    componentId: Number(component),
    protocol,
    priority: Number(priority),
    address,
    port: portNumber,
    type: type as RTCIceCandidateType,
    relatedAddress: null,
    relatedPort: null,
    tcpType: null,
    usernameFragment: null,
  };
  // Extensions come as name/value pairs; unknown ones (generation, network-id, …) are skipped.
  for (let i = 8; i + 1 < t.length; i += 2) {
    const name = t[i]!;
    const value = t[i + 1]!;
    if (name === 'raddr') out.relatedAddress = value;
    else if (name === 'rport') out.relatedPort = parsePort(value) ?? null;
    else if (name === 'tcptype' && TCP_TYPES.includes(value)) out.tcpType = value as RTCIceTcpCandidateType;
    else if (name === 'ufrag') out.usernameFragment = value;
  }
  return out;
}

/** Write the `candidate:` attribute value (without `a=`). */
export function writeCandidate(c: ParsedCandidate): string {
  let s = `candidate:${c.foundation} ${c.componentId} ${c.protocol} ${c.priority} ${c.address} ${c.port} typ ${c.type}`;
  if (c.relatedAddress !== null && c.relatedPort !== null)
    s += ` raddr ${c.relatedAddress} rport ${c.relatedPort}`;
  if (c.tcpType !== null) s += ` tcptype ${c.tcpType}`;
  if (c.usernameFragment !== null) s += ` ufrag ${c.usernameFragment}`;
  return s;
}

function isFields(init: RTCIceCandidateInit | RTCIceCandidateFields): init is RTCIceCandidateFields {
  return 'foundation' in init || 'type' in init || 'ip' in init || 'address' in init;
}

function componentId(component: number | RTCIceComponent | undefined): number {
  if (component === undefined || component === 'rtp') return 1;
  if (component === 'rtcp') return 2;
  if (!Number.isInteger(component) || component < 1 || component > 256)
    throw new TypeError(`RTCIceCandidate: component ${component} is not 1–256`);
  return component;
}

function fromFields(f: RTCIceCandidateFields): ParsedCandidate {
  const address = f.address ?? f.ip;
  if (!address) throw new TypeError('RTCIceCandidate: an address (or aiortc `ip`) is required');
  const protocol = (f.protocol ?? 'udp').toLowerCase();
  if (protocol !== 'udp' && protocol !== 'tcp')
    throw new TypeError(`RTCIceCandidate: protocol must be udp or tcp, not ${f.protocol}`);
  if (!TYPES.includes(f.type)) throw new TypeError(`RTCIceCandidate: unknown type ${String(f.type)}`);
  if (!Number.isInteger(f.port) || f.port < 0 || f.port > 65535)
    throw new TypeError(`RTCIceCandidate: port ${f.port} is not 0–65535`);
  if (!Number.isInteger(f.priority) || f.priority < 0 || f.priority > 0xffffffff)
    throw new TypeError(`RTCIceCandidate: priority ${f.priority} is not a 32-bit unsigned integer`);
  if (!/^[A-Za-z0-9+/]{1,32}$/.test(f.foundation))
    throw new TypeError(`RTCIceCandidate: foundation "${f.foundation}" is not 1–32 ice-chars`);
  return {
    foundation: f.foundation,
    componentId: componentId(f.component),
    protocol,
    priority: f.priority,
    address,
    port: f.port,
    type: f.type,
    relatedAddress: f.relatedAddress ?? null,
    relatedPort: f.relatedPort ?? null,
    tcpType: f.tcpType ?? null,
    usernameFragment: f.usernameFragment ?? null,
  };
}

export class RTCIceCandidate {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
  readonly usernameFragment: string | null;
  readonly foundation: string | null;
  readonly component: RTCIceComponent | null;
  readonly priority: number | null;
  readonly address: string | null;
  readonly protocol: RTCIceProtocol | null;
  readonly port: number | null;
  readonly type: RTCIceCandidateType | null;
  readonly tcpType: RTCIceTcpCandidateType | null;
  readonly relatedAddress: string | null;
  readonly relatedPort: number | null;
  readonly relayProtocol: RTCIceServerTransportProtocol | null;
  readonly url: string | null;
  /** The parsed fields, or undefined when `candidate` is empty (end-of-candidates) or unparsable. */
  readonly parsed: ParsedCandidate | undefined;

  /**
   * W3C form: `new RTCIceCandidate({ candidate, sdpMid, sdpMLineIndex, usernameFragment })` (TypeError when
   * both sdpMid and sdpMLineIndex are null, as the spec says). aiortc form: `new RTCIceCandidate({ foundation,
   * component, priority, ip, port, protocol, type, … })`.
   */
  constructor(init: RTCIceCandidateInit | RTCIceCandidateFields = {}) {
    let parsed: ParsedCandidate | undefined;
    if (isFields(init)) {
      parsed = fromFields(init);
      this.candidate = writeCandidate(parsed);
      this.relayProtocol = init.relayProtocol ?? null;
      this.url = init.url ?? null;
    } else {
      if ((init.sdpMid ?? null) === null && (init.sdpMLineIndex ?? null) === null)
        throw new TypeError('RTCIceCandidate: sdpMid and sdpMLineIndex cannot both be null');
      this.candidate = init.candidate ?? '';
      parsed = this.candidate === '' ? undefined : parseCandidate(this.candidate);
      this.relayProtocol = null;
      this.url = null;
    }
    this.parsed = parsed;
    this.sdpMid = init.sdpMid ?? null;
    this.sdpMLineIndex = init.sdpMLineIndex ?? null;
    this.usernameFragment = init.usernameFragment ?? parsed?.usernameFragment ?? null;
    this.foundation = parsed?.foundation ?? null;
    this.component = parsed ? (parsed.componentId === 2 ? 'rtcp' : 'rtp') : null;
    this.priority = parsed?.priority ?? null;
    this.address = parsed?.address ?? null;
    this.protocol = parsed?.protocol ?? null;
    this.port = parsed?.port ?? null;
    this.type = parsed?.type ?? null;
    this.tcpType = parsed?.tcpType ?? null;
    this.relatedAddress = parsed?.relatedAddress ?? null;
    this.relatedPort = parsed?.relatedPort ?? null;
  }

  /** Parse an SDP `candidate:` line without the W3C sdpMid rule (ORTC and tests). */
  static fromSdp(line: string, extra: Omit<RTCIceCandidateInit, 'candidate'> = {}): RTCIceCandidate {
    const parsed = parseCandidate(line);
    if (!parsed) throw new TypeError(`RTCIceCandidate: not a candidate attribute: "${line}"`);
    return new RTCIceCandidate({
      ...parsed,
      component: parsed.componentId,
      sdpMid: extra.sdpMid ?? null,
      sdpMLineIndex: extra.sdpMLineIndex ?? null,
      usernameFragment: extra.usernameFragment ?? parsed.usernameFragment,
    });
  }

  /** aiortc's name for the address. */
  get ip(): string | null {
    return this.address;
  }

  /** The numeric component id (aiortc's `component`). */
  get componentId(): number | null {
    return this.parsed?.componentId ?? null;
  }

  /** The SDP attribute value, as aiortc's `candidate_to_sdp` gives it (no `candidate:` prefix). */
  toSdp(): string {
    return this.candidate.replace(/^a=/, '').replace(/^candidate:/, '');
  }

  toJSON(): RTCIceCandidateInit {
    return {
      candidate: this.candidate,
      sdpMid: this.sdpMid,
      sdpMLineIndex: this.sdpMLineIndex,
      usernameFragment: this.usernameFragment,
    };
  }
}

/** True for an IP literal we can pair with (mDNS `.local` names need resolving by the runtime first). */
export function isPairableAddress(address: string): boolean {
  return isIpAddress(address);
}
