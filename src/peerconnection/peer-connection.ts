/**
 * RTCPeerConnection (W3C webrtc-pc): the public face. The work is done by its parts — the JSEP state machine
 * (signaling.ts), the transceivers (transceiver-set.ts), the transports applied after every negotiation
 * (transports.ts), the aggregate states (connection-state.ts) and negotiationneeded (negotiation-needed.ts) —
 * all on one injectable runtime, so a whole connection can also run in virtual time.
 */
import { invalidAccess, invalidState } from '../common/errors.js';
import { uuid } from '../common/random.js';
import type { RTCIceTransportState } from '../common/transport.js';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import { RTCDataChannel as DataChannel } from '../datachannel/data-channel.js';
import type { RTCSctpTransport } from '../datachannel/sctp-transport.js';
import { RTCDataChannelEvent } from '../datachannel/sctp-transport.js';
import { RTCCertificate, type RTCCertificateKeygenAlgorithm } from '../dtls/certificate.js';
import { RTCIceCandidate, type RTCIceCandidateInit } from '../ice/candidate.js';
import type { RTCIceGathererEvent } from '../ice/gatherer.js';
import type { MediaStream } from '../media/media-stream.js';
import type { MediaStreamTrack } from '../media/track.js';
import { nodeRuntime, type Runtime } from '../net/runtime.js';
import type { SessionDescription } from '../sdp/types.js';
import { takeCertificate } from './certificate-pool.js';
import {
  checkConfigurationChange,
  type ResolvedConfiguration,
  type RTCConfiguration,
  resolveConfiguration,
} from './configuration.js';
import {
  ConnectionStates,
  type RTCIceGatheringState,
  type RTCPeerConnectionState,
} from './connection-state.js';
import { dataChannelParameters, type RTCDataChannelInit } from './data-channel-init.js';
import { PeerConnectionEventTarget, RTCBandwidthEstimateEvent, RTCPeerConnectionIceEvent } from './events.js';
import {
  type RTCPeerConnectionErrorCallback,
  type RTCSessionDescriptionCallback,
  withCallbacks,
} from './legacy-callbacks.js';
import { MediaPipelines, sendEncodingsOf } from './media-pipelines.js';
import { NegotiationNeeded } from './negotiation-needed.js';
import { OperationsChain } from './operations-chain.js';
import { RemoteStreams, type RemoteTrackChanges } from './remote-streams.js';
import { addRtpStats } from './rtp-stats.js';
import type { SectionTransport } from './section-transport.js';
import {
  isSdpType,
  type RTCSessionDescription,
  type RTCSessionDescriptionInit,
} from './session-description.js';
import { type RTCOfferOptions, type RTCSignalingState, Signaling, toOfferOptions } from './signaling.js';
import { collectStats, type RTCStats, type RTCStatsReport, selectStats } from './stats.js';
import type { RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from './transceiver.js';
import { type RTCRtpTransceiverInit, TransceiverSet } from './transceiver-set.js';
import { ConnectionTransports } from './transports.js';

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
  private readonly transports: ConnectionTransports;
  private readonly transceivers: TransceiverSet;
  private readonly signaling: Signaling;
  private readonly states = new ConnectionStates();
  private readonly negotiation: NegotiationNeeded;
  private readonly pipelines: MediaPipelines;
  private readonly remoteStreams = new RemoteStreams();
  private readonly channels: RTCDataChannel[] = [];
  private wantsData = false;
  private closed = false;
  private readonly operations = new OperationsChain(
    () => this.closed,
    () => this.negotiation.chainEmptied(),
  );

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
    const cname = uuid(this.runtime.random);
    // The estimate event fires in a task of its own, not inside the media session's processing.
    this.pipelines = new MediaPipelines(this.runtime.clock, (e) =>
      this.runtime.timers.task(() => {
        if (this.closed) return;
        this.dispatchEvent(
          new RTCBandwidthEstimateEvent('bandwidthestimate', {
            availableOutgoingBitrate: e.availableOutgoingBitrate,
            delayBasedBitrate: e.delayBasedBitrate,
            lossBasedBitrate: e.lossBasedBitrate,
            applicationLimited: e.inAlr,
          }),
        );
      }),
    );
    this.transports = new ConnectionTransports(() => this.config, this.runtime, cname, {
      // Gathering events are queued as tasks (W3C): never before setLocalDescription() resolves.
      localCandidate: (transport, e) => {
        // The end of one transport's candidates is announced once all transports are done (gathering state).
        if (e.candidate) this.runtime.timers.task(() => this.onLocalCandidate(transport, e));
      },
      candidateError: (e) => this.runtime.timers.task(() => !this.closed && this.dispatchEvent(e)),
      gatheringStateChange: () => {
        const s = this.transports.gatheringState();
        this.runtime.timers.task(() => this.onGatheringState(s));
      },
      stateChange: () => this.updateStates(),
      dataChannel: (channel) => {
        this.channels.push(channel);
        this.dispatchEvent(new RTCDataChannelEvent('datachannel', { channel }));
      },
      media: (event) => this.pipelines.dispatch(event),
      sendEncodings: (mid, rids) => {
        const t = this.transceivers.byMid(mid);
        return t ? sendEncodingsOf(t.sender, rids) : [];
      },
      mediaConfigured: (config, linkFor) => {
        this.pipelines.sync(this.transceivers.list, config, linkFor);
        for (const t of this.transceivers.list) {
          t.sender.statsSource = () => this.statsFor((s) => s.type === 'outbound-rtp' && s.mid === t.mid);
          t.receiver.statsSource = () => this.statsFor((s) => s.type === 'inbound-rtp' && s.mid === t.mid);
        }
      },
    });
    this.transceivers = new TransceiverSet(this.runtime.random, () => this.negotiation.update(), {
      isClosed: () => this.closed,
      queueTask: (fn) => this.runtime.timers.task(fn),
      chain: (name, op) => this.operations.run(name, op),
      negotiationNeeded: () => this.negotiation.update(),
    });
    this.signaling = new Signaling({
      transceivers: this.transceivers,
      transports: this.transports,
      cname,
      config: () => this.config,
      certificates: () => this.certificatesPromise,
      wantsData: () => this.wantsData,
      remoteOfferedData: () => {
        this.wantsData = true;
      },
      signalingStateChanged: () => this.onSignalingState(),
      remoteTracks: (ts, remote) => this.announceTracks(ts, remote),
    });
    this.negotiation = new NegotiationNeeded(
      () => ({
        closed: this.closed,
        stable: this.signaling.state === 'stable',
        busy: this.operations.busy,
        restartPending: this.signaling.restartPending,
        wantsData: this.wantsData,
        weAreOfferer: this.signaling.weAreOfferer,
        currentLocal: this.signaling.currentLocalModel,
        transceivers: this.transceivers.list,
      }),
      (fn) => this.runtime.timers.task(fn),
      () => this.dispatchEvent(new Event('negotiationneeded')),
    );
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
  get sctp(): RTCSctpTransport | null {
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

  async getStats(selector?: MediaStreamTrack | null): Promise<RTCStatsReport> {
    if (selector) {
      const owner = this.transceivers.list.find(
        (t) => t.sender.track === selector || t.receiver.track === selector,
      );
      if (!owner) throw invalidAccess('the selector is not a track of this connection');
    }
    const report = this.collect();
    if (!selector) return report;
    return selectStats(report, (s) => s.trackIdentifier === selector.id);
  }

  private collect(): RTCStatsReport {
    const t = this.transports;
    const timestamp = this.runtime.clock.wallTime();
    const report = collectStats({
      transports: t.all,
      sctpTransport: t.sctp,
      certificate: this.certificateValue,
      channels: this.channels,
      availableOutgoingBitrate: this.pipelines.lastEstimate?.availableOutgoingBitrate,
      timestamp,
    });
    const links = t.all.flatMap((x) => (x.media ? [{ link: x.media, transportId: x.statsId }] : []));
    if (links.length > 0) addRtpStats(report, links, this.pipelines, timestamp);
    return report;
  }

  /** A sender's or receiver's getStats(): its RTP stats and what they reference. */
  private async statsFor(isRoot: (s: RTCStats) => boolean): Promise<RTCStatsReport> {
    return selectStats(this.collect(), isRoot);
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

  private onSignalingState(): void {
    this.dispatchEvent(new Event('signalingstatechange'));
    if (this.signaling.state === 'stable') this.negotiation.update();
  }

  /** A candidate of one transport, announced under the section that carries that transport. */
  private onLocalCandidate(transport: SectionTransport, e: RTCIceGathererEvent): void {
    if (this.closed || transport.isClosed || !e.candidate) return;
    const mid = transport.ownerMid;
    const candidate = new RTCIceCandidate({
      candidate: e.candidate.candidate,
      sdpMid: mid,
      sdpMLineIndex: this.signaling.localSectionIndex(mid),
      usernameFragment: transport.ice.getLocalParameters().usernameFragment,
    });
    this.dispatchEvent(new RTCPeerConnectionIceEvent('icecandidate', { candidate, url: e.url }));
  }

  /** The gathering state over all transports; the null candidate says every transport is done. */
  private onGatheringState(s: RTCIceGatheringState): void {
    if (this.closed) return;
    // `new` (no transport gathers yet, or the gathering ones were discarded) keeps the state as it was.
    if (s === 'new' || s === this.states.iceGathering) return;
    this.states.iceGathering = s;
    this.dispatchEvent(new Event('icegatheringstatechange'));
    if (s === 'complete' && !this.closed)
      this.dispatchEvent(new RTCPeerConnectionIceEvent('icecandidate', { candidate: null, url: null }));
  }

  /**
   * A transport changed state: the aggregate states change, and their events fire, in a task of their own
   * (W3C), from the states as they were at the change, so no step is lost when several follow at once.
   */
  private updateStates(): void {
    if (this.closed) return;
    const snapshot = this.transports.states();
    this.runtime.timers.task(() => {
      if (this.closed) return;
      const changed = this.states.update(snapshot);
      if (changed.iceConnection) this.dispatchEvent(new Event('iceconnectionstatechange'));
      if (changed.connection) {
        if (this.states.connection === 'failed') this.transports.failChannels();
        this.dispatchEvent(new Event('connectionstatechange'));
      }
    });
  }

  /** In the setRemoteDescription task, after signalingstatechange (W3C "process remote tracks"). */
  private announceTracks(changes: RemoteTrackChanges, remote: SessionDescription): void {
    for (const event of this.remoteStreams.process(changes, remote)) this.dispatchEvent(event);
  }
}
