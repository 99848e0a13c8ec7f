/**
 * The aggregate states of a peer connection (W3C webrtc-pc §4.3.3): iceConnectionState from the ICE
 * transport, connectionState from ICE and DTLS together. With one bundled transport the W3C rules reduce to
 * a few lines. A DTLS transport that ends (the peer's close_notify, or a failed handshake) is terminal: the
 * connection is `closed` or `failed`, never left `connecting`.
 */
import type { RTCDtlsTransportState, RTCIceTransportState } from '../common/transport.js';

export type RTCPeerConnectionState =
  | 'new'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'failed'
  | 'closed';
export type RTCIceConnectionState = RTCIceTransportState;
export type RTCIceGatheringState = 'new' | 'gathering' | 'complete';

export function connectionStateOf(
  ice: RTCIceTransportState,
  dtls: RTCDtlsTransportState,
  dtlsEverStarted: boolean,
): RTCPeerConnectionState {
  if (ice === 'failed' || dtls === 'failed') return 'failed';
  if (dtls === 'closed' && dtlsEverStarted) return 'closed';
  if (ice === 'disconnected') return 'disconnected';
  if ((ice === 'new' || ice === 'closed') && (dtls === 'new' || dtls === 'closed')) return 'new';
  if ((ice === 'connected' || ice === 'completed') && dtls === 'connected') return 'connected';
  return 'connecting';
}

/** The three aggregate states with change detection; the caller fires the events. */
export class ConnectionStates {
  iceConnection: RTCIceConnectionState = 'new';
  connection: RTCPeerConnectionState = 'new';
  iceGathering: RTCIceGatheringState = 'new';

  /** Recompute from the transports; returns which attributes changed (in the order events fire). */
  update(
    ice: RTCIceTransportState,
    dtls: RTCDtlsTransportState,
    dtlsEverStarted: boolean,
  ): { iceConnection: boolean; connection: boolean } {
    const iceChanged = ice !== this.iceConnection;
    this.iceConnection = ice;
    const next = connectionStateOf(ice, dtls, dtlsEverStarted);
    const connectionChanged = next !== this.connection;
    this.connection = next;
    return { iceConnection: iceChanged, connection: connectionChanged };
  }

  /** W3C close(): every state becomes closed at once, without events. */
  close(): void {
    this.iceConnection = 'closed';
    this.connection = 'closed';
  }
}
