/**
 * What the transports tell a peer connection, turned into its W3C events: local candidates under the section
 * that carries their transport, the gathering state over all transports, the aggregate ICE and connection
 * states, and the bandwidth estimate. Every event is a task of its own (W3C "queue a task").
 */
import { RTCIceCandidate } from '../ice/candidate.js';
import type { RTCIceGathererEvent } from '../ice/gatherer.js';
import type { Timers } from '../net/runtime.js';
import type { BandwidthEstimateEvent } from '../rtp/media-session-types.js';
import type { ConnectionStates, RTCIceGatheringState } from './connection-state.js';
import { RTCBandwidthEstimateEvent, RTCPeerConnectionIceEvent } from './events.js';
import type { SectionTransport } from './section-transport.js';
import type { ConnectionTransports } from './transports.js';

export interface ConnectionEventsHost {
  readonly timers: Timers;
  readonly states: ConnectionStates;
  transports(): ConnectionTransports;
  isClosed(): boolean;
  /** The index of the local m-section `mid` (candidates carry it). */
  localSectionIndex(mid: string): number;
  dispatch(event: Event): void;
}

export class ConnectionEvents {
  constructor(private readonly host: ConnectionEventsHost) {}

  /** A candidate of one transport; the end of candidates is announced once every transport is done. */
  localCandidate(transport: SectionTransport, e: RTCIceGathererEvent): void {
    if (!e.candidate) return;
    this.host.timers.task(() => {
      if (this.host.isClosed() || transport.isClosed || !e.candidate) return;
      const mid = transport.ownerMid;
      const candidate = new RTCIceCandidate({
        candidate: e.candidate.candidate,
        sdpMid: mid,
        sdpMLineIndex: this.host.localSectionIndex(mid),
        usernameFragment: transport.ice.getLocalParameters().usernameFragment,
      });
      this.host.dispatch(new RTCPeerConnectionIceEvent('icecandidate', { candidate, url: e.url }));
    });
  }

  /**
   * A transport's gatherer reached `state`. One task (W3C webrtc-pc, RTCIceTransport gathering steps) sets
   * the RTCIceTransport's gatheringState and fires its gatheringstatechange, then updates the connection's
   * iceGatheringState from every transport's gatheringState: an application reading either in either event
   * sees the two agree.
   */
  gatheringChanged(transport: SectionTransport, state: RTCIceGatheringState): void {
    this.host.timers.task(() => {
      if (this.host.isClosed() || transport.isClosed) return;
      transport.ice.updateGatheringState(state);
      this.updateGatheringState();
    });
  }

  /** Transports were discarded: the gathering state over those left, in a task of its own. */
  transportsDiscarded(): void {
    this.host.timers.task(() => this.updateGatheringState());
  }

  /** W3C "update the ICE gathering state"; the null candidate says every transport is done. */
  private updateGatheringState(): void {
    if (this.host.isClosed()) return;
    const s = this.host.transports().gatheringState();
    const { states } = this.host;
    // `new` (no transport gathers yet, or the gathering ones were discarded) keeps the state as it was.
    if (s === 'new' || s === states.iceGathering) return;
    states.iceGathering = s;
    this.host.dispatch(new Event('icegatheringstatechange'));
    if (s === 'complete' && !this.host.isClosed())
      this.host.dispatch(new RTCPeerConnectionIceEvent('icecandidate', { candidate: null, url: null }));
  }

  /**
   * A transport changed state: the aggregate states change, and their events fire, in a task of their own,
   * from the states as they were at the change, so no step is lost when several follow at once.
   */
  stateChanged(): void {
    if (this.host.isClosed()) return;
    const snapshot = this.host.transports().states();
    this.host.timers.task(() => {
      if (this.host.isClosed()) return;
      const changed = this.host.states.update(snapshot);
      if (changed.iceConnection) this.host.dispatch(new Event('iceconnectionstatechange'));
      if (changed.connection) {
        if (this.host.states.connection === 'failed') this.host.transports().failChannels();
        this.host.dispatch(new Event('connectionstatechange'));
      }
    });
  }

  /** The estimate event fires in a task of its own, not inside the media session's processing. */
  bandwidthEstimate(e: BandwidthEstimateEvent): void {
    this.host.timers.task(() => {
      if (this.host.isClosed()) return;
      this.host.dispatch(
        new RTCBandwidthEstimateEvent('bandwidthestimate', {
          availableOutgoingBitrate: e.availableOutgoingBitrate,
          delayBasedBitrate: e.delayBasedBitrate,
          lossBasedBitrate: e.lossBasedBitrate,
          applicationLimited: e.inAlr,
        }),
      );
    });
  }
}
