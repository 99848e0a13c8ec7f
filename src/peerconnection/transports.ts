/**
 * The transports of one peer connection (JSEP RFC 8829 §5, BUNDLE RFC 8843): which m-section uses which
 * `SectionTransport` (one per BUNDLE group, one per section outside any group), the SCTP transport on the
 * data section's transport, and one wake-up timer for all of them. A peer that accepts BUNDLE costs one
 * transport, as before; a peer that does not gets one per m-line, each with its own ICE credentials,
 * candidates, DTLS session and media session (the ICE credentials are the connection's, as in Chromium).
 *
 * Two maps say which transport each mid uses: `proposed` for the local description being made or set,
 * `committed` for the last completed negotiation. `planLocal()` fills `proposed` and writes each section's
 * ICE credentials, fingerprints and DTLS role into our description; `apply()` runs after every completed
 * round, commits what the answer kept (BUNDLE accepted: the tag's transport; declined: each its own), closes
 * transports no longer used, starts ICE and DTLS on new ones and follows ICE restarts, and sets up SCTP and
 * the media sessions. `close()` says goodbye synchronously.
 */
import { createLogger } from '../common/logger.js';
import { randomIceString } from '../common/random.js';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import { RTCSctpTransport } from '../datachannel/sctp-transport.js';
import type { RTCCertificate } from '../dtls/certificate.js';
import type { RTCDtlsTransport } from '../dtls/transport.js';
import { RTCIceCandidate as IceCandidate, type RTCIceCandidate, writeCandidate } from '../ice/candidate.js';
import type { RTCIceGathererEvent } from '../ice/gatherer.js';
import type { RTCIceGatheringState, RTCIceTransport } from '../ice/transport.js';
import type { Runtime } from '../net/runtime.js';
import { WakeScheduler } from '../net/wake-scheduler.js';
import type { MediaSessionEvent } from '../rtp/media-session-types.js';
import type { MediaSessionConfig, SendEncodingConfig } from '../rtp/session-config.js';
import {
  bundleGroupOf,
  bundleGroups,
  bundleTag,
  isRejected,
  transportSectionIndex,
} from '../sdp/jsep/bundle.js';
import { negotiatedDtlsRole } from '../sdp/jsep/dtls-setup.js';
import { fingerprintsOf, iceParametersOf, setupOf } from '../sdp/jsep/transport.js';
import type { MediaSection, SessionDescription } from '../sdp/types.js';
import { DeferredChannelHost } from './channel-host.js';
import type { ResolvedConfiguration } from './configuration.js';
import type { TransportStateSnapshot } from './connection-state.js';
import { mediaSessionConfigFrom } from './media-config.js';
import type { MediaLink } from './media-link.js';
import { type LocalTransportInfo, negotiatedDataSection } from './negotiation.js';
import { SectionTransport } from './section-transport.js';

const log = createLogger('pc:transports');

/** A completed negotiation: both descriptions, and who offered. */
export interface Negotiated {
  readonly local: SessionDescription;
  readonly remote: SessionDescription;
  readonly offerer: boolean;
}

/** What the transports tell the peer connection. */
export interface TransportEvents {
  localCandidate(transport: SectionTransport, event: RTCIceGathererEvent): void;
  candidateError(event: Event): void;
  /** A transport's gatherer reached `state` (W3C: the transport's gatheringState, then the connection's). */
  gatheringStateChange(transport: SectionTransport, state: RTCIceGatheringState): void;
  /** Transports were discarded: the connection's iceGatheringState may change. */
  transportsDiscarded(): void;
  /** ICE or DTLS changed state: recompute the aggregate states. */
  stateChange(): void;
  /** The peer opened a data channel. */
  dataChannel(channel: RTCDataChannel): void;
  /** An event of a media session (frames, keyframe requests, bitrate, activity). */
  media(event: MediaSessionEvent): void;
  /** A negotiation was applied: the media pipelines follow its sections, each on its transport's session. */
  mediaConfigured(config: MediaSessionConfig, linkFor: (mid: string) => MediaLink | undefined): void;
  /** Our SSRCs for a section we send RID-based simulcast (or an SSRC-less answer) in: the sender's. */
  sendEncodings?(mid: string, rids: readonly string[]): SendEncodingConfig[];
}

