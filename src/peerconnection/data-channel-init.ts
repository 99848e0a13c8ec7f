/** RTCDataChannelInit (W3C) and its conversion to the channel's parameters, with the W3C errors. */
import type { RTCDataChannelParameters, RTCPriorityType } from '../datachannel/data-channel.js';

export interface RTCDataChannelInit {
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
  protocol?: string;
  negotiated?: boolean;
  id?: number;
  priority?: RTCPriorityType;
}

/** createDataChannel's argument checks (W3C webrtc-pc §6.1). */
export function dataChannelParameters(label: string, init: RTCDataChannelInit): RTCDataChannelParameters {
  if (typeof label !== 'string') label = String(label);
  if (init.maxPacketLifeTime != null && init.maxRetransmits != null) {
    throw new TypeError('maxPacketLifeTime and maxRetransmits cannot both be set');
  }
  const negotiated = init.negotiated ?? false;
  if (negotiated && init.id == null) throw new TypeError('a negotiated data channel needs an id');
  return {
    label,
    ordered: init.ordered ?? true,
    maxPacketLifeTime: init.maxPacketLifeTime ?? null,
    maxRetransmits: init.maxRetransmits ?? null,
    protocol: init.protocol ?? '',
    negotiated,
    // W3C: an id without negotiated is ignored; the id follows the DTLS role.
    id: negotiated ? (init.id ?? null) : null,
    priority: init.priority ?? 'low',
  };
}
