/**
 * The JSEP signaling state machine (RFC 8829, W3C webrtc-pc §4.4.1): current and pending descriptions,
 * createOffer/createAnswer, setLocalDescription (explicit and implicit) and setRemoteDescription with
 * rollback and the implicit rollback perfect negotiation relies on, and remote candidates. Whenever a round
 * completes, the transports are told to match it (`ConnectionTransports.apply`).
 */
import { invalidState } from '../common/errors.js';
import { randomUint64 } from '../common/random.js';
import type { RTCCertificate } from '../dtls/certificate.js';
import type { RTCIceCandidateInit } from '../ice/candidate.js';
import { parseSdp } from '../sdp/parse.js';
import type { SessionDescription } from '../sdp/types.js';
import { writeSdp } from '../sdp/write.js';
import type { ResolvedConfiguration } from './configuration.js';
import { invalidModification } from './errors.js';
import {
  buildAnswer,
  buildOffer,
  type LocalTransportInfo,
  transportSection,
  withCandidates,
} from './negotiation.js';
import { addRemoteCandidate } from './remote-candidates.js';
import { parseRemoteDescription } from './remote-description.js';
import type { RemoteTrackChanges } from './remote-streams.js';
import { RTCSessionDescription, type RTCSessionDescriptionInit } from './session-description.js';
import { isRejected, type TransceiverSet } from './transceiver-set.js';
import type { ConnectionTransports } from './transports.js';
import { toDictionary } from './webidl.js';

export type RTCSignalingState =
  | 'stable'
  | 'have-local-offer'
  | 'have-remote-offer'
  | 'have-local-pranswer'
  | 'have-remote-pranswer'
  | 'closed';

export interface RTCOfferOptions {
  iceRestart?: boolean;
  /** Legacy (still honoured by browsers): make sure an audio/video section receives. */
  offerToReceiveAudio?: boolean;
  offerToReceiveVideo?: boolean;
}

/** WebIDL RTCOfferOptions: booleans, the legacy ones only when present. */
export function toOfferOptions(value: unknown): RTCOfferOptions {
  const d = toDictionary(value, 'RTCOfferOptions');
  const out: RTCOfferOptions = { iceRestart: Boolean(d.iceRestart) };
  if (d.offerToReceiveAudio !== undefined) out.offerToReceiveAudio = Boolean(d.offerToReceiveAudio);
  if (d.offerToReceiveVideo !== undefined) out.offerToReceiveVideo = Boolean(d.offerToReceiveVideo);
  return out;
}

interface AppliedDescription {
  readonly type: 'offer' | 'answer' | 'pranswer';
  readonly model: SessionDescription;
  /** The object the attributes return, kept while its SDP stays the same (so `a.x === a.x`). */
  shown?: RTCSessionDescription;
}

/** buildOffer/buildAnswer write this; `ConnectionTransports.planLocal` then writes each section's own. */
function placeholderTransport(): LocalTransportInfo {
  return { usernameFragment: '', password: '', fingerprints: [] };
}

/** The description's W3C object: the same one until candidates change its SDP. */
function shown(d: AppliedDescription, sdp: string): RTCSessionDescription {
  if (d.shown?.sdp !== sdp) d.shown = new RTCSessionDescription({ type: d.type, sdp });
  return d.shown;
}

/** What the state machine needs from the peer connection it belongs to. */
export interface SignalingHost {
  readonly transceivers: TransceiverSet;
  readonly transports: ConnectionTransports;
  readonly cname: string;
  config(): ResolvedConfiguration;
  /** The connection's certificates (the configured ones, or one generated for it). */
  certificates(): Promise<readonly RTCCertificate[]>;
  /** Is a data section wanted (a channel was created, or the peer offered one)? */
  wantsData(): boolean;
  remoteOfferedData(): void;
  signalingStateChanged(): void;
  /** Receivers the remote description starts feeding (fire `track`) and stops feeding (mute). */
  remoteTracks(changes: RemoteTrackChanges, remote: SessionDescription): void;
}