/** How a local description is being made. */
export interface LocalPlan {
  readonly type: 'offer' | 'answer';
  /** Our first offer: each section that is not bundle-only gets a transport of its own (JSEP §5.2.1). */
  readonly initial: boolean;
  readonly certificates: readonly RTCCertificate[];
  /** New ICE credentials for every transport (restartIce, createOffer({ iceRestart })). */
  readonly iceRestart: boolean;
  /** The remote offer (answers): its a=setup decides whether we may keep a running DTLS role. */
  readonly offer?: SessionDescription;
}

/** The sections that share one transport: `owner` carries it (the BUNDLE tag, or the section itself). */
interface TransportUse {
  readonly owner: string;
  readonly mids: string[];
}

function inUse(desc: SessionDescription, section: MediaSection): boolean {
  return section.mid !== undefined && !isRejected(desc, section);
}

export class ConnectionTransports {
  readonly wakes: WakeScheduler;
  readonly channels: DeferredChannelHost;
  /** Every transport not closed, oldest first. */
  private live: SectionTransport[] = [];
  private proposed = new Map<string, SectionTransport>();
  private committed = new Map<string, SectionTransport>();
  /** The BUNDLE groups the last answer kept (sections in use only): later offers keep them. */
  private negotiatedGroups: string[][] = [];
  private sctpTransport: RTCSctpTransport<RTCDtlsTransport<RTCIceTransport>> | null = null;
  private sctpCarrier: SectionTransport | undefined;
  private mediaConfigured = false;
  /**
   * The ICE credentials all our transports share (as Chromium does; webrtcbin refuses an offer whose BUNDLE
   * group has several): each transport still has its own sockets, candidates and checks.
   */
  private sessionIce: { usernameFragment: string; password: string } | undefined;
  private created = 0;
  private closed = false;

  constructor(
    private readonly config: () => ResolvedConfiguration,
    readonly runtime: Runtime,
    private readonly cname: string,
    private readonly events: TransportEvents,
  ) {
    this.wakes = new WakeScheduler(runtime);
    this.channels = new DeferredChannelHost(config().maxMessageSize ?? 262_144, runtime);
  }

  get sctp(): RTCSctpTransport<RTCDtlsTransport<RTCIceTransport>> | null {
    return this.sctpTransport;
  }

  /** Every transport not closed, oldest first (getStats). */
  get all(): readonly SectionTransport[] {
    return this.live;
  }

  /** The transports of the last completed negotiation, in m-line order (the aggregate states). */
  get negotiated(): SectionTransport[] {
    return [...new Set(this.committed.values())];
  }

  /** Has a DTLS session started (its peer certificate may not change)? */
  get dtlsStarted(): boolean {
    return this.live.some((t) => t.dtlsState !== 'new');
  }

  /** The transport a section uses in the local description being made or set (else the current one). */
  transportOf(mid: string | undefined): SectionTransport | undefined {
    return mid === undefined ? undefined : this.proposed.get(mid);
  }

  /** The DTLS transport a section uses (W3C sender.transport / receiver.transport). */
  dtlsOf(mid: string | undefined): RTCDtlsTransport<RTCIceTransport> | undefined {
    return this.transportOf(mid)?.dtls;
  }

  /** ICE, DTLS states of the negotiated transports. */
  states(): TransportStateSnapshot[] {
    return this.negotiated.map((t) => ({ ice: t.iceState, dtls: t.dtlsState, hasDtls: t.hasDtls }));
  }

  /**
   * W3C iceGatheringState over the transports in use or proposed, from their RTCIceTransports'
   * gatheringState (which the connection's tasks set), not from their gatherers.
   */
  gatheringState(): RTCIceGatheringState {
    const states = [...new Set([...this.committed.values(), ...this.proposed.values()])]
      .filter((t) => !t.isClosed)
      .map((t) => t.ice.gatheringState);
    if (states.includes('gathering')) return 'gathering';
    if (states.length > 0 && states.every((s) => s === 'complete')) return 'complete';
    return 'new';
  }

  /**
   * The candidates a section of our description lists: those of its transport when it carries that
   * transport (it is the BUNDLE tag, or not bundled), none otherwise.
   */
  localCandidatesOf(
    mid: string,
    which: 'proposed' | 'committed',
  ): { candidates: RTCIceCandidate[]; complete: boolean } | undefined {
    const t = (which === 'proposed' ? this.proposed : this.committed).get(mid);
    if (!t || t.isClosed || t.ownerMid !== mid) return undefined;
    return { candidates: t.gatherer.getLocalCandidates(), complete: t.gatherer.state === 'complete' };
  }

  // ---- our descriptions

