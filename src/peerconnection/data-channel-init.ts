/**
 * createDataChannel's arguments (W3C webrtc-pc §6.1): the WebIDL conversion of the label and of
 * RTCDataChannelInit (USVString, [EnforceRange] unsigned short, booleans where null is false), then the
 * W3C checks, each with its TypeError.
 */
import type { RTCDataChannelParameters, RTCPriorityType } from '../datachannel/data-channel.js';
import { toDictionary, toEnum, toUnsigned, toUSVString } from './webidl.js';

export interface RTCDataChannelInit {
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
  protocol?: string;
  negotiated?: boolean;
  id?: number;
  priority?: RTCPriorityType;
}

const PRIORITIES: readonly RTCPriorityType[] = ['very-low', 'low', 'medium', 'high'];
const MAX_BYTES = 65_535;
const utf8 = new TextEncoder();

function optionalUnsignedShort(value: unknown, what: string): number | null {
  return value === undefined ? null : toUnsigned(value, 16, what, true);
}

/** WebIDL conversion and the W3C checks of createDataChannel(label, dataChannelDict). */
export function dataChannelParameters(label: unknown, init: unknown): RTCDataChannelParameters {
  const name = toUSVString(label, 'label');
  const d = toDictionary(init, 'RTCDataChannelInit');
  // Members in WebIDL (lexicographic) order.
  const id = optionalUnsignedShort(d.id, 'id');
  const maxPacketLifeTime = optionalUnsignedShort(d.maxPacketLifeTime, 'maxPacketLifeTime');
  const maxRetransmits = optionalUnsignedShort(d.maxRetransmits, 'maxRetransmits');
  const negotiated = d.negotiated === undefined ? false : Boolean(d.negotiated);
  const ordered = d.ordered === undefined ? true : Boolean(d.ordered);
  const priority = d.priority === undefined ? 'low' : toEnum(d.priority, PRIORITIES, 'priority');
  const protocol = d.protocol === undefined ? '' : toUSVString(d.protocol, 'protocol');

  if (utf8.encode(name).byteLength > MAX_BYTES) throw new TypeError('label is longer than 65535 bytes');
  if (utf8.encode(protocol).byteLength > MAX_BYTES)
    throw new TypeError('protocol is longer than 65535 bytes');
  if (negotiated && id === null) throw new TypeError('a negotiated data channel needs an id');
  if (maxPacketLifeTime !== null && maxRetransmits !== null) {
    throw new TypeError('maxPacketLifeTime and maxRetransmits cannot both be set');
  }
  // 65535 is an unsigned short but not a stream id (RFC 8832); an id without negotiated is ignored.
  if (negotiated && id === MAX_BYTES) throw new TypeError('data channel id 65535 is reserved');
  return {
    label: name,
    ordered,
    maxPacketLifeTime,
    maxRetransmits,
    protocol,
    negotiated,
    id: negotiated ? id : null,
    priority,
  };
}
