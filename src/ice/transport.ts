/**
 * RTCIceTransport (ORTC / W3C): drives the sans-I/O IceAgent with the gatherer's sockets and the runtime
 * clock, and carries the layer above's datagrams on the selected pair (implements IceTransportLike).
 */
import type { TransportAddress } from '../common/engine.js';
import { invalidState } from '../common/errors.js';
import { type EventHandler, RtcEventTarget } from '../common/events.js';
import { createLogger } from '../common/logger.js';
import {
  type DatagramReceiver,
  type IceTransportLike,
  ReceiverSlot,
  type RTCIceRole,
  type RTCIceTransportState,
} from '../common/transport.js';
import type { Runtime } from '../net/runtime.js';
import type { WakeRegistration, WakeScheduler } from '../net/wake-scheduler.js';
import { IceAgent, type IceAgentOptions } from './agent.js';
import { RTCIceCandidate, type RTCIceCandidateInit } from './candidate.js';
import type { RTCIceGatherer, RTCIceGathererEvent, RTCIceParameters } from './gatherer.js';

const log = createLogger('ice:transport');

export interface RTCIceCandidatePair {
  local: RTCIceCandidate;
  remote: RTCIceCandidate;
}

export type RTCIceGatheringState = 'new' | 'gathering' | 'complete';

interface TransportEventMap {
  statechange: Event;
  selectedcandidatepairchange: Event;
  gatheringstatechange: Event;
}

export interface RTCIceTransportOptions extends Omit<IceAgentOptions, 'role' | 'local' | 'random'> {
  /**
   * @internal Set by RTCPeerConnection: `gatheringState` then changes only through `updateGatheringState()`,
   * from the connection's task that also updates its iceGatheringState (W3C webrtc-pc). A transport of its
   * own (ORTC) follows its gatherer at once.
   */
  gatheringStateByConnection?: boolean;
}

/** The gatherer's state as the transport's gatheringState: a closed gatherer gathers no more. */
function gatheringStateOf(gatherer: RTCIceGatherer): RTCIceGatheringState {
  const s = gatherer.state;
  return s === 'closed' ? 'complete' : s;
}

export class RTCIceTransport extends RtcEventTarget<TransportEventMap> implements IceTransportLike {
  readonly iceGatherer: RTCIceGatherer;
  readonly component = 'rtp' as const;
  readonly runtime: Runtime;
  readonly wakes: WakeScheduler;
  private readonly agent: IceAgent;
  private readonly timer: WakeRegistration;
  private readonly receiver = new ReceiverSlot('RTCIceTransport');
  /** The last source that passed validation: checked by value first, so the data path builds no key. */
  private okBase: string | undefined;
  private okAddress = '';
  private okPort = -1;
  private _state: RTCIceTransportState = 'new';
  /** W3C [[IceGathererState]]: what `gatheringState` returns, changed only with its event. */
  private _gatheringState: RTCIceGatheringState;
  private readonly gatheringStateByConnection: boolean;
  private remoteParameters: RTCIceParameters | undefined;
  private started: Promise<void> | undefined;
  private settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private selected: RTCIceCandidatePair | null = null;
  private readonly knownLocal = new Set<RTCIceCandidate>();
  private readonly onGathererCandidate = (e: RTCIceGathererEvent) => this.addLocal(e.candidate);
  private readonly onGathererState = () => {
    if (this.iceGatherer.state === 'complete') this.agent.setLocalCandidatesComplete();
    if (!this.gatheringStateByConnection) this.updateGatheringState(gatheringStateOf(this.iceGatherer));
    this.pump();
  };
  /** Counters for stats. */
  bytesSent = 0;
  bytesReceived = 0;
  packetsSent = 0;
  packetsReceived = 0;
  /** Non-STUN datagrams dropped because ICE has not validated their source (spoofing, stale peers). */
  unvalidatedDropped = 0;

