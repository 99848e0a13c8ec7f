/**
 * RTCPeerConnection (W3C): JSEP offer/answer over the SDP layer, one bundled ICE + DTLS transport, SCTP
 * data channels, transceivers for negotiation, states with their events, trickle ICE and getStats().
 */
import { invalidAccess, invalidState, operationError } from '../common/errors.js';
import { type EventHandler, RtcEventTarget } from '../common/events.js';
import { createLogger } from '../common/logger.js';
import { randomUint64, uuid } from '../common/random.js';
import type { RTCIceTransportState } from '../common/transport.js';
import { RTCDataChannel, type RTCDataChannelParameters } from '../datachannel/data-channel.js';
import { RTCDataChannelEvent, RTCSctpTransport } from '../datachannel/sctp-transport.js';
import { RTCCertificate, type RTCCertificateKeygenAlgorithm } from '../dtls/certificate.js';
import { RTCDtlsParameters } from '../dtls/parameters.js';
import { RTCDtlsTransport } from '../dtls/transport.js';
import { RTCIceCandidate, type RTCIceCandidateInit, writeCandidate } from '../ice/candidate.js';
import { RTCIceGatherer, type RTCIceGathererEvent } from '../ice/gatherer.js';
import { RTCIceTransport } from '../ice/transport.js';
import type { MediaStream } from '../media/media-stream.js';
import type { MediaStreamTrack } from '../media/track.js';
import { negotiatedDtlsRole } from '../sdp/jsep/dtls-setup.js';
import { sectionIndexFor, setupOf } from '../sdp/jsep/index.js';
import { assertValidDescription } from '../sdp/jsep/validate.js';
import { parseSdp } from '../sdp/parse.js';
import { cloneSession, type MediaDirection, type SessionDescription } from '../sdp/types.js';
import { writeSdp } from '../sdp/write.js';
import { takeCertificate } from './certificate-pool.js';
import { DeferredChannelHost } from './channel-host.js';
import {
  checkConfigurationChange,
  type ResolvedConfiguration,
  type RTCConfiguration,
  resolveConfiguration,
} from './configuration.js';
import { RTCPeerConnectionIceEvent, RTCTrackEvent } from './events.js';
import {
  buildAnswer,
  buildOffer,
  type LocalTransportInfo,
  negotiatedDataSection,
  remoteFingerprints,
  remoteIceParameters,
  type SectionSlot,
  transportSection,
  withCandidates,
} from './negotiation.js';
import { isSdpType, RTCSessionDescription, type RTCSessionDescriptionInit } from './session-description.js';
import { collectStats, type RTCStatsReport } from './stats.js';
import {
  checkDirection,
  type RTCRtpEncodingParameters,
  RTCRtpSender,
  RTCRtpTransceiver,
} from './transceiver.js';

const log = createLogger('pc');

export type RTCSignalingState =
  | 'stable'
  | 'have-local-offer'
  | 'have-remote-offer'
  | 'have-local-pranswer'
  | 'have-remote-pranswer'
  | 'closed';
export type RTCPeerConnectionState =
  | 'new'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'failed'
  | 'closed';
export type RTCIceGatheringState = 'new' | 'gathering' | 'complete';

export interface RTCOfferOptions {
  iceRestart?: boolean;
}

export interface RTCDataChannelInit {
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
  protocol?: string;
  negotiated?: boolean;
  id?: number;
  priority?: 'very-low' | 'low' | 'medium' | 'high';
}

export interface RTCRtpTransceiverInit {
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  streams?: MediaStream[];
  sendEncodings?: RTCRtpEncodingParameters[];
}

interface PeerConnectionEventMap {
  icecandidate: RTCPeerConnectionIceEvent;
  icecandidateerror: Event;
  icegatheringstatechange: Event;
  iceconnectionstatechange: Event;
  connectionstatechange: Event;
  signalingstatechange: Event;
  negotiationneeded: Event;
  track: RTCTrackEvent;
  datachannel: RTCDataChannelEvent;
}

interface AppliedDescription {
  readonly init: RTCSessionDescription;
  readonly model: SessionDescription;
}

export class RTCPeerConnection extends RtcEventTarget<PeerConnectionEventMap> {
  private config: ResolvedConfiguration;
  private readonly certificate: Promise<RTCCertificate>;
  private readonly gatherer: RTCIceGatherer;
  private readonly iceTransport: RTCIceTransport;
  private dtlsTransport: RTCDtlsTransport | undefined;
  private sctpTransport: RTCSctpTransport | null = null;
  private readonly channelHost: DeferredChannelHost;
  private readonly transceivers: RTCRtpTransceiver[] = [];
  private slots: SectionSlot[] = [];
  private wantsData = false;
  private readonly sessionId = randomUint64().toString().slice(0, 18);
  /** RTCP CNAME for every sender of this connection (RFC 7022: random per connection). */
  private readonly cname = uuid();
  private sessionVersion = 1n;

  private _signalingState: RTCSignalingState = 'stable';
  private _iceConnectionState: RTCIceTransportState = 'new';
  private _connectionState: RTCPeerConnectionState = 'new';
  private _iceGatheringState: RTCIceGatheringState = 'new';
  private closed = false;

