/**
 * RTCPeerConnection (W3C webrtc-pc): the public face. The work is done by its parts, joined in
 * connection-parts.ts: the JSEP state machine (signaling.ts), the transceivers (transceiver-set.ts), the
 * transports applied after every negotiation (transports.ts), the media pipelines (media-pipelines.ts), the
 * aggregate states and their events (connection-state.ts, connection-events.ts), stats (connection-stats.ts)
 * and negotiationneeded (negotiation-needed.ts), all on one injectable runtime, so a whole connection can also
 * run in virtual time.
 */
import { invalidState } from '../common/errors.js';
import type { RTCIceTransportState } from '../common/transport.js';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import { RTCDataChannel as DataChannel } from '../datachannel/data-channel.js';
import type { RTCSctpTransport } from '../datachannel/sctp-transport.js';
import { RTCCertificate, type RTCCertificateKeygenAlgorithm } from '../dtls/certificate.js';
import type { RTCDtlsTransport } from '../dtls/transport.js';
import { RTCIceCandidate, type RTCIceCandidateInit } from '../ice/candidate.js';
import type { RTCIceTransport } from '../ice/transport.js';
import type { MediaStream } from '../media/media-stream.js';
import type { MediaStreamTrack } from '../media/track.js';
import { nodeRuntime, type Runtime } from '../net/runtime.js';
import { takeCertificate } from './certificate-pool.js';
import {
  checkConfigurationChange,
  type ResolvedConfiguration,
  type RTCConfiguration,
  resolveConfiguration,
} from './configuration.js';
import { assembleConnection } from './connection-parts.js';
import {
  ConnectionStates,
  type RTCIceGatheringState,
  type RTCPeerConnectionState,
} from './connection-state.js';
import type { ConnectionStats } from './connection-stats.js';
import { dataChannelParameters, type RTCDataChannelInit } from './data-channel-init.js';
import { PeerConnectionEventTarget } from './events.js';
import {
  type RTCPeerConnectionErrorCallback,
  type RTCSessionDescriptionCallback,
  withCallbacks,
} from './legacy-callbacks.js';
import type { MediaPipelines } from './media-pipelines.js';
import type { NegotiationNeeded } from './negotiation-needed.js';
import { OperationsChain } from './operations-chain.js';
import {
  isSdpType,
  type RTCSessionDescription,
  type RTCSessionDescriptionInit,
} from './session-description.js';
import { type RTCOfferOptions, type RTCSignalingState, type Signaling, toOfferOptions } from './signaling.js';
import type { RTCStatsReport } from './stats.js';
import type { RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from './transceiver.js';
import type { RTCRtpTransceiverInit, TransceiverSet } from './transceiver-set.js';
import type { ConnectionTransports } from './transports.js';

export type { RTCIceGatheringState, RTCPeerConnectionState } from './connection-state.js';
export type { RTCDataChannelInit } from './data-channel-init.js';
export type { RTCOfferOptions, RTCSignalingState } from './signaling.js';
export type { RTCRtpTransceiverInit } from './transceiver-set.js';

/** tsrtc: what a peer connection runs on (the real clock, timers and sockets unless a test injects others). */
export interface RTCPeerConnectionOptions {
  readonly runtime?: Runtime;
}

export class RTCPeerConnection extends PeerConnectionEventTarget {
  private config: ResolvedConfiguration;
  private readonly runtime: Runtime;
  private readonly certificatesPromise: Promise<readonly RTCCertificate[]>;
  private certificateValue: RTCCertificate | undefined;
  private readonly states = new ConnectionStates();
  private readonly channels: RTCDataChannel[] = [];
  private wantsData = false;
  private closed = false;
  private readonly operations = new OperationsChain(
    () => this.closed,
    () => this.negotiation.chainEmptied(),
  );
  private readonly transports: ConnectionTransports;
  private readonly transceivers: TransceiverSet;
  private readonly signaling: Signaling;
  private readonly negotiation: NegotiationNeeded;
  private readonly pipelines: MediaPipelines;
  private readonly stats: ConnectionStats;

  // A default value keeps RTCPeerConnection.length 0, as WebIDL has it for an optional argument.
  constructor(configuration: RTCConfiguration | null = {}, options: RTCPeerConnectionOptions = {}) {
    super();
    this.config = resolveConfiguration(configuration);
    this.runtime = options.runtime ?? nodeRuntime;
    const certs = this.config.certificates;
    this.certificatesPromise =
      certs && certs.length > 0 ? Promise.resolve([...certs]) : takeCertificate().then((c) => [c]);
    // An unhandled rejection here would crash the process before anyone awaits the certificate.
    this.certificatesPromise.then((c) => (this.certificateValue = c[0])).catch(() => undefined);
    const parts = assembleConnection({
      runtime: this.runtime,
      states: this.states,
      operations: this.operations,
      channels: this.channels,
      isClosed: () => this.closed,
      config: () => this.config,
      certificates: () => this.certificatesPromise,
      certificate: () => this.certificateValue,
      wantsData: () => this.wantsData,
      setWantsData: () => {
        this.wantsData = true;
      },
      dispatch: (event) => this.dispatchEvent(event),
    });
    this.transports = parts.transports;
    this.transceivers = parts.transceivers;
    this.signaling = parts.signaling;
    this.negotiation = parts.negotiation;
    this.pipelines = parts.pipelines;
    this.stats = parts.stats;
  }

  /** W3C static: a certificate for the configuration's `certificates`. */
  static generateCertificate(keygenAlgorithm?: RTCCertificateKeygenAlgorithm): Promise<RTCCertificate> {
    return RTCCertificate.generateCertificate(keygenAlgorithm);
  }

  // ---- attributes

  get signalingState(): RTCSignalingState {
    return this.signaling.state;
  }
  get iceConnectionState(): RTCIceTransportState {
    return this.states.iceConnection;
  }
  get connectionState(): RTCPeerConnectionState {
    return this.states.connection;
  }
  get iceGatheringState(): RTCIceGatheringState {
    return this.states.iceGathering;
  }
  get canTrickleIceCandidates(): boolean | null {
    return this.signaling.canTrickleIceCandidates();
  }
  get sctp(): RTCSctpTransport<RTCDtlsTransport<RTCIceTransport>> | null {
    return this.transports.sctp;
  }
  get localDescription(): RTCSessionDescription | null {
    return this.signaling.local('either');
  }
  get currentLocalDescription(): RTCSessionDescription | null {
    return this.signaling.local('current');
  }
  get pendingLocalDescription(): RTCSessionDescription | null {
    return this.signaling.local('pending');
  }
  get remoteDescription(): RTCSessionDescription | null {
    return this.signaling.remote('either');
  }
  get currentRemoteDescription(): RTCSessionDescription | null {
    return this.signaling.remote('current');
  }
  get pendingRemoteDescription(): RTCSessionDescription | null {
    return this.signaling.remote('pending');
  }

  // ---- configuration

  getConfiguration(): RTCConfiguration {
    return {
      ...this.config,
      iceServers: this.config.iceServers.map((s) => ({ ...s, urls: [...s.urls] })),
      certificates: [...this.config.certificates],
    };
  }

  setConfiguration(configuration?: RTCConfiguration): void {
    this.assertOpen('setConfiguration');
    const next = resolveConfiguration(configuration);
    checkConfigurationChange(this.config, next, this.signaling.hasLocal);
    this.config = { ...next, certificates: this.config.certificates };
  }

  // ---- tracks, transceivers, channels

  /** W3C: the transceivers not yet [[Stopped]] (a stop completes with the next negotiation). */
  getTransceivers(): RTCRtpTransceiver[] {
    return this.transceivers.list.filter((t) => !t.isStopped || this.closed);
  }
  getSenders(): RTCRtpSender[] {
    return this.transceivers.list.filter((t) => !t.isStopped).map((t) => t.sender);
  }
  getReceivers(): RTCRtpReceiver[] {
    return this.transceivers.list.filter((t) => !t.isStopped).map((t) => t.receiver);
  }

  addTransceiver(
    trackOrKind: MediaStreamTrack | 'audio' | 'video',
    init?: RTCRtpTransceiverInit,
  ): RTCRtpTransceiver {
    this.assertOpen('addTransceiver');
    return this.transceivers.add(trackOrKind, init);
  }

  addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): RTCRtpSender {
    this.assertOpen('addTrack');
    return this.transceivers.addTrack(track, streams);
  }

  removeTrack(sender: RTCRtpSender): void {
    this.assertOpen('removeTrack');
    this.transceivers.removeTrack(sender);
  }

  createDataChannel(label: string, init: RTCDataChannelInit = {}): RTCDataChannel {
    // biome-ignore lint/complexity/noArguments: WebIDL tells a missing label from an undefined one
    if (arguments.length === 0) throw new TypeError('createDataChannel() needs a label');
    const params = dataChannelParameters(label, init);
    this.assertOpen('createDataChannel');
    const channel = new DataChannel(this.transports.sctp ?? this.transports.channels, params);
    this.channels.push(channel);
    if (!this.wantsData) {
      this.wantsData = true;
      this.negotiation.update();
    }
    return channel;
  }

  // ---- offer / answer

  createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit>;
  /** Legacy (W3C §11.2.1). */
  createOffer(
    successCallback: RTCSessionDescriptionCallback<RTCSessionDescriptionInit>,
    failureCallback: RTCPeerConnectionErrorCallback,
    options?: RTCOfferOptions,
  ): Promise<undefined>;
  createOffer(
    first?: RTCOfferOptions | RTCSessionDescriptionCallback<RTCSessionDescriptionInit>,
    failureCallback?: RTCPeerConnectionErrorCallback,
    options?: RTCOfferOptions,
  ): Promise<RTCSessionDescriptionInit | undefined> {
    // biome-ignore lint/complexity/noArguments: WebIDL overload resolution counts the arguments
    if (arguments.length >= 2) return withCallbacks(first, failureCallback, () => this.createOffer(options));
    let converted: RTCOfferOptions;
    try {
      converted = toOfferOptions(first);
    } catch (err) {
      return Promise.reject(err);
    }
    // The legacy options act when createOffer() is called, before the operation is chained (W3C §11.2.2).
    if (!this.closed) this.transceivers.applyLegacyOfferOptions(converted);
    return this.operations.run('createOffer', () => this.signaling.createOffer(converted));
  }

  createAnswer(options?: Record<string, never>): Promise<RTCSessionDescriptionInit>;
  /** Legacy (W3C §11.2.1). */
  createAnswer(
    successCallback: RTCSessionDescriptionCallback<RTCSessionDescriptionInit>,
    failureCallback: RTCPeerConnectionErrorCallback,
  ): Promise<undefined>;
  createAnswer(
    first?: Record<string, never> | RTCSessionDescriptionCallback<RTCSessionDescriptionInit>,
    failureCallback?: RTCPeerConnectionErrorCallback,
  ): Promise<RTCSessionDescriptionInit | undefined> {
    // biome-ignore lint/complexity/noArguments: WebIDL overload resolution counts the arguments
    if (arguments.length >= 2) return withCallbacks(first, failureCallback, () => this.createAnswer());
    return this.operations.run('createAnswer', () => this.signaling.createAnswer());
  }

  /** The legacy callback form (W3C §11.2.1) passes the callbacks too and resolves with undefined. */
  setLocalDescription(
    description?: RTCSessionDescriptionInit,
    successCallback?: () => void,
    failureCallback?: RTCPeerConnectionErrorCallback,
  ): Promise<void> {
    // biome-ignore lint/complexity/noArguments: WebIDL overload resolution counts the arguments
    if (arguments.length >= 2) {
      return withCallbacks(successCallback, failureCallback, () => this.setLocalDescription(description));
    }
    return this.operations.run('setLocalDescription', () => this.signaling.setLocal(description));
  }

  /** The legacy callback form (W3C §11.2.1) passes the callbacks too and resolves with undefined. */
  setRemoteDescription(
    description: RTCSessionDescriptionInit,
    successCallback?: () => void,
    failureCallback?: RTCPeerConnectionErrorCallback,
  ): Promise<void> {
    // biome-ignore lint/complexity/noArguments: WebIDL overload resolution counts the arguments
    if (arguments.length >= 2) {
      return withCallbacks(successCallback, failureCallback, () => this.setRemoteDescription(description));
    }
    return this.operations.run('setRemoteDescription', async () => {
      if (!description || !isSdpType(description.type)) {
        throw new TypeError(
          `setRemoteDescription() needs a description with a valid type, not ${String(description?.type)}`,
        );
      }
      await this.signaling.setRemote(description);
    });
  }

  /** The legacy callback form (W3C §11.2.1) passes the callbacks too and resolves with undefined. */
  addIceCandidate(
    candidate?: RTCIceCandidateInit | RTCIceCandidate | null,
    successCallback?: () => void,
    failureCallback?: RTCPeerConnectionErrorCallback,
  ): Promise<void> {
    // biome-ignore lint/complexity/noArguments: WebIDL overload resolution counts the arguments
    if (arguments.length >= 2) {
      return withCallbacks(successCallback, failureCallback, () => this.addIceCandidate(candidate));
    }
    const init = candidate instanceof RTCIceCandidate ? candidate.toJSON() : (candidate ?? null);
    if (init?.candidate && (init.sdpMid ?? null) === null && (init.sdpMLineIndex ?? null) === null) {
      return Promise.reject(new TypeError('addIceCandidate() needs sdpMid or sdpMLineIndex'));
    }
    return this.operations.run('addIceCandidate', async () => this.signaling.addCandidate(init));
  }

  restartIce(): void {
    if (this.closed) return;
    this.signaling.restartPending = true;
    this.negotiation.update();
  }

  getStats(selector?: MediaStreamTrack | null): Promise<RTCStatsReport> {
    return this.stats.forSelector(selector);
  }

  /** Close at once (W3C): the states are `closed` when this returns and the peer is told right away. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signaling.close();
    // W3C close(): every channel is `closed` at once, without events (the peer gets the SCTP ABORT).
    for (const ch of this.channels) ch.closeSilently();
    this.transceivers.stopAll();
    this.pipelines.close();
    this.transports.close();
    this.states.close();
  }

  // ---- internals

  private assertOpen(name: string): void {
    if (this.closed) throw invalidState(`${name}() called on a closed RTCPeerConnection`);
  }
}
