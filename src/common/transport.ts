/**
 * The seams between layers. Each layer hands datagrams to the one above through a direct callback
 * (no Event per packet) and sends through the one below:
 *
 *   RTCIceTransport (STUN demuxed away)  --DatagramTransport-->  RTCDtlsTransport
 *   RTCDtlsTransport (application data)  --DatagramTransport-->  RTCSctpTransport
 */

export interface DatagramTransport {
  /** Send one datagram; silently dropped when the transport cannot send (not connected, closed). */
  send(data: Uint8Array): void;
  /** The single receiver of incoming datagrams, installed by the layer above. */
  onDatagram: ((data: Uint8Array) => void) | undefined;
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

/** What DTLS needs from ICE. RTCIceTransport implements it; tests may use a plain UDP adapter. */
export interface IceTransportLike extends DatagramTransport, EventTarget {
  readonly role: RTCIceRole;
  readonly state: RTCIceTransportState;
}

/** W3C RTCDtlsTransportState. */
export type RTCDtlsTransportState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

export type DtlsRole = 'client' | 'server';

/** What SCTP needs from DTLS: application data both ways, the state, and the negotiated role. */
export interface DtlsTransportLike extends DatagramTransport, EventTarget {
  readonly state: RTCDtlsTransportState;
  /** The role taken in the handshake; known once connecting has started. */
  readonly dtlsRole: DtlsRole | undefined;
}
