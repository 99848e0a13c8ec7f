/**
 * The aggregate states of a peer connection (W3C webrtc-pc §4.3.3, §4.3.4) over its transports (one when
 * everything is bundled, one per m-line when the peer does not bundle): iceConnectionState from the ICE
 * transports, connectionState from ICE and DTLS together. A DTLS transport that ends (the peer's
 * close_notify, or a failed handshake) is terminal: once every transport's session ended the connection is
 * `closed` (or `failed`), never left `connecting`.
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

/** One transport's states, as the aggregate rules read them. */
export interface TransportStateSnapshot {
  readonly ice: RTCIceTransportState;
  readonly dtls: RTCDtlsTransportState;
  /** The transport has a DTLS session (so `closed` means it ended). */
  readonly hasDtls: boolean;
}

/** W3C RTCIceConnectionState; `closed` (tsrtc) when every transport's ICE was stopped by the peer's goodbye. */
export function iceConnectionStateOf(ts: readonly TransportStateSnapshot[]): RTCIceConnectionState {
  const ice = ts.map((t) => t.ice);
  if (ice.length === 0) return 'new';
  if (ice.every((s) => s === 'closed')) return 'closed';
  if (ice.includes('failed')) return 'failed';
  if (ice.includes('disconnected')) return 'disconnected';
  if (ice.every((s) => s === 'new' || s === 'closed')) return 'new';
  if (ice.some((s) => s === 'new' || s === 'checking')) return 'checking';
  if (ice.every((s) => s === 'completed' || s === 'closed')) return 'completed';
  return 'connected';
}

/** W3C RTCPeerConnectionState. */
export function connectionStateOf(ts: readonly TransportStateSnapshot[]): RTCPeerConnectionState {
  if (ts.length === 0) return 'new';
  if (ts.some((t) => t.ice === 'failed' || t.dtls === 'failed')) return 'failed';
  const withDtls = ts.filter((t) => t.hasDtls);
  if (withDtls.length > 0 && withDtls.every((t) => t.dtls === 'closed')) return 'closed';
  // A transport whose session the peer ended counts as closed.
  const open = ts.filter((t) => !(t.hasDtls && t.dtls === 'closed'));
  if (open.some((t) => t.ice === 'disconnected')) return 'disconnected';
  const idle = (t: TransportStateSnapshot): boolean =>
    (t.ice === 'new' || t.ice === 'closed') && (t.dtls === 'new' || t.dtls === 'closed');
  if (open.every(idle)) return 'new';
  const up = (t: TransportStateSnapshot): boolean =>
    (t.ice === 'connected' || t.ice === 'completed' || t.ice === 'closed') &&
    (t.dtls === 'connected' || t.dtls === 'closed');
  if (open.every(up)) return 'connected';
  return 'connecting';
}

/** The three aggregate states with change detection; the caller fires the events. */
export class ConnectionStates {
  iceConnection: RTCIceConnectionState = 'new';
  connection: RTCPeerConnectionState = 'new';
  iceGathering: RTCIceGatheringState = 'new';

  /** Recompute from the transports; returns which attributes changed (in the order events fire). */
  update(transports: readonly TransportStateSnapshot[]): { iceConnection: boolean; connection: boolean } {
    const ice = iceConnectionStateOf(transports);
    const iceChanged = ice !== this.iceConnection;
    this.iceConnection = ice;
    const next = connectionStateOf(transports);
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
