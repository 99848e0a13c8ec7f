/** Association options and the events it reports. */
import type { RandomSource } from '../common/random.js';
import { DEFAULTS } from './constants.js';

export interface AssociationOptions {
  localPort?: number;
  remotePort?: number;
  /** Largest SCTP packet sent (a multiple of 4). */
  mtu?: number;
  /** Incoming messages larger than this are refused (262,144 by default). */
  maxMessageSize?: number;
  receiveWindow?: number;
  maxOutboundStreams?: number;
  maxInboundStreams?: number;
  /** Offer I-DATA / I-FORWARD-TSN (RFC 8260); used when the peer offers them too. */
  interleaving?: boolean;
  /** Offer RFC 9653 zero checksums (only safe when DTLS below protects integrity). */
  zeroChecksum?: boolean;
  rtoInitial?: number;
  rtoMin?: number;
  rtoMax?: number;
  /** Idle heartbeat interval in ms; 0 disables heartbeats. */
  heartbeatInterval?: number;
  maxRetransmissions?: number;
  maxInitRetransmits?: number;
  delayedSackTimeout?: number;
  cookieLifetime?: number;
  /** Bytes that may wait in the send queues before `send` refuses more. */
  maxSendBuffer?: number;
  /** Where tags, initial TSNs, the cookie secret and heartbeat nonces come from (default: the CSPRNG). */
  random?: RandomSource;
}

export type ResolvedOptions = Required<Omit<AssociationOptions, 'random'>>;

export function resolveOptions(o: AssociationOptions): ResolvedOptions {
  const mtu = o.mtu ?? DEFAULTS.mtu;
  if (mtu % 4 !== 0 || mtu < 256)
    throw new RangeError(`SCTP mtu must be a multiple of 4 and >= 256, got ${mtu}`);
  return {
    localPort: o.localPort ?? 5000,
    remotePort: o.remotePort ?? 5000,
    mtu,
    maxMessageSize: o.maxMessageSize ?? 262_144,
    receiveWindow: o.receiveWindow ?? DEFAULTS.receiveWindow,
    maxOutboundStreams: o.maxOutboundStreams ?? DEFAULTS.maxStreams,
    maxInboundStreams: o.maxInboundStreams ?? DEFAULTS.maxStreams,
    interleaving: o.interleaving ?? true,
    zeroChecksum: o.zeroChecksum ?? false,
    rtoInitial: o.rtoInitial ?? DEFAULTS.rtoInitial,
    rtoMin: o.rtoMin ?? DEFAULTS.rtoMin,
    rtoMax: o.rtoMax ?? DEFAULTS.rtoMax,
    heartbeatInterval: o.heartbeatInterval ?? DEFAULTS.heartbeatInterval,
    maxRetransmissions: o.maxRetransmissions ?? DEFAULTS.maxRetransmissions,
    maxInitRetransmits: o.maxInitRetransmits ?? DEFAULTS.maxInitRetransmits,
    delayedSackTimeout: o.delayedSackTimeout ?? DEFAULTS.delayedSackTimeout,
    cookieLifetime: o.cookieLifetime ?? DEFAULTS.cookieLifetime,
    maxSendBuffer: o.maxSendBuffer ?? 16 * 1024 * 1024,
  };
}

export type AssociationState =
  | 'closed'
  | 'cookie-wait'
  | 'cookie-echoed'
  | 'established'
  | 'shutdown-pending'
  | 'shutdown-sent'
  | 'shutdown-received'
  | 'shutdown-ack-sent';

/** Why an association closed: `peer-close` is the peer's user-initiated ABORT (its normal close). */
export type CloseReason = 'shutdown' | 'abort' | 'peer-close' | 'peer-abort' | 'dead-peer' | 'init-failed';

export type AssociationEvent =
  | { type: 'established' }
  | { type: 'message'; streamId: number; ppid: number; data: Uint8Array; unordered: boolean }
  /** The bytes of this stream not yet handed to the network went down to `amount`. */
  | { type: 'buffered-amount'; streamId: number; amount: number }
  /** Our outgoing side of these streams was reset (RFC 6525 response received). */
  | { type: 'outgoing-reset'; streams: number[] }
  /** The peer reset its outgoing side of these streams (our incoming side). */
  | { type: 'incoming-reset'; streams: number[] }
  /** An incoming message went over maxMessageSize and was dropped. */
  | { type: 'message-refused'; streamId: number }
  | { type: 'streams-added'; outbound: number; inbound: number }
  | { type: 'closed'; reason: CloseReason };

export interface SendOptions {
  unordered?: boolean;
  maxRetransmits?: number;
  /** Milliseconds after `send` at which an unacknowledged message is abandoned. */
  maxPacketLifeTime?: number;
}

export interface AssociationStats {
  packetsReceived: number;
  packetsSent: number;
  dropped: { checksum: number; tag: number; malformed: number; port: number; state: number };
  unrecognizedChunks: number;
}