  private currentLocal: AppliedDescription | undefined;
  private pendingLocal: AppliedDescription | undefined;
  private currentRemote: AppliedDescription | undefined;
  private pendingRemote: AppliedDescription | undefined;
  private lastOffer: string | undefined;
  private lastAnswer: string | undefined;
  private weAreOfferer: boolean | undefined;
  private transportsStarted = false;
  private readonly earlyCandidates: (RTCIceCandidateInit | null)[] = [];
  private remoteEndOfCandidates = false;

  private operations: Promise<unknown> = Promise.resolve();
  private negotiationNeeded = false;
  private negotiationQueued = false;

  constructor(configuration: RTCConfiguration = {}) {
    super();
    this.config = resolveConfiguration(configuration);
    const certs = this.config.certificates;
    this.certificate = certs?.[0] ? Promise.resolve(certs[0]) : takeCertificate();
    // An unhandled rejection here would crash the process before anyone awaits the certificate.
    this.certificate.catch(() => undefined);
    this.gatherer = new RTCIceGatherer({
      iceServers: this.config.iceServers,
      iceTransportPolicy: this.config.iceTransportPolicy,
      iceAdditionalHostAddresses: this.config.iceAdditionalHostAddresses ?? [],
      loopbackOnly: this.config.iceLoopbackOnly ?? false,
      turnRejectUnauthorized: this.config.turnRejectUnauthorized ?? true,
    });
    this.iceTransport = new RTCIceTransport(this.gatherer);
    this.channelHost = new DeferredChannelHost(this.config.maxMessageSize ?? 262_144);
    this.gatherer.addEventListener('icecandidate', (e) => this.onLocalCandidate(e));
    this.gatherer.addEventListener('icecandidateerror', (e) => this.dispatchEvent(e));
    this.gatherer.addEventListener('statechange', () => this.updateGatheringState());
    this.iceTransport.addEventListener('statechange', () => this.updateConnectionStates());
  }

  /** W3C static: a certificate for the configuration's `certificates`. */
  static generateCertificate(keygenAlgorithm?: RTCCertificateKeygenAlgorithm): Promise<RTCCertificate> {
    return RTCCertificate.generateCertificate(keygenAlgorithm);
  }

  // ---- attributes

  get signalingState(): RTCSignalingState {
    return this._signalingState;
  }
  get iceConnectionState(): RTCIceTransportState {
    return this._iceConnectionState;
  }
  get connectionState(): RTCPeerConnectionState {
    return this._connectionState;
  }
  get iceGatheringState(): RTCIceGatheringState {
    return this._iceGatheringState;
  }
  get canTrickleIceCandidates(): boolean | null {
    const remote = this.currentRemote ?? this.pendingRemote;
    if (!remote) return null;
    const s = transportSection(remote.model);
    return (s?.iceOptions ?? remote.model.iceOptions ?? []).includes('trickle');
  }
  get sctp(): RTCSctpTransport | null {
    return this.sctpTransport;
  }

  get localDescription(): RTCSessionDescription | null {
    return this.describeLocal(this.pendingLocal ?? this.currentLocal);
  }
  get currentLocalDescription(): RTCSessionDescription | null {
    return this.describeLocal(this.currentLocal);
  }
  get pendingLocalDescription(): RTCSessionDescription | null {
    return this.describeLocal(this.pendingLocal);
  }
  get remoteDescription(): RTCSessionDescription | null {
    return this.describeRemote(this.pendingRemote ?? this.currentRemote);
  }
  get currentRemoteDescription(): RTCSessionDescription | null {
    return this.describeRemote(this.currentRemote);
  }
  get pendingRemoteDescription(): RTCSessionDescription | null {
    return this.describeRemote(this.pendingRemote);
  }

  private describeLocal(d: AppliedDescription | undefined): RTCSessionDescription | null {
    if (!d) return null;
    return new RTCSessionDescription({ type: d.init.type, sdp: writeSdp(this.withLocalCandidates(d.model)) });
  }
  private describeRemote(d: AppliedDescription | undefined): RTCSessionDescription | null {
    return d ? new RTCSessionDescription({ type: d.init.type, sdp: writeSdp(d.model) }) : null;
  }

  // ---- event handler attributes