export class Signaling {
  private _state: RTCSignalingState = 'stable';
  private currentLocal: AppliedDescription | undefined;
  private pendingLocal: AppliedDescription | undefined;
  private currentRemote: AppliedDescription | undefined;
  private pendingRemote: AppliedDescription | undefined;
  private lastOffer: string | undefined;
  private lastAnswer: string | undefined;
  private sessionVersion = 1n;
  private readonly sessionId: string;
  /** Who offered in the current (or last) round. */
  weAreOfferer: boolean | undefined;
  /** restartIce() or createOffer({ iceRestart }) asked for new ICE credentials in the next offer. */
  restartPending = false;

  constructor(private readonly host: SignalingHost) {
    this.sessionId = randomUint64(host.transports.runtime.random).toString().slice(0, 18);
  }

  get state(): RTCSignalingState {
    return this._state;
  }

  get hasLocal(): boolean {
    return this.currentLocal !== undefined || this.pendingLocal !== undefined;
  }

  get hasRemote(): boolean {
    return this.currentRemote !== undefined || this.pendingRemote !== undefined;
  }

  /** The last negotiated local description, for negotiationneeded. */
  get currentLocalModel(): SessionDescription | undefined {
    return this.currentLocal?.model;
  }

  close(): void {
    this._state = 'closed';
  }

  // ---- descriptions as the W3C attributes show them

  local(which: 'current' | 'pending' | 'either'): RTCSessionDescription | null {
    const d =
      which === 'current'
        ? this.currentLocal
        : which === 'pending'
          ? this.pendingLocal
          : (this.pendingLocal ?? this.currentLocal);
    // The pending description's sections use the proposed transports; a current one the negotiated ones.
    const transports = d === this.pendingLocal ? 'proposed' : 'committed';
    return d ? shown(d, writeSdp(this.withLocalCandidates(d.model, transports))) : null;
  }

  remote(which: 'current' | 'pending' | 'either'): RTCSessionDescription | null {
    const d =
      which === 'current'
        ? this.currentRemote
        : which === 'pending'
          ? this.pendingRemote
          : (this.pendingRemote ?? this.currentRemote);
    return d ? shown(d, writeSdp(d.model)) : null;
  }

  canTrickleIceCandidates(): boolean | null {
    const remote = this.pendingRemote ?? this.currentRemote;
    if (!remote) return null;
    const s = transportSection(remote.model);
    return (s?.iceOptions ?? remote.model.iceOptions ?? []).includes('trickle');
  }

  /** The m-line index of a section of our description (candidates are announced with it). */
  localSectionIndex(mid: string): number {
    const local = this.pendingLocal ?? this.currentLocal;
    return local
      ? Math.max(
          0,
          local.model.media.findIndex((m) => m.mid === mid),
        )
      : 0;
  }

  // ---- offer / answer

