/** Options, events, states and counters of the TURN client. */

import type { TransportAddress } from '../../common/engine.js';
import type { RandomSource } from '../../common/random.js';
import type { TransactionTiming } from '../../stun/transaction.js';
import type { RequestPurpose } from './requests.js';

export type TurnTransport = 'udp' | 'tcp' | 'tls';

export interface TurnClientOptions {
  server: TransportAddress;
  transport: TurnTransport;
  username: string;
  credential: string;
  /** Requested allocation lifetime in seconds (default 600); the server may grant less. */
  lifetime?: number;
  software?: string;
  /** Ask for a relayed address of this family (REQUESTED-ADDRESS-FAMILY); the server's default is IPv4. */
  relayFamily?: 4 | 6;
  /** Bind a channel for each peer that is sent to, so data moves as ChannelData (default true). */
  useChannels?: boolean;
  /** The URL this server came from, echoed in error events (for icecandidateerror). */
  url?: string;
  /** How many 300 Try-Alternate redirects to follow (default 2). */
  maxRedirects?: number;
  /** Overrides of the STUN retransmission timing (UDP); tests shorten it for unreachable servers. */
  timing?: Partial<TransactionTiming>;
  /** Where transaction ids come from (default: the CSPRNG). */
  random?: RandomSource;
}

export type TurnClientState = 'new' | 'allocating' | 'allocated' | 'closing' | 'closed' | 'failed';

export type TurnClientEvent =
  | { type: 'allocated'; relayed: TransportAddress; mapped: TransportAddress | undefined; lifetime: number }
  | { type: 'data'; peer: TransportAddress; data: Uint8Array }
  | { type: 'error'; code: number; reason: string; url?: string }
  | { type: 'refreshed'; lifetime: number }
  | { type: 'redirected'; server: TransportAddress }
  | { type: 'closed' };

/** W3C icecandidateerror code for a server that could not be reached. */
export const TURN_UNREACHABLE = 701;
export const MAX_STALE_NONCE_RETRIES = 3;

export interface RequestMeta {
  readonly purpose: RequestPurpose;
  readonly staleRetries: number;
}

export interface TurnClientStats {
  /** Frames that were neither a valid STUN message nor valid ChannelData. */
  malformed: number;
  /** Responses dropped because their MESSAGE-INTEGRITY was missing or wrong. */
  integrityFailures: number;
  /** Responses that matched no transaction (late, duplicated or forged). */
  unmatched: number;
  unknownChannel: number;
  /** Application datagrams dropped (no allocation, permission refused, queue full). */
  droppedSends: number;
}

export function newStats(): TurnClientStats {
  return { malformed: 0, integrityFailures: 0, unmatched: 0, unknownChannel: 0, droppedSends: 0 };
}
