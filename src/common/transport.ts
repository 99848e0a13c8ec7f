/**
 * The seams between layers. Each layer hands datagrams to the one above through a direct callback (no Event
 * per packet) and sends through the one below. A layer has exactly one consumer above it: `attach()` claims
 * that place and a second claim throws, so no consumer is ever silently replaced.
 *
 *   RTCIceTransport (STUN taken out; validated sources only)  --DatagramTransport-->  RTCDtlsTransport
 *   RTCDtlsTransport (RFC 7983 demux)  --application data-->  RTCSctpTransport
 *                                      --SRTP/SRTCP-------->  the media session (attachRtp)
 */
import type { Runtime } from '../net/runtime.js';
import type { WakeScheduler } from '../net/wake-scheduler.js';
import { invalidState } from './errors.js';

/**
 * `receivedAt` (ms, the runtime's clock) is when the datagram reached the host, where the socket knew it
 * (kernel receive stamps); undefined means "now". Media uses it for arrival times (TWCC, REMB).
 */
export type DatagramReceiver = (data: Uint8Array, receivedAt?: number) => void;

export interface DatagramTransport {
  /** Send one datagram; silently dropped when the transport cannot send (not connected, closed). */
  send(data: Uint8Array): void;
  /**
   * Become the receiver of incoming datagrams. Throws InvalidStateError when another receiver is attached.
   * Returns the function that detaches it again.
   */
  attach(receiver: DatagramReceiver): () => void;
}

/** The one-receiver slot behind `attach()`. */
export class ReceiverSlot {
  private receiver: DatagramReceiver | undefined;

  constructor(private readonly owner: string) {}

  get attached(): boolean {
    return this.receiver !== undefined;
  }

  attach(receiver: DatagramReceiver): () => void {
    if (this.receiver) throw invalidState(`${this.owner} already has a receiver; detach it first`);
    this.receiver = receiver;
    return () => {
      if (this.receiver === receiver) this.receiver = undefined;
    };
  }

  /** Hand a datagram up; false when nobody is attached. */
  deliver(data: Uint8Array, receivedAt?: number): boolean {
    const r = this.receiver;
    if (r === undefined) return false;
    r(data, receivedAt);
    return true;
  }
}

/** W3C RTCIceTransportState. */
export type RTCIceTransportState =
  | 'new'
  | 'checking'
  | 'connected'
  | 'completed'
  | 'disconnected'
  | 'failed'
  | 'closed';

export type RTCIceRole = 'controlling' | 'controlled';

/** Present on transports that belong to a runtime: the layers above join its clock and its single timer. */
export interface RuntimeBound {
  readonly runtime?: Runtime;
  readonly wakes?: WakeScheduler;
}

/** What DTLS needs from ICE. RTCIceTransport implements it; tests may use a plain UDP adapter. */
export interface IceTransportLike extends DatagramTransport, EventTarget, RuntimeBound {
  readonly role: RTCIceRole;
  readonly state: RTCIceTransportState;
}

/** W3C RTCDtlsTransportState. */
export type RTCDtlsTransportState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

export type DtlsRole = 'client' | 'server';

/** What SCTP needs from DTLS: application data both ways, the state, and the negotiated role. */
export interface DtlsTransportLike extends DatagramTransport, EventTarget, RuntimeBound {
  readonly state: RTCDtlsTransportState;
  /** The role taken in the handshake; known once connecting has started. */
  readonly dtlsRole: DtlsRole | undefined;
}