  /**
   * Decide which transport each section of our new description uses and write its ICE credentials,
   * fingerprints (and, in answers, the DTLS role of a running transport) into the description.
   * Offers: an initial offer gives every section that is not bundle-only a transport of its own (so the
   * answerer may decline BUNDLE); later offers keep the negotiated BUNDLE groups, sections outside them keep
   * their own transport, and a new section joins the first group (or, with none, gets its own). Answers: one
   * transport per BUNDLE group we answer, one per other section in use.
   */
  planLocal(model: SessionDescription, plan: LocalPlan): void {
    if (this.closed) return;
    if (plan.iceRestart && this.live.some((t) => t.started)) {
      const random = this.runtime.random;
      this.sessionIce = {
        usernameFragment: randomIceString(8, random),
        password: randomIceString(24, random),
      };
      for (const t of this.live) t.restartIce(this.sessionIce);
    }
    const uses = plan.type === 'answer' ? this.answerUses(model) : this.offerUses(model, plan.initial);
    const next = this.assign(uses);
    this.proposed = next;
    const infos = new Map<SectionTransport, LocalTransportInfo>();
    for (const t of new Set(next.values())) infos.set(t, t.localInfo(plan.certificates));
    const fallback = infos.values().next().value ?? this.live[0]?.localInfo(plan.certificates);
    for (const section of model.media) {
      const t = section.mid === undefined ? undefined : next.get(section.mid);
      const info = (t && infos.get(t)) ?? fallback;
      if (!info) {
        // Nothing in use and no transport yet: a rejected section needs no ICE.
        delete section.iceUfrag;
        delete section.icePwd;
        continue;
      }
      section.iceUfrag = info.usernameFragment;
      section.icePwd = info.password;
      section.fingerprints = info.fingerprints.map((f) => ({ ...f }));
      if (plan.type === 'answer' && t && info.dtlsRole && plan.offer) {
        // A re-answer keeps the DTLS role of a running transport (Chromium refuses a swapped a=setup).
        const offered = plan.offer.media.find((m) => m.mid === section.mid);
        if (offered && setupOf(plan.offer, offered) === 'actpass')
          section.setup = info.dtlsRole === 'client' ? 'active' : 'passive';
      }
    }
  }

  private offerUses(model: SessionDescription, initial: boolean): TransportUse[] {
    const live = model.media.filter((m) => m.mid !== undefined && (m.port !== 0 || m.bundleOnly));
    const mids = live.map((m) => m.mid!);
    if (mids.length === 0) return [];
    if (initial) {
      // JSEP §5.2.1: until the answer accepts BUNDLE, each section that is not bundle-only may be used
      // alone; bundle-only ones ride on the first (the tag).
      const uses: TransportUse[] = [];
      const tag: TransportUse = { owner: mids[0]!, mids: [] };
      for (const s of live) {
        if (s.bundleOnly || s.mid === tag.owner) tag.mids.push(s.mid!);
        else uses.push({ owner: s.mid!, mids: [s.mid!] });
      }
      return [tag, ...uses];
    }
    if (this.committed.size === 0) return [{ owner: mids[0]!, mids }];
    const inGroup = new Set(this.negotiatedGroups.flat());
    const groups = this.negotiatedGroups
      .map((g) => g.filter((mid) => mids.includes(mid)))
      .filter((g) => g.length > 0);
    const alone: TransportUse[] = [];
    for (const mid of mids) {
      if (inGroup.has(mid)) continue;
      if (this.committed.has(mid)) alone.push({ owner: mid, mids: [mid] });
      else if (groups[0]) groups[0].push(mid);
      else alone.push({ owner: mid, mids: [mid] });
    }
    model.groups = [
      ...model.groups.filter((g) => g.semantics !== 'BUNDLE'),
      ...groups.map((g) => ({ semantics: 'BUNDLE', mids: g })),
    ];
    return [...groups.map((g) => ({ owner: g[0]!, mids: g })), ...alone];
  }

  private answerUses(model: SessionDescription): TransportUse[] {
    const uses: TransportUse[] = [];
    const seen = new Set<string>();
    for (const g of bundleGroups(model)) {
      const mids = g.mids.filter((mid) => {
        const s = model.media.find((m) => m.mid === mid);
        return s !== undefined && inUse(model, s);
      });
      if (mids.length === 0) continue;
      uses.push({ owner: mids[0]!, mids });
      for (const mid of mids) seen.add(mid);
    }
    for (const s of model.media) {
      if (inUse(model, s) && !seen.has(s.mid!)) uses.push({ owner: s.mid!, mids: [s.mid!] });
    }
    return uses;
  }