  get onicecandidate(): EventHandler<RTCPeerConnectionIceEvent> {
    return this.getHandler('icecandidate');
  }
  set onicecandidate(h: EventHandler<RTCPeerConnectionIceEvent>) {
    this.setHandler('icecandidate', h);
  }
  get onicecandidateerror(): EventHandler<Event> {
    return this.getHandler('icecandidateerror');
  }
  set onicecandidateerror(h: EventHandler<Event>) {
    this.setHandler('icecandidateerror', h);
  }
  get onicegatheringstatechange(): EventHandler<Event> {
    return this.getHandler('icegatheringstatechange');
  }
  set onicegatheringstatechange(h: EventHandler<Event>) {
    this.setHandler('icegatheringstatechange', h);
  }
  get oniceconnectionstatechange(): EventHandler<Event> {
    return this.getHandler('iceconnectionstatechange');
  }
  set oniceconnectionstatechange(h: EventHandler<Event>) {
    this.setHandler('iceconnectionstatechange', h);
  }
  get onconnectionstatechange(): EventHandler<Event> {
    return this.getHandler('connectionstatechange');
  }
  set onconnectionstatechange(h: EventHandler<Event>) {
    this.setHandler('connectionstatechange', h);
  }
  get onsignalingstatechange(): EventHandler<Event> {
    return this.getHandler('signalingstatechange');
  }
  set onsignalingstatechange(h: EventHandler<Event>) {
    this.setHandler('signalingstatechange', h);
  }
  get onnegotiationneeded(): EventHandler<Event> {
    return this.getHandler('negotiationneeded');
  }
  set onnegotiationneeded(h: EventHandler<Event>) {
    this.setHandler('negotiationneeded', h);
  }
  get ontrack(): EventHandler<RTCTrackEvent> {
    return this.getHandler('track');
  }
  set ontrack(h: EventHandler<RTCTrackEvent>) {
    this.setHandler('track', h);
  }
  get ondatachannel(): EventHandler<RTCDataChannelEvent> {
    return this.getHandler('datachannel');
  }
  set ondatachannel(h: EventHandler<RTCDataChannelEvent>) {
    this.setHandler('datachannel', h);
  }

  // ---- configuration

  getConfiguration(): RTCConfiguration {
    return { ...this.config, iceServers: this.config.iceServers.map((s) => ({ ...s })) };
  }

  setConfiguration(configuration: RTCConfiguration): void {
    this.assertOpen('setConfiguration');
    const next = resolveConfiguration({
      ...configuration,
      certificates: configuration.certificates ?? this.config.certificates,
    });
    checkConfigurationChange(this.config, next);
    this.config = next;
  }

  // ---- tracks, transceivers, channels

  getTransceivers(): RTCRtpTransceiver[] {
    return [...this.transceivers];
  }
  getSenders(): RTCRtpSender[] {
    return this.transceivers.filter((t) => !t.stopped).map((t) => t.sender);
  }
  getReceivers(): RTCRtpTransceiver['receiver'][] {
    return this.transceivers.filter((t) => !t.stopped).map((t) => t.receiver);
  }

  addTransceiver(
    trackOrKind: MediaStreamTrack | 'audio' | 'video',
    init: RTCRtpTransceiverInit = {},
  ): RTCRtpTransceiver {
    this.assertOpen('addTransceiver');
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    if (kind !== 'audio' && kind !== 'video')
      throw new TypeError(`transceiver kind must be 'audio' or 'video', not '${kind}'`);
    const direction = init.direction ?? 'sendrecv';
    checkDirection(direction);
    const track = typeof trackOrKind === 'string' ? null : trackOrKind;
    const t = new RTCRtpTransceiver(
      kind,
      new RTCRtpSender(kind, track, init.streams ?? [], init.sendEncodings),
      direction,
    );
    this.bindTransceiver(t);
    this.updateNegotiationNeeded();
    return t;
  }

  addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): RTCRtpSender {
    this.assertOpen('addTrack');
    const kind = track.kind;
    if (kind !== 'audio' && kind !== 'video') throw new TypeError(`a track of kind '${kind}' cannot be sent`);
    if (this.transceivers.some((t) => t.sender.track === track)) {
      throw invalidAccess('this track already has a sender on this connection');
    }
    const reusable = this.transceivers.find(
      (t) => !t.stopped && t.kind === kind && t.sender.track === null && !t.usedToSend,
    );
    if (reusable) {
      reusable.sender.setTrack(track);
      reusable.sender.streamIds = streams.map((s) => s.id);
      if (reusable.direction === 'recvonly') reusable.direction = 'sendrecv';
      else if (reusable.direction === 'inactive') reusable.direction = 'sendonly';
      this.updateNegotiationNeeded();
      return reusable.sender;
    }
    return this.addTransceiver(track, { direction: 'sendrecv', streams }).sender;
  }

  removeTrack(sender: RTCRtpSender): void {
    this.assertOpen('removeTrack');
    const t = this.transceivers.find((x) => x.sender === sender);
    if (!t) throw invalidAccess('this sender was not created by this connection');
    if (!sender.track) return;
    sender.setTrack(null);
    if (t.direction === 'sendrecv') t.direction = 'recvonly';
    else if (t.direction === 'sendonly') t.direction = 'inactive';
    this.updateNegotiationNeeded();
  }

  createDataChannel(label: string, init: RTCDataChannelInit = {}): RTCDataChannel {
    this.assertOpen('createDataChannel');
    if (typeof label !== 'string') label = String(label);
    if (init.maxPacketLifeTime != null && init.maxRetransmits != null) {
      throw new TypeError('maxPacketLifeTime and maxRetransmits cannot both be set');
    }
    if (init.id !== undefined && !init.negotiated) {
      // W3C: an id without negotiated is ignored; the id follows the DTLS role.
    }
    const params: RTCDataChannelParameters = {
      label,
      ordered: init.ordered ?? true,
      maxPacketLifeTime: init.maxPacketLifeTime ?? null,
      maxRetransmits: init.maxRetransmits ?? null,
      protocol: init.protocol ?? '',
      negotiated: init.negotiated ?? false,
      id: init.negotiated ? (init.id ?? null) : null,
      priority: init.priority ?? 'low',
    };
    if (params.negotiated && (params.id === null || params.id === undefined)) {
      throw new TypeError('a negotiated data channel needs an id');
    }
    const channel = new RTCDataChannel(this.sctpTransport ?? this.channelHost, params);
    this.channelsForStats.push(channel);
    if (!this.wantsData) {
      this.wantsData = true;
      this.updateNegotiationNeeded();
    }
    return channel;
  }

  private bindTransceiver(t: RTCRtpTransceiver): void {
    t.onDirectionChange = () => this.updateNegotiationNeeded();
    this.transceivers.push(t);
  }

  // ---- offer / answer

  createOffer(options: RTCOfferOptions = {}): Promise<RTCSessionDescriptionInit> {
    return this.chain('createOffer', async () => {
      if (options.iceRestart) this.restartPending = true;
      return this.createOfferNow();
    });
  }

  createAnswer(): Promise<RTCSessionDescriptionInit> {
    return this.chain('createAnswer', async () => {
      if (this._signalingState !== 'have-remote-offer' && this._signalingState !== 'have-local-pranswer') {
        throw invalidState(
          `createAnswer() needs a remote offer; the signaling state is ${this._signalingState}`,
        );
      }
      return this.createAnswerNow();
    });
  }

  private restartPending = false;

  setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    return this.chain('setLocalDescription', async () => {
      let init = description;
      if (!init || (init.type !== 'rollback' && !init.sdp)) {
        // Implicit description (W3C): create what the signaling state calls for.
        const type: RTCSessionDescriptionInit['type'] =
          init?.type ??
          (this._signalingState === 'have-remote-offer' || this._signalingState === 'have-local-pranswer'
            ? 'answer'
            : 'offer');
        if (type === 'offer') {
          if (this._signalingState !== 'stable' && this._signalingState !== 'have-local-offer') {
            throw invalidState(`cannot create an implicit offer in state ${this._signalingState}`);
          }
          init = await this.createOfferNow();
        } else if (type === 'answer' || type === 'pranswer') {
          init = { ...(await this.createAnswerNow()), type };
        } else {
          throw new TypeError(`cannot set an implicit local description of type ${type}`);
        }
      }
      await this.applyLocal(init);
    });
  }

  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    return this.chain('setRemoteDescription', async () => {
      if (!description || !isSdpType(description.type)) {
        throw new TypeError(
          `setRemoteDescription() needs a description with a valid type, not ${String(description?.type)}`,
        );
      }
      await this.applyRemote(description);
    });
  }

  addIceCandidate(candidate?: RTCIceCandidateInit | RTCIceCandidate | null): Promise<void> {
    return this.chain('addIceCandidate', async () => {
      const init = candidate instanceof RTCIceCandidate ? candidate.toJSON() : (candidate ?? null);
      if (init?.candidate && (init.sdpMid ?? null) === null && (init.sdpMLineIndex ?? null) === null) {
        throw new TypeError('addIceCandidate() needs sdpMid or sdpMLineIndex');
      }
      if (!this.currentRemote && !this.pendingRemote) {
        // Queued until the remote description arrives (aiortc and the issue ask for this leniency).
        this.earlyCandidates.push(init);
        return;
      }
      this.applyRemoteCandidate(init);
    });
  }

  restartIce(): void {
    this.restartPending = true;
    this.updateNegotiationNeeded();
  }

  getStats(selector?: MediaStreamTrack | null): Promise<RTCStatsReport> {
    void selector;
    return Promise.resolve(
      collectStats({
        iceTransport: this.iceTransport,
        dtlsTransport: this.dtlsTransport,
        sctpTransport: this.sctpTransport,
        certificate: this.certificateValue,
        remoteCertificates: this.dtlsTransport?.getRemoteCertificates() ?? [],
        channels: this.channelsForStats,
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this._signalingState = 'closed';
    for (const t of this.transceivers) t.stop();
    this.channelHost.closeAll();
    await this.sctpTransport?.stop().catch(() => undefined);
    await this.dtlsTransport?.stop().catch(() => undefined);
    await this.iceTransport.stop().catch(() => undefined);
    this.gatherer.close();
    // W3C: closing sets the states without firing events.
    this._iceConnectionState = 'closed';
    this._connectionState = 'closed';
  }

  // ---- internals: operations chain

  private chain<T>(name: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(invalidState(`${name}() called on a closed RTCPeerConnection`));
    const run = this.operations.then(() => {
      if (this.closed) throw invalidState(`${name}() called on a closed RTCPeerConnection`);
      return op();
    });
    this.operations = run.catch(() => undefined);
    return run.finally(() => this.maybeFireNegotiationNeeded());
  }

  private assertOpen(name: string): void {
    if (this.closed) throw invalidState(`${name}() called on a closed RTCPeerConnection`);
  }

  private certificateValue: RTCCertificate | undefined;
  private readonly channelsForStats: RTCDataChannel[] = [];

  private async localTransportInfo(): Promise<LocalTransportInfo> {
    const cert = await this.certificate;
    this.certificateValue = cert;
    if (!this.dtlsTransport) this.createDtlsTransport(cert);
    if (this.restartPending && this.transportsStarted) {
      this.restartPending = false;
      this.iceTransport.restart();
    }
    const ice = this.iceTransport.getLocalParameters();
    const sha256 = cert.getFingerprints().filter((f) => f.algorithm === 'sha-256');
    return {
      usernameFragment: ice.usernameFragment,
      password: ice.password,
      fingerprints: sha256.map((f) => ({ algorithm: f.algorithm, value: f.value })),
    };
  }

  private createDtlsTransport(cert: RTCCertificate): void {
    const dtls = new RTCDtlsTransport(this.iceTransport, [cert]);
    dtls.addEventListener('statechange', () => this.updateConnectionStates());
    this.dtlsTransport = dtls;
    for (const t of this.transceivers) {
      t.sender.transport = dtls;
      t.receiver.transport = dtls;
    }
  }

  private async createOfferNow(): Promise<RTCSessionDescriptionInit> {
    const transport = await this.localTransportInfo();
    const model = buildOffer({
      sessionId: this.sessionId,
      sessionVersion: String(this.sessionVersion++),
      slots: this.planSlots(),
      transport,
      maxMessageSize: this.config.maxMessageSize ?? 262_144,
      cname: this.cname,
      previous: this.currentLocal?.model,
      bundlePolicy: this.config.bundlePolicy,
    });
    const sdp = writeSdp(this.withLocalCandidates(model));
    this.lastOffer = sdp;
    return { type: 'offer', sdp };
  }

  private async createAnswerNow(): Promise<RTCSessionDescriptionInit> {
    if (!this.pendingRemote) throw invalidState('there is no remote offer to answer');
    const transport = await this.localTransportInfo();
    const model = buildAnswer({
      sessionId: this.sessionId,
      sessionVersion: String(this.sessionVersion++),
      offer: this.pendingRemote.model,
      transport,
      maxMessageSize: this.config.maxMessageSize ?? 262_144,
      directionFor: (mid) => this.answerDirectionFor(mid),
      transceiverFor: (mid) => this.transceivers.find((t) => t.mid === mid),
    });
    const sdp = writeSdp(this.withLocalCandidates(model));
    this.lastAnswer = sdp;
    return { type: 'answer', sdp };
  }

  private withLocalCandidates(model: SessionDescription): SessionDescription {
    return withCandidates(model, this.gatherer.getLocalCandidates(), this.gatherer.state === 'complete');
  }

  /** The m-lines of our next offer: existing ones in order, then new transceivers, then data. */
  private planSlots(): SectionSlot[] {
    const used = new Set(this.slots.map((s) => s.mid));
    const nextMid = (): string => {
      let i = 0;
      while (used.has(String(i))) i++;
      used.add(String(i));
      return String(i);
    };
    const slots = [...this.slots];
    for (const t of this.transceivers) {
      if (t.mid !== null || t.stopped) continue;
      t.mid = nextMid();
      slots.push({ mid: t.mid, kind: t.kind, transceiver: t });
    }
    if (this.wantsData && !slots.some((s) => s.kind === 'application')) {
      slots.push({ mid: nextMid(), kind: 'application' });
    }
    return slots;
  }

  private answerDirectionFor(mid: string | undefined): MediaDirection {
    const t = this.transceivers.find((x) => x.mid === mid);
    if (!t || t.stopped) return 'recvonly';
    const d = t.direction;
    return d === 'stopped' ? 'inactive' : d;
  }

  // ---- applying descriptions

  private async applyLocal(init: RTCSessionDescriptionInit): Promise<void> {
    const state = this._signalingState;
    if (init.type === 'rollback') {
      if (state !== 'have-local-offer' && state !== 'have-local-pranswer') {
        throw invalidState(`cannot roll back a local description in state ${state}`);
      }
      this.rollbackLocal();
      return;
    }
    const desc = new RTCSessionDescription(init);
    if (desc.type === 'offer') {
      if (state !== 'stable' && state !== 'have-local-offer') {
        throw invalidState(`cannot set a local offer in state ${state}`);
      }
      if (desc.sdp !== this.lastOffer) {
        throw invalidModification('the local offer must be the one createOffer() returned');
      }
    } else if (state !== 'have-remote-offer' && state !== 'have-local-pranswer') {
      throw invalidState(`cannot set a local ${desc.type} in state ${state}`);
    } else if (desc.sdp !== this.lastAnswer) {
      throw invalidModification('the local answer must be the one createAnswer() returned');
    }
    const model = parseSdp(desc.sdp);
    const applied = { init: desc, model };
    if (desc.type === 'offer') {
      this.pendingLocal = applied;
      this.weAreOfferer = true;
      this.slots = this.slotsFrom(model);
      this.setSignalingState('have-local-offer');
    } else {
      this.weAreOfferer = false;
      if (desc.type === 'answer') {
        this.currentLocal = applied;
        this.currentRemote = this.pendingRemote;
        this.pendingLocal = undefined;
        this.pendingRemote = undefined;
        this.slots = this.slotsFrom(model);
        this.setSignalingState('stable');
      } else {
        this.pendingLocal = applied;
        this.setSignalingState('have-local-pranswer');
      }
      this.updateTransceiverDirections(model, this.currentRemote?.model ?? this.pendingRemote?.model);
    }
    this.startGathering();
    if (desc.type === 'answer') this.startTransports();
  }

  private rollbackLocal(): void {
    this.pendingLocal = undefined;
    // Transceivers that got a mid only from the rolled-back offer lose it.
    const kept = new Set((this.currentLocal?.model.media ?? []).map((m) => m.mid));
    for (const t of this.transceivers) if (t.mid !== null && !kept.has(t.mid)) t.mid = null;
    this.slots = this.currentLocal ? this.slotsFrom(this.currentLocal.model) : [];
    this.setSignalingState('stable');
  }

  private rollbackRemote(): void {
    const pending = this.pendingRemote;
    this.pendingRemote = undefined;
    if (pending) {
      const kept = new Set((this.currentRemote?.model.media ?? []).map((m) => m.mid));
      for (const t of [...this.transceivers]) {
        if (t.mid !== null && !kept.has(t.mid) && t.createdByRemote) {
          this.transceivers.splice(this.transceivers.indexOf(t), 1);
          t.stop();
        } else if (t.mid !== null && !kept.has(t.mid)) {
          t.mid = null;
        }
      }
    }
    this.setSignalingState('stable');
  }

  private async applyRemote(init: RTCSessionDescriptionInit): Promise<void> {
    const state = this._signalingState;
    if (init.type === 'rollback') {
      if (state !== 'have-remote-offer' && state !== 'have-remote-pranswer') {
        throw invalidState(`cannot roll back a remote description in state ${state}`);
      }
      this.rollbackRemote();
      return;
    }
    const desc = new RTCSessionDescription(init);
    // The signaling state is checked before the SDP is parsed (as browsers do).
    if (desc.type === 'offer') {
      if (state !== 'stable' && state !== 'have-remote-offer' && state !== 'have-local-offer') {
        throw invalidState(`cannot set a remote offer in state ${state}`);
      }
    } else if (state !== 'have-local-offer' && state !== 'have-remote-pranswer') {
      throw invalidState(`cannot set a remote ${desc.type} in state ${state}`);
    }
    let model: SessionDescription;
    try {
      model = parseSdp(desc.sdp);
    } catch (err) {
      throw operationError(`the remote description cannot be parsed: ${(err as Error).message}`);
    }
    if (desc.type === 'offer') {
      assertValidDescription(model, 'offer');
    } else {
      assertValidDescription(
        model,
        desc.type === 'pranswer' ? 'pranswer' : 'answer',
        this.pendingLocal?.model,
      );
    }
    if (!remoteIceParameters(model)) throw invalidAccess('the remote description has no ICE ufrag/pwd');
    if (remoteFingerprints(model).length === 0)
      throw invalidAccess('the remote description has no DTLS fingerprint');
    const applied = { init: desc, model: cloneSession(model) };
    const previousRemote = this.currentRemote?.model;
    if (desc.type === 'offer') {
      // Perfect negotiation: an offer in have-local-offer rolls our offer back first (W3C implicit rollback).
      if (state === 'have-local-offer') this.rollbackLocal();
      this.pendingRemote = applied;
      this.weAreOfferer = false;
      this.associateTransceivers(model);
      this.setSignalingState('have-remote-offer');
    } else if (desc.type === 'answer') {
      this.currentRemote = applied;
      this.currentLocal = this.pendingLocal;
      this.pendingLocal = undefined;
      this.pendingRemote = undefined;
      this.updateTransceiverDirections(this.currentLocal!.model, model);
      this.setSignalingState('stable');
    } else {
      this.pendingRemote = applied;
      this.setSignalingState('have-remote-pranswer');
    }
    this.applyRemoteIce(model, previousRemote);
    this.fireTrackEvents(model);
    if (desc.type === 'answer') this.startTransports();
  }

  private applyRemoteIce(model: SessionDescription, previous: SessionDescription | undefined): void {
    const params = remoteIceParameters(model)!;
    const before = previous ? remoteIceParameters(previous) : undefined;
    if (this.transportsStarted && before && before.usernameFragment !== params.usernameFragment) {
      this.iceTransport.updateRemoteParameters(params);
    }
    const section = transportSection(model);
    const index = section ? model.media.indexOf(section) : 0;
    for (const c of section?.candidates ?? []) {
      try {
        this.applyRemoteCandidate(
          { candidate: writeCandidate(c), sdpMid: section?.mid ?? null, sdpMLineIndex: index },
          false,
        );
      } catch (err) {
        log.debug(`ignored a candidate of the remote description: ${(err as Error).message}`);
      }
    }
    if (section?.endOfCandidates) this.applyRemoteCandidate(null, false);
    for (const c of this.earlyCandidates.splice(0)) {
      // A queued candidate may belong to a description that never came (a rolled-back offer of the peer):
      // it is dropped, and must not undo the description being applied.
      try {
        this.applyRemoteCandidate(c);
      } catch (err) {
        log.debug(`dropped an early candidate: ${(err as Error).message}`);
      }
    }
  }

  private applyRemoteCandidate(init: RTCIceCandidateInit | null, record = true): void {
    const remote = (this.pendingRemote ?? this.currentRemote)!;
    if (!init?.candidate) {
      this.remoteEndOfCandidates = true;
      if (this.transportsStarted || this.pendingRemote) this.iceTransport.addRemoteCandidate(null);
      return;
    }
    const index = sectionIndexFor(remote.model, init);
    if (index === undefined)
      throw operationError(
        `no media section matches sdpMid ${init.sdpMid} / sdpMLineIndex ${init.sdpMLineIndex}`,
      );
    const params = remoteIceParameters(remote.model);
    if (init.usernameFragment && params && init.usernameFragment !== params.usernameFragment) {
      throw operationError('the candidate belongs to another ICE generation (usernameFragment mismatch)');
    }
    let candidate: RTCIceCandidate;
    try {
      candidate = new RTCIceCandidate({
        ...init,
        sdpMid: init.sdpMid ?? remote.model.media[index]?.mid ?? null,
        sdpMLineIndex: index,
      });
    } catch (err) {
      throw operationError(`invalid candidate: ${(err as Error).message}`);
    }
    if (!candidate.parsed) throw operationError(`the candidate cannot be parsed: ${init.candidate}`);
    if (record) {
      const owner = transportSection(remote.model);
      owner?.candidates.push({ ...candidate.parsed, extensions: [] });
    }
    if (candidate.protocol !== 'udp') return; // ICE-TCP is not supported yet
    this.iceTransport.addRemoteCandidate(candidate);
  }

  private slotsFrom(model: SessionDescription): SectionSlot[] {
    const slots: SectionSlot[] = [];
    for (const m of model.media) {
      if (m.mid === undefined) continue;
      if (m.kind === 'application') slots.push({ mid: m.mid, kind: 'application' });
      else {
        const kind = mediaKind(m.kind);
        const t = this.transceivers.find((x) => x.mid === m.mid);
        if (kind && t) slots.push({ mid: m.mid, kind, transceiver: t });
      }
    }
    return slots;
  }

  /** W3C "process remote tracks": bind the remote offer's m-lines to transceivers, creating what is missing. */
  private associateTransceivers(model: SessionDescription): void {
    for (const m of model.media) {
      if (m.kind === 'application') {
        if (m.port !== 0 || m.bundleOnly) this.wantsData = true;
        continue;
      }
      const kind = mediaKind(m.kind);
      if (!kind || m.mid === undefined) continue;
      if (this.transceivers.some((t) => t.mid === m.mid)) continue;
      const free = this.transceivers.find(
        (t) => t.mid === null && !t.stopped && t.kind === kind && t.sender.track !== null,
      );
      if (free) {
        free.mid = m.mid;
        continue;
      }
      const t = new RTCRtpTransceiver(kind, new RTCRtpSender(kind, null), 'recvonly');
      t.mid = m.mid;
      t.createdByRemote = true;
      if (this.dtlsTransport) {
        t.sender.transport = this.dtlsTransport;
        t.receiver.transport = this.dtlsTransport;
      }
      this.bindTransceiver(t);
    }
  }

  private updateTransceiverDirections(
    local: SessionDescription,
    remote: SessionDescription | undefined,
  ): void {
    for (const m of local.media) {
      const t = this.transceivers.find((x) => x.mid === m.mid);
      if (!t) continue;
      if (m.port === 0 && !m.bundleOnly) {
        t.setCurrentDirection('inactive');
        continue;
      }
      const d = m.direction ?? 'sendrecv';
      if (d === 'sendrecv' || d === 'sendonly') t.usedToSend = true;
      if (remote) t.setCurrentDirection(d);
    }
  }

  private fireTrackEvents(model: SessionDescription): void {
    for (const m of model.media) {
      const t = this.transceivers.find((x) => x.mid === m.mid);
      if (!t || t.stopped) continue;
      const remoteSends = (m.direction ?? 'sendrecv') === 'sendrecv' || m.direction === 'sendonly';
      if (!remoteSends || t.trackAnnounced || m.port === 0) continue;
      t.trackAnnounced = true;
      const track = t.receiver.track;
      queueMicrotask(() =>
        this.dispatchEvent(new RTCTrackEvent('track', { receiver: t.receiver, track, transceiver: t })),
      );
    }
  }

  // ---- transports

  private startGathering(): void {
    if (this.gatherer.state !== 'new') return;
    this.gatherer.gather().catch((err: Error) => log.warn(`gathering failed: ${err.message}`));
  }

  private startTransports(): void {
    if (this.transportsStarted) return;
    const local = this.currentLocal?.model;
    const remote = this.currentRemote?.model;
    const dtls = this.dtlsTransport;
    if (!local || !remote || !dtls) return;
    const iceParams = remoteIceParameters(remote);
    if (!iceParams) return;
    this.transportsStarted = true;
    const offerer = this.weAreOfferer === true;
    this.iceTransport.role = offerer || iceParams.iceLite ? 'controlling' : 'controlled';
    this.iceTransport.start(iceParams).catch((err: Error) => log.debug(`ICE: ${err.message}`));
    if (this.remoteEndOfCandidates) this.iceTransport.addRemoteCandidate(null);

    const answer = offerer ? remote : local;
    const answerSection = transportSection(answer);
    const role =
      negotiatedDtlsRole(offerer, answerSection ? setupOf(answer, answerSection) : undefined) ?? 'client';
    const fingerprints = remoteFingerprints(remote).map((f) => ({
      algorithm: f.algorithm.toLowerCase(),
      value: f.value,
    }));
    dtls
      .start(new RTCDtlsParameters(fingerprints, role === 'client' ? 'server' : 'client'))
      .catch((err: Error) => log.debug(`DTLS: ${err.message}`));

    const data = negotiatedDataSection(local, remote);
    if (data) {
      const sctp = new RTCSctpTransport(dtls, 5000, {
        maxMessageSize: this.config.maxMessageSize ?? 262_144,
      });
      this.sctpTransport = sctp;
      sctp.addEventListener('datachannel', (e) => {
        this.channelsForStats.push(e.channel);
        this.dispatchEvent(new RTCDataChannelEvent('datachannel', { channel: e.channel }));
      });
      this.channelHost.attach(sctp);
      sctp
        .start({ maxMessageSize: data.remoteMaxMessageSize }, data.remotePort)
        .catch((err: Error) => log.debug(`SCTP: ${err.message}`));
    }
  }

  private onLocalCandidate(e: RTCIceGathererEvent): void {
    if (this.closed) return;
    const local = this.pendingLocal ?? this.currentLocal;
    const section = local ? transportSection(local.model) : undefined;
    const mid = section?.mid ?? '0';
    const index = local
      ? Math.max(
          0,
          local.model.media.findIndex((m) => m.mid === mid),
        )
      : 0;
    const ufrag = this.iceTransport.getLocalParameters().usernameFragment;
    const candidate = e.candidate
      ? new RTCIceCandidate({
          candidate: e.candidate.candidate,
          sdpMid: mid,
          sdpMLineIndex: index,
          usernameFragment: ufrag,
        })
      : null;
    this.dispatchEvent(new RTCPeerConnectionIceEvent('icecandidate', { candidate, url: e.url }));
  }

  // ---- states

  private setSignalingState(state: RTCSignalingState): void {
    if (this._signalingState === state) return;
    this._signalingState = state;
    this.dispatchEvent(new Event('signalingstatechange'));
  }

  private updateGatheringState(): void {
    if (this.closed) return;
    const s = this.gatherer.state;
    const next: RTCIceGatheringState =
      s === 'gathering' ? 'gathering' : s === 'complete' ? 'complete' : this._iceGatheringState;
    if (next === this._iceGatheringState) return;
    this._iceGatheringState = next;
    this.dispatchEvent(new Event('icegatheringstatechange'));
  }

  private updateConnectionStates(): void {
    if (this.closed) return;
    const ice = this.iceTransport.state;
    if (ice !== this._iceConnectionState) {
      this._iceConnectionState = ice;
      this.dispatchEvent(new Event('iceconnectionstatechange'));
    }
    const dtls = this.dtlsTransport?.state ?? 'new';
    let next: RTCPeerConnectionState;
    if (ice === 'failed' || dtls === 'failed') next = 'failed';
    else if (ice === 'disconnected') next = 'disconnected';
    else if ((ice === 'new' || ice === 'closed') && (dtls === 'new' || dtls === 'closed')) next = 'new';
    else if ((ice === 'connected' || ice === 'completed') && dtls === 'connected') next = 'connected';
    else next = 'connecting';
    if (next === this._connectionState) return;
    this._connectionState = next;
    this.dispatchEvent(new Event('connectionstatechange'));
  }

  // ---- negotiationneeded (W3C §4.7.3)

  private isNegotiationNeeded(): boolean {
    if (this.restartPending) return true;
    const local = this.currentLocal?.model;
    if (this.wantsData && !local?.media.some((m) => m.kind === 'application')) return true;
    for (const t of this.transceivers) {
      if (t.stopped) {
        if (t.mid !== null && local?.media.some((m) => m.mid === t.mid && m.port !== 0)) return true;
        continue;
      }
      if (t.mid === null) return true;
      const m = local?.media.find((x) => x.mid === t.mid);
      if (!m) return true;
      const offered = m.direction ?? 'sendrecv';
      if (this.weAreOfferer && offered !== t.direction) return true;
      if (!this.weAreOfferer && t.direction !== 'stopped' && !answerAllows(offered, t.direction)) return true;
    }
    return false;
  }

  private updateNegotiationNeeded(): void {
    if (this.closed) return;
    this.negotiationNeeded = true;
    this.maybeFireNegotiationNeeded();
  }

  private maybeFireNegotiationNeeded(): void {
    if (!this.negotiationNeeded || this.negotiationQueued || this.closed) return;
    this.negotiationQueued = true;
    setTimeout(() => {
      this.negotiationQueued = false;
      if (this.closed || this._signalingState !== 'stable') return;
      if (!this.isNegotiationNeeded()) {
        this.negotiationNeeded = false;
        return;
      }
      this.negotiationNeeded = false;
      this.dispatchEvent(new Event('negotiationneeded'));
    }, 0);
  }
}

function mediaKind(kind: string): 'audio' | 'video' | undefined {
  return kind === 'audio' || kind === 'video' ? kind : undefined;
}

function answerAllows(answered: MediaDirection, wanted: string): boolean {
  const send = wanted === 'sendrecv' || wanted === 'sendonly';
  const answeredSend = answered === 'sendrecv' || answered === 'sendonly';
  return send === answeredSend || !send;
}

function invalidModification(message: string): DOMException {
  return new DOMException(message, 'InvalidModificationError');
}
