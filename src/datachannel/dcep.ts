/** DCEP (RFC 8832) DATA_CHANNEL_OPEN / ACK, and the RFC 8831 payload protocol identifiers. */
import { ByteReader, ByteWriter } from '../common/bytes.js';
import { ProtocolError } from '../common/errors.js';

export const PPID = {
  DCEP: 50,
  STRING: 51,
  BINARY_PARTIAL: 52,
  BINARY: 53,
  STRING_PARTIAL: 54,
  STRING_EMPTY: 56,
  BINARY_EMPTY: 57,
} as const;

const MSG_OPEN = 0x03;
const MSG_ACK = 0x02;

export const ChannelType = {
  RELIABLE: 0x00,
  PARTIAL_RELIABLE_REXMIT: 0x01,
  PARTIAL_RELIABLE_TIMED: 0x02,
  UNORDERED: 0x80,
} as const;

export interface DcepOpen {
  type: 'open';
  ordered: boolean;
  /** Retransmission count or lifetime (ms), per `reliability`. */
  reliability: 'reliable' | 'rexmit' | 'timed';
  reliabilityParameter: number;
  priority: number;
  label: string;
  protocol: string;
}

export type DcepMessage = DcepOpen | { type: 'ack' };

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeOpen(o: Omit<DcepOpen, 'type'>): Uint8Array {
  const label = utf8.encode(o.label);
  const protocol = utf8.encode(o.protocol);
  if (label.byteLength > 0xffff || protocol.byteLength > 0xffff)
    throw new TypeError('label or protocol too long');
  let channelType: number =
    o.reliability === 'rexmit'
      ? ChannelType.PARTIAL_RELIABLE_REXMIT
      : o.reliability === 'timed'
        ? ChannelType.PARTIAL_RELIABLE_TIMED
        : ChannelType.RELIABLE;
  if (!o.ordered) channelType |= ChannelType.UNORDERED;
  const w = new ByteWriter(12 + label.byteLength + protocol.byteLength);
  w.u8(MSG_OPEN).u8(channelType).u16(o.priority).u32(o.reliabilityParameter);
  w.u16(label.byteLength).u16(protocol.byteLength).bytes(label).bytes(protocol);
  return w.finish();
}

export function encodeAck(): Uint8Array {
  return Uint8Array.of(MSG_ACK);
}

/** Throws ProtocolError / TruncatedError on malformed input (the caller drops it). */
export function decodeDcep(data: Uint8Array): DcepMessage {
  const r = new ByteReader(data);
  const type = r.u8();
  if (type === MSG_ACK) return { type: 'ack' };
  if (type !== MSG_OPEN) throw new ProtocolError(`unknown DCEP message ${type}`);
  const channelType = r.u8();
  const priority = r.u16();
  const reliabilityParameter = r.u32();
  const labelLength = r.u16();
  const protocolLength = r.u16();
  const label = utf8Decoder.decode(r.bytes(labelLength));
  const protocol = utf8Decoder.decode(r.bytes(protocolLength));
  const kind = channelType & 0x7f;
  if (kind > 2) throw new ProtocolError(`unknown channel type ${channelType}`);
  return {
    type: 'open',
    ordered: (channelType & ChannelType.UNORDERED) === 0,
    reliability: kind === 1 ? 'rexmit' : kind === 2 ? 'timed' : 'reliable',
    reliabilityParameter,
    priority,
    label,
    protocol,
  };
}
