/**
 * Sorts one frame from the TURN server into what the client does with it: application data (a Data
 * indication or ChannelData on a known channel), a response for the transaction layer, or a drop with
 * the counter to bump. Never throws: typed getters that meet malformed attributes end as 'malformed'.
 */
import type { TransportAddress } from '../../common/engine.js';
import { StunAttr, StunMethod } from '../../stun/constants.js';
import { StunMessage } from '../../stun/message.js';
import { isChannelData, parseChannelData } from './channel-data.js';
import type { Credentials } from './requests.js';

export type InboundFrame =
  | { readonly kind: 'data'; readonly peer: TransportAddress; readonly data: Uint8Array }
  | { readonly kind: 'response'; readonly message: StunMessage }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'unknownChannel' };

export function classifyFrame(
  frame: Uint8Array,
  peerOfChannel: (channel: number) => TransportAddress | undefined,
): InboundFrame {
  if (isChannelData(frame)) {
    const m = parseChannelData(frame);
    if (!m) return { kind: 'malformed' };
    const peer = peerOfChannel(m.channel);
    return peer ? { kind: 'data', peer, data: m.data } : { kind: 'unknownChannel' };
  }
  const msg = StunMessage.tryParse(frame);
  if (!msg) return { kind: 'malformed' };
  if (msg.messageClass === 'success' || msg.messageClass === 'error')
    return { kind: 'response', message: msg };
  // Servers send no requests to clients, and Data is the only indication they send.
  if (msg.messageClass === 'request' || msg.method !== StunMethod.Data) return { kind: 'ignored' };
  try {
    const peer = msg.xorPeerAddress;
    const data = msg.data;
    return peer && data ? { kind: 'data', peer, data } : { kind: 'malformed' };
  } catch {
    return { kind: 'malformed' };
  }
}

/**
 * Responses to authenticated requests must carry a valid MESSAGE-INTEGRITY, except the error responses
 * (401, 438) whose job is to say that we cannot be authenticated yet.
 */
export function responseIntegrityOk(msg: StunMessage, credentials: Credentials | undefined): boolean {
  if (!credentials) return true;
  if (msg.has(StunAttr.MessageIntegrity)) return msg.verifyIntegrity(credentials.key);
  return msg.messageClass === 'error';
}