  /** A transport per use: the one its owner (or a member) had, unless another use took it; else a new one. */
  private assign(uses: readonly TransportUse[]): Map<string, SectionTransport> {
    const next = new Map<string, SectionTransport>();
    const taken = new Set<SectionTransport>();
    for (const use of uses) {
      let t = [use.owner, ...use.mids]
        .map((mid) => this.proposed.get(mid))
        .find((x) => x !== undefined && !x.isClosed && !taken.has(x));
      t ??= this.create(use.owner);
      taken.add(t);
      t.ownerMid = use.owner;
      for (const mid of use.mids) next.set(mid, t);
    }
    return next;
  }

  private create(owner: string): SectionTransport {
    const t = new SectionTransport(
      owner,
      ++this.created,
      this.config(),
      this.runtime,
      this.wakes,
      this.cname,
      {
        localCandidate: (transport, e) => this.events.localCandidate(transport, e),
        candidateError: (e) => this.events.candidateError(e),
        gatheringStateChange: (transport, state) => this.events.gatheringStateChange(transport, state),
        stateChange: () => this.events.stateChange(),
        media: (e) => this.events.media(e),
      },
      this.sessionIce,
    );
    const { usernameFragment, password } = t.ice.getLocalParameters();
    this.sessionIce ??= { usernameFragment, password };
    this.live.push(t);
    return t;
  }

  /** Gather on every transport of the local description just set. */
  startGathering(): void {
    for (const t of new Set(this.proposed.values())) t.startGathering();
  }

  /** A local or remote description was rolled back: back to the negotiated transports. */
  rollback(): void {
    this.proposed = new Map(this.committed);
    this.prune();
  }

  // ---- remote candidates and credentials

  /** A remote candidate (null: end of candidates) for the section `mid` of the remote description carries. */
  addRemoteCandidate(mid: string | undefined, candidate: RTCIceCandidate | null): void {
    if (this.closed) return;
    // A section whose transport is not made yet keeps its candidates in the remote description: they are
    // given to the transport when it starts.
    this.transportOf(mid)?.addRemoteCandidate(candidate);
  }

  /** End of candidates for every transport (W3C addIceCandidate with no section named). */
  endOfRemoteCandidates(): void {
    if (this.closed) return;
    for (const t of new Set(this.proposed.values())) t.addRemoteCandidate(null);
  }

  /** A remote offer: a peer's ICE restart (new credentials) restarts the checks of that transport. */
  followRemoteIce(remote: SessionDescription): void {
    if (this.closed) return;
    this.eachRemoteTransport(remote, this.proposed, (t, section, index) => {
      const ice = iceParametersOf(remote, section);
      if (ice) t.updateRemoteIce({ ...ice, iceLite: remote.iceLite });
      this.giveCandidates(t, section, index);
    });
  }

  /** Each section of a remote description that carries a transport, with the transport of ours it meets. */
  private eachRemoteTransport(
    remote: SessionDescription,
    map: ReadonlyMap<string, SectionTransport>,
    fn: (t: SectionTransport, section: MediaSection, index: number) => void,
  ): void {
    const seen = new Set<SectionTransport>();
    remote.media.forEach((section, i) => {
      if (!inUse(remote, section) || transportSectionIndex(remote, i) !== i) return;
      const t = map.get(section.mid!);
      if (!t || t.isClosed || seen.has(t)) return;
      seen.add(t);
      fn(t, section, i);
    });
  }

  private giveCandidates(t: SectionTransport, section: MediaSection, index: number): void {
    for (const c of section.candidates) {
      try {
        const candidate = new IceCandidate({
          candidate: writeCandidate(c),
          sdpMid: section.mid ?? null,
          sdpMLineIndex: index,
        });
        if (candidate.parsed) t.addRemoteCandidate(candidate);
      } catch (err) {
        log.debug(`ignored a candidate of the remote description: ${(err as Error).message}`);
      }
    }
    if (section.endOfCandidates) t.addRemoteCandidate(null);
  }

  // ---- after every negotiation