  async createOffer(options: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    if (options.iceRestart) this.restartPending = true;
    const certificates = await this.host.certificates();
    const transport = placeholderTransport();
    const model = buildOffer({
      sessionId: this.sessionId,
      sessionVersion: String(this.sessionVersion++),
      slots: this.host.transceivers.planSlots(this.host.wantsData()),
      transport,
      maxMessageSize: this.host.config().maxMessageSize ?? 262_144,
      cname: this.host.cname,
      previous: this.currentLocal?.model,
      bundlePolicy: this.host.config().bundlePolicy,
    });
    this.host.transports.planLocal(model, {
      type: 'offer',
      initial: this.currentLocal === undefined,
      certificates,
      iceRestart: this.takeRestart(),
    });
    const sdp = writeSdp(this.withLocalCandidates(model, 'proposed'));
    this.lastOffer = sdp;
    return { type: 'offer', sdp };
  }

  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    if (this._state !== 'have-remote-offer' && this._state !== 'have-local-pranswer') {
      throw invalidState(`createAnswer() needs a remote offer; the signaling state is ${this._state}`);
    }
    const offer = this.pendingRemote;
    if (!offer) throw invalidState('there is no remote offer to answer');
    const certificates = await this.host.certificates();
    const transport = placeholderTransport();
    const model = buildAnswer({
      sessionId: this.sessionId,
      sessionVersion: String(this.sessionVersion++),
      offer: offer.model,
      transport,
      maxMessageSize: this.host.config().maxMessageSize ?? 262_144,
      cname: this.host.cname,
      directionFor: (mid) => this.host.transceivers.answerDirection(mid),
      transceiverFor: (mid) => this.host.transceivers.byMid(mid),
    });
    this.host.transports.planLocal(model, {
      type: 'answer',
      initial: false,
      certificates,
      iceRestart: this.takeRestart(),
      offer: offer.model,
    });
    const sdp = writeSdp(this.withLocalCandidates(model, 'proposed'));
    this.lastAnswer = sdp;
    return { type: 'answer', sdp };
  }

  private takeRestart(): boolean {
    const restart = this.restartPending;
    this.restartPending = false;
    return restart;
  }

  private withLocalCandidates(
    model: SessionDescription,
    which: 'proposed' | 'committed',
  ): SessionDescription {
    return withCandidates(model, (mid) => this.host.transports.localCandidatesOf(mid, which));
  }

  // ---- setLocalDescription

  async setLocal(description: RTCSessionDescriptionInit | undefined): Promise<void> {
    let init = description;
    if (!init || (init.type !== 'rollback' && !init.sdp)) {
      // Implicit description (W3C): create what the signaling state calls for.
      const state = this._state;
      const type =
        init?.type ?? (state === 'have-remote-offer' || state === 'have-local-pranswer' ? 'answer' : 'offer');
      if (type === 'offer') {
        if (state !== 'stable' && state !== 'have-local-offer') {
          throw invalidState(`cannot create an implicit offer in state ${state}`);
        }
        init = await this.createOffer({});
      } else if (type === 'answer' || type === 'pranswer') {
        init = { ...(await this.createAnswer()), type };
      } else {
        throw new TypeError(`cannot set an implicit local description of type ${type}`);
      }
    }
    const checked = init;
    await this.inTask(() => this.checkLocal(checked));
  }

  /**
   * W3C "set the session description": `check` runs now and returns what applies the description; one
   * queued task then applies it, fires its events and settles the promise (an error rejects in a task too).
   */
  private async inTask(check: () => () => void): Promise<void> {
    let apply: () => void;
    try {
      apply = check();
    } catch (err) {
      await this.task();
      throw err;
    }
    await this.task();
    if (this._state === 'closed') throw invalidState('the RTCPeerConnection was closed meanwhile');
    apply();
  }

  private task(): Promise<void> {
    return new Promise((resolve) => this.host.transports.runtime.timers.task(resolve));
  }

  /** Check a local description; returns what applies it. */
  private checkLocal(init: RTCSessionDescriptionInit): () => void {
    const state = this._state;
    if (init.type === 'rollback') {
      if (state !== 'have-local-offer' && state !== 'have-local-pranswer') {
        throw invalidState(`cannot roll back a local description in state ${state}`);
      }
      return () => this.rollbackLocal();
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
    return () => this.applyLocal(desc.type, model);
  }

  private applyLocal(type: RTCSessionDescription['type'], model: SessionDescription): void {
    const ts = this.host.transceivers;
    if (type === 'offer') {
      this.pendingLocal = { type: 'offer', model };
      this.weAreOfferer = true;
      ts.setSlotsFrom(model);
      this.setState('have-local-offer');
    } else {
      this.weAreOfferer = false;
      if (type === 'answer') {
        this.currentLocal = { type: 'answer', model };
        this.currentRemote = this.pendingRemote;
        this.pendingLocal = undefined;
        this.pendingRemote = undefined;
        ts.setSlotsFrom(model);
        ts.updateDirections(model, this.currentRemote?.model, this.host.cname);
        this.setState('stable');
      } else {
        this.pendingLocal = { type: 'pranswer', model };
        ts.updateDirections(model, this.pendingRemote?.model, this.host.cname);
        this.setState('have-local-pranswer');
      }
    }
    this.host.transports.startGathering();
    if (type !== 'offer') this.applyTransports();
    this.bindTransports(model);
  }

  /** W3C: senders and receivers of the sections a description uses get their section's RTCDtlsTransport. */
  private bindTransports(model: SessionDescription): void {
    for (const m of model.media) {
      const t = this.host.transceivers.byMid(m.mid);
      const dtls = this.host.transports.dtlsOf(m.mid);
      if (!t || !dtls || isRejected(m)) continue;
      t.sender.transport = dtls;
      t.receiver.transport = dtls;
    }
  }

  private rollbackLocal(): void {
    this.pendingLocal = undefined;
    this.host.transports.rollback();
    this.host.transceivers.rollbackLocal(this.currentLocal?.model);
    this.setState('stable');
  }

  // ---- setRemoteDescription

  async setRemote(init: RTCSessionDescriptionInit): Promise<void> {
    // W3C: an offer is invalid in have-local-offer, so our offer is rolled back first, as a
    // setLocalDescription({type: 'rollback'}) of its own (its task, its signalingstatechange), before the
    // offer is even parsed: perfect negotiation relies on it.
    if (init.type === 'offer' && this._state === 'have-local-offer') {
      await this.inTask(() => this.checkLocal({ type: 'rollback' }));
    }
    await this.inTask(() => this.checkRemote(init));
  }

  /** Check a remote description; returns what applies it. */
  private checkRemote(init: RTCSessionDescriptionInit): () => void {
    const state = this._state;
    if (init.type === 'rollback') {
      if (state !== 'have-remote-offer' && state !== 'have-remote-pranswer') {
        throw invalidState(`cannot roll back a remote description in state ${state}`);
      }
      return () => {
        this.pendingRemote = undefined;
        this.host.transports.rollback();
        this.host.transceivers.rollbackRemote(this.currentRemote?.model);
        this.setState('stable');
      };
    }
    const desc = new RTCSessionDescription(init);
    // The signaling state is checked before the SDP is parsed (W3C, as browsers do).
    if (desc.type === 'offer') {
      if (state !== 'stable' && state !== 'have-remote-offer') {
        throw invalidState(`cannot set a remote offer in state ${state}`);
      }
    } else if (state !== 'have-local-offer' && state !== 'have-remote-pranswer') {
      throw invalidState(`cannot set a remote ${desc.type} in state ${state}`);
    }
    const model = parseRemoteDescription(desc.type as AppliedDescription['type'], desc.sdp, {
      localOffer: this.pendingLocal?.model,
      previous: (this.pendingRemote ?? this.currentRemote)?.model,
      dtlsStarted: this.host.transports.dtlsStarted,
    });
    return () => this.applyRemote(desc.type as AppliedDescription['type'], model);
  }

  private applyRemote(type: AppliedDescription['type'], model: SessionDescription): void {
    const applied: AppliedDescription = { type, model };
    const ts = this.host.transceivers;
    if (type === 'offer') {
      this.pendingRemote = applied;
      this.weAreOfferer = false;
      ts.associate(model);
      if (model.media.some((m) => m.kind === 'application' && (m.port !== 0 || m.bundleOnly)))
        this.host.remoteOfferedData();
      this.setState('have-remote-offer');
    } else if (type === 'answer') {
      this.currentRemote = applied;
      this.currentLocal = this.pendingLocal;
      this.pendingLocal = undefined;
      this.pendingRemote = undefined;
      if (this.currentLocal) ts.updateDirections(this.currentLocal.model, model, this.host.cname);
      this.setState('stable');
    } else {
      this.pendingRemote = applied;
      this.setState('have-remote-pranswer');
    }
    // A remote offer's ICE restart restarts our checks now; an answer's credentials apply with the round.
    if (type === 'offer') this.host.transports.followRemoteIce(model);
    // Fired in this task, after signalingstatechange and before the promise settles (W3C).
    this.host.remoteTracks(ts.remoteTrackChanges(model), model);
    if (type !== 'offer') this.applyTransports();
    this.bindTransports(model);
  }

  /** addIceCandidate (W3C): needs a remote description; the candidate joins the section it names. */
  addCandidate(init: RTCIceCandidateInit | null): void {
    const remote = this.pendingRemote ?? this.currentRemote;
    if (!remote) throw invalidState('addIceCandidate() needs a remote description first');
    addRemoteCandidate(remote.model, init, this.host.transports, true);
  }

  // ---- internals

  private applyTransports(): void {
    const local = this.pendingLocal ?? this.currentLocal;
    const remote = this.pendingRemote ?? this.currentRemote;
    if (!local || !remote || this.weAreOfferer === undefined) return;
    this.host.transports.apply({ local: local.model, remote: remote.model, offerer: this.weAreOfferer });
  }

  private setState(state: RTCSignalingState): void {
    if (this._state === state) return;
    this._state = state;
    this.host.signalingStateChanged();
  }
}