  constructor(gatherer: RTCIceGatherer, options: RTCIceTransportOptions = {}) {
    super();
    if (gatherer.state === 'closed')
      throw invalidState('cannot build an RTCIceTransport on a closed RTCIceGatherer');
    const { gatheringStateByConnection = false, ...agentOptions } = options;
    this.iceGatherer = gatherer;
    this.runtime = gatherer.runtime;
    this.wakes = gatherer.wakes;
    this.gatheringStateByConnection = gatheringStateByConnection;
    this._gatheringState = gatheringStateByConnection ? 'new' : gatheringStateOf(gatherer);
    this.agent = new IceAgent({
      ...agentOptions,
      role: 'controlling',
      local: gatherer.getLocalParameters(),
      random: this.runtime.random,
    });
    this.timer = this.wakes.register(
      () => this.agent.pollTimeout(),
      (t) => {
        this.agent.handleTimeout(t);
        this.pump();
      },
    );
    gatherer.attach({
      onStun: (baseId, source, data) => {
        this.agent.handleStun(this.now(), baseId, source, data);
        this.pump();
      },
      onData: (baseId, source, data, receivedAt) => {
        if (baseId !== this.okBase || source.port !== this.okPort || source.address !== this.okAddress) {
          if (!this.agent.isValidatedSource(baseId, source)) {
            this.unvalidatedDropped++;
            return;
          }
          this.okBase = baseId;
          this.okAddress = source.address;
          this.okPort = source.port;
        }
        this.packetsReceived++;
        this.bytesReceived += data.byteLength;
        this.agent.recordReceived(data.byteLength);
        this.receiver.deliver(data, receivedAt);
      },
    });
    for (const c of gatherer.getLocalCandidates()) this.addLocal(c);
    if (gatherer.state === 'complete') this.agent.setLocalCandidatesComplete();
    gatherer.addEventListener('icecandidate', this.onGathererCandidate);
    gatherer.addEventListener('statechange', this.onGathererState);
  }

  /** Become the receiver of the datagrams ICE carries (DTLS, or SRTP without DTLS); one receiver only. */
  attach(receiver: DatagramReceiver): () => void {
    return this.receiver.attach(receiver);
  }

  private now(): number {
    return this.runtime.clock.now();
  }

  get role(): RTCIceRole {
    return this.agent.role;
  }
  /** Settable before start(), as in aiortc. */
  set role(role: RTCIceRole) {
    if (role !== 'controlling' && role !== 'controlled') {
      throw new TypeError(`role must be 'controlling' or 'controlled', not '${String(role)}'`);
    }
    if (this.started) throw invalidState('the ICE role cannot change after start()');
    this.agent.role = role;
  }

  get state(): RTCIceTransportState {
    return this._state;
  }
  get gatheringState(): RTCIceGatheringState {
    return this._gatheringState;
  }

  /**
   * @internal Sets [[IceGathererState]] and fires `gatheringstatechange` when it changed. A peer connection
   * calls it from its task, just before it updates its own iceGatheringState (W3C: the transport's event
   * first); a transport of its own calls it when its gatherer's state changes.
   */
  updateGatheringState(state: RTCIceGatheringState): void {
    if (this._gatheringState === state || this._state === 'closed') return;
    this._gatheringState = state;
    this.dispatchEvent(new Event('gatheringstatechange'));
  }

  get onstatechange(): EventHandler<Event> {
    return this.getHandler('statechange');
  }
  set onstatechange(h: EventHandler<Event>) {
    this.setHandler('statechange', h);
  }
  get onselectedcandidatepairchange(): EventHandler<Event> {
    return this.getHandler('selectedcandidatepairchange');
  }
  set onselectedcandidatepairchange(h: EventHandler<Event>) {
    this.setHandler('selectedcandidatepairchange', h);
  }
  get ongatheringstatechange(): EventHandler<Event> {
    return this.getHandler('gatheringstatechange');
  }
  set ongatheringstatechange(h: EventHandler<Event>) {
    this.setHandler('gatheringstatechange', h);
  }

  getLocalCandidates(): RTCIceCandidate[] {
    return this.iceGatherer.getLocalCandidates();
  }
  getLocalParameters(): RTCIceParameters {
    return this.agent.localParameters;
  }
  getRemoteCandidates(): RTCIceCandidate[] {
    return this.agent.getRemoteCandidates();
  }
  getRemoteParameters(): RTCIceParameters | null {
    return this.remoteParameters ? { ...this.remoteParameters } : null;
  }
  getSelectedCandidatePair(): RTCIceCandidatePair | null {
    return this.selected;
  }
  /** Per-pair statistics from the agent (for getStats). */
  getStats(): ReturnType<IceAgent['getStats']> {
    return this.agent.getStats();
  }