  /** Make the transports match a completed negotiation. Runs after every offer/answer exchange. */
  apply(n: Negotiated): void {
    if (this.closed) return;
    const answer = n.offerer ? n.remote : n.local;
    this.commit(answer);
    this.eachRemoteTransport(n.remote, this.committed, (t, section, index) => {
      const ice = iceParametersOf(n.remote, section);
      const fingerprints = fingerprintsOf(n.remote, section);
      if (!ice || fingerprints.length === 0) return;
      const ours = answer.media.find((m) => m.mid === t.ownerMid) ?? section;
      t.start({
        ice: { usernameFragment: ice.usernameFragment, password: ice.password, iceLite: n.remote.iceLite },
        fingerprints,
        controlling: n.offerer || n.remote.iceLite,
        dtlsRole: negotiatedDtlsRole(n.offerer, setupOf(answer, ours)) ?? 'client',
      });
      this.giveCandidates(t, section, index);
    });
    this.applyData(n);
    this.applyMedia(n);
  }

  /** The answer decides: bundled sections use their tag's transport, the others their own. */
  private commit(answer: SessionDescription): void {
    const next = new Map<string, SectionTransport>();
    for (const section of answer.media) {
      if (!inUse(answer, section)) continue;
      const mid = section.mid!;
      const group = bundleGroupOf(answer, mid);
      const owner = (group && bundleTag(group)) ?? mid;
      const t = this.proposed.get(owner) ?? this.proposed.get(mid);
      if (!t || t.isClosed) continue;
      t.ownerMid = owner;
      next.set(mid, t);
    }
    this.negotiatedGroups = bundleGroups(answer)
      .map((g) => g.mids.filter((mid) => next.has(mid)))
      .filter((g) => g.length > 0);
    this.committed = next;
    this.proposed = new Map(next);
    this.prune();
  }

  /** Close the transports no description uses any more (those an answer bundled away, or rolled back). */
  private prune(): void {
    const used = new Set([...this.committed.values(), ...this.proposed.values()]);
    const unused = this.live.filter((t) => !used.has(t));
    if (unused.length === 0) return;
    this.live = this.live.filter((t) => used.has(t));
    for (const t of unused) {
      if (t === this.sctpCarrier) this.stopSctp();
      t.close();
    }
    this.events.transportsDiscarded();
    this.events.stateChange();
  }

  /** Audio/video sections mean a media session on their transport (made once, reconfigured every round). */
  private applyMedia(n: Negotiated): void {
    const sendEncodings = this.events.sendEncodings?.bind(this.events);
    const config = mediaSessionConfigFrom(n.local, n.remote, sendEncodings ? { sendEncodings } : {});
    const links = new Map<string, MediaLink>();
    for (const t of this.negotiated) {
      const media = config.media.filter((m) => this.committed.get(m.mid) === t);
      const link = t.configureMedia({ media });
      if (link) for (const m of media) links.set(m.mid, link);
    }
    if (config.media.length === 0 && !this.mediaConfigured) return;
    this.mediaConfigured = true;
    this.events.mediaConfigured(config, (mid) => links.get(mid));
  }

  /** A data section in the negotiated pair means an SCTP transport; none (or a rejected one) means none. */
  private applyData(n: Negotiated): void {
    const data = negotiatedDataSection(n.local, n.remote);
    const carrier = data ? this.committed.get(data.mid) : undefined;
    const dtls = carrier?.dtls;
    if (data && carrier && dtls) {
      if (this.sctpTransport && this.sctpCarrier !== carrier) this.stopSctp();
      if (this.sctpTransport && this.sctpTransport.state !== 'closed') return;
      const sctp = new RTCSctpTransport(dtls, 5000, {
        maxMessageSize: this.config().maxMessageSize ?? 262_144,
      });
      this.sctpTransport = sctp;
      this.sctpCarrier = carrier;
      sctp.addEventListener('datachannel', (e) => this.events.dataChannel(e.channel));
      sctp
        .start({ maxMessageSize: data.remoteMaxMessageSize }, data.remotePort)
        .catch((err: Error) => log.debug(`SCTP: ${err.message}`));
      this.channels.attach(sctp);
    } else if (this.sctpTransport) {
      // JSEP §5.x: a rejected or removed data section (or none in use at all) closes the SCTP transport;
      // pc.sctp becomes null.
      this.stopSctp();
    }
  }

  private stopSctp(): void {
    this.sctpTransport?.stopNow();
    this.channels.detach();
    this.sctpTransport = null;
    this.sctpCarrier = undefined;
  }

  /** Close everything now. The SCTP ABORT and DTLS close_notify leave before the sockets close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channels.closeAll();
    this.sctpTransport?.stopNow();
    for (const t of this.live) t.close();
    this.wakes.close();
  }

  /** The connection failed: its data channels close (with an error event, as browsers do). */
  failChannels(): void {
    this.sctpTransport?.stopNow(true);
  }
}
