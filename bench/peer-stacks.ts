/**
 * The W3C peer-connection stacks the setup benchmarks compare, behind one shape: what the benchmarks call
 * on an RTCPeerConnection, whichever library made it.
 */
import { RTCPeerConnection } from '../src/peerconnection/peer-connection.js';
import { NODE_DATACHANNEL, ROAMHQ_WRTC, WERIFT } from '../test/interop/w3c-peers.js';

export interface AnyPeer {
  createDataChannel(label: string): unknown;
  setLocalDescription(d?: never): Promise<void>;
  setRemoteDescription(d: never): Promise<void>;
  createOffer(): Promise<unknown>;
  createAnswer(): Promise<unknown>;
  addIceCandidate(c: never): Promise<void>;
  readonly localDescription: unknown;
  close(): void | Promise<void>;
}

type Listenable = { addEventListener(type: string, listener: (e: never) => void): void };

/** addEventListener on any stack's object, the event typed by the caller. */
export function listen<T>(target: unknown, type: string, fn: (e: T) => void): void {
  (target as Listenable).addEventListener(type, fn as (e: never) => void);
}

/** A fresh peer connection of each stack, loopback only where the stack has the option. */
export const STACKS: Record<string, () => Promise<AnyPeer>> = {
  tsrtc: async () => new RTCPeerConnection({ iceLoopbackOnly: true }) as unknown as AnyPeer,
  'node-datachannel': async () => (await NODE_DATACHANNEL.create()) as unknown as AnyPeer,
  '@roamhq/wrtc': async () => (await ROAMHQ_WRTC.create()) as unknown as AnyPeer,
  werift: async () => (await WERIFT.create()) as unknown as AnyPeer,
};