  /**
   * Starts connectivity checks. Resolves once a pair is selected; rejects when the checks fail or the
   * transport is stopped first.
   */
  start(remoteParameters: RTCIceParameters): Promise<void> {
    if (this._state === 'closed') return Promise.reject(invalidState('RTCIceTransport is closed'));
    if (
      !remoteParameters ||
      typeof remoteParameters.usernameFragment !== 'string' ||
      !remoteParameters.password
    ) {
      return Promise.reject(
        new TypeError('start() needs remote parameters with usernameFragment and password'),
      );
    }
    if (this.started) {
      if (
        this.remoteParameters &&
        (this.remoteParameters.usernameFragment !== remoteParameters.usernameFragment ||
          this.remoteParameters.password !== remoteParameters.password)
      ) {
        return Promise.reject(invalidState('start() was already called with other remote parameters'));
      }
      return this.started;
    }
    this.remoteParameters = { ...remoteParameters };
    this.started = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.agent.setRemoteParameters(this.now(), this.remoteParameters);
    this.pump();
    return this.started;
  }

  /** New remote credentials after an ICE restart by the peer; checks start over on the new generation. */
  updateRemoteParameters(remoteParameters: RTCIceParameters): void {
    if (this._state === 'closed') throw invalidState('RTCIceTransport is closed');
    this.remoteParameters = { ...remoteParameters };
    this.agent.setRemoteParameters(this.now(), this.remoteParameters);
    this.pump();
  }

  /** Adds a remote candidate; null (or an empty candidate string) means end of candidates. */
  addRemoteCandidate(candidate: RTCIceCandidate | RTCIceCandidateInit | null | undefined): void {
    if (this._state === 'closed') throw invalidState('RTCIceTransport is closed');
    let c: RTCIceCandidate | null = null;
    if (candidate) {
      if (candidate instanceof RTCIceCandidate) c = candidate;
      else if (candidate.candidate) c = new RTCIceCandidate(candidate);
    }
    if (c) this.iceGatherer.permit({ address: c.address ?? '', port: c.port ?? 0 });
    this.agent.addRemoteCandidate(this.now(), c);
    this.pump();
  }

  /** Sends one datagram on the selected pair (dropped when there is none). Hot path: no events, no copies. */
  send(data: Uint8Array): void {
    const t = this.agent.send(data);
    if (!t) return;
    this.packetsSent++;
    this.bytesSent += data.byteLength;
    this.iceGatherer.sendFrom(t.meta!.baseId, t.destination, t.data);
  }

  /** ICE restart with new local credentials; the old pair keeps carrying data until a new one is selected. */
  restart(localParameters?: RTCIceParameters): RTCIceParameters {
    if (this._state === 'closed') throw invalidState('RTCIceTransport is closed');
    const p = this.agent.restart(this.now(), localParameters);
    this.pump();
    return p;
  }

  async stop(): Promise<void> {
    if (this._state === 'closed') return;
    this.agent.close();
    this.timer.close();
    this.iceGatherer.removeEventListener('icecandidate', this.onGathererCandidate);
    this.iceGatherer.removeEventListener('statechange', this.onGathererState);
    this.iceGatherer.attach(undefined);
    this.iceGatherer.close();
    this.setState('closed');
    this.settle?.reject(invalidState('RTCIceTransport was stopped before it connected'));
    this.settle = undefined;
  }

  private addLocal(c: RTCIceCandidate | null): void {
    if (!c || this.knownLocal.has(c)) return;
    const baseId = this.iceGatherer.baseOf(c);
    if (!baseId) return;
    this.knownLocal.add(c);
    this.agent.addLocalCandidate(c, baseId);
    this.pump();
  }

  private setState(state: RTCIceTransportState): void {
    if (this._state === state) return;
    this._state = state;
    this.dispatchEvent(new Event('statechange'));
  }

  private pump(): void {
    for (let t = this.agent.pollTransmit(); t; t = this.agent.pollTransmit()) {
      this.iceGatherer.sendFrom(t.meta!.baseId, t.destination, t.data);
    }
    for (let e = this.agent.pollEvent(); e; e = this.agent.pollEvent()) {
      switch (e.type) {
        case 'statechange':
          if (this._state === 'closed') break;
          log.debug(`state ${e.state}`);
          this.setState(e.state);
          if (e.state === 'connected' || e.state === 'completed') {
            this.settle?.resolve();
            this.settle = undefined;
          } else if (e.state === 'failed') {
            this.settle?.reject(new DOMException('ICE connectivity checks failed', 'OperationError'));
            this.settle = undefined;
          }
          break;
        case 'selectedpairchange':
          this.selected = { local: e.local, remote: e.remote };
          this.dispatchEvent(new Event('selectedcandidatepairchange'));
          break;
        default:
          break;
      }
    }
    this.timer.schedule();
  }
}

export type { TransportAddress };
