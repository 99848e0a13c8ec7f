/**
 * One transport of a peer connection (JSEP's "transport" for an m-section or a BUNDLE group): its own ICE
 * gatherer (own sockets), ICE transport with its own credentials, DTLS transport with the connection's
 * certificates, and the media session of the sections it carries. A connection that bundles everything has
 * one; a peer that does not bundle gets one per m-line. `ConnectionTransports` decides which sections use
 * which transport; this class only runs one.
 */
import { createLogger } from '../common/logger.js';
import type { RTCDtlsTransportState, RTCIceTransportState } from '../common/transport.js';
import type { RTCCertificate } from '../dtls/certificate.js';
import { RTCDtlsParameters } from '../dtls/parameters.js';
import { RTCDtlsTransport } from '../dtls/transport.js';
import type { RTCIceCandidate } from '../ice/candidate.js';
import { RTCIceGatherer, type RTCIceGathererEvent } from '../ice/gatherer.js';
import { type RTCIceGatheringState, RTCIceTransport } from '../ice/transport.js';
import type { Runtime } from '../net/runtime.js';
import type { WakeScheduler } from '../net/wake-scheduler.js';
import type { MediaSessionEvent } from '../rtp/media-session-types.js';
import type { MediaSessionConfig } from '../rtp/session-config.js';
import type { Fingerprint } from '../sdp/types.js';
import type { ResolvedConfiguration } from './configuration.js';
import { MediaLink } from './media-link.js';
import type { LocalTransportInfo } from './negotiation.js';

const log = createLogger('pc:transport');

/** What a transport tells the connection. */
export interface SectionTransportEvents {
  localCandidate(transport: SectionTransport, event: RTCIceGathererEvent): void;
  candidateError(event: Event): void;
  /** The transport's gatherer reached `state`; the connection's task applies it to `ice.gatheringState`. */
  gatheringStateChange(transport: SectionTransport, state: RTCIceGatheringState): void;
  /** ICE or DTLS changed state: recompute the aggregate states. */
  stateChange(): void;
  media(event: MediaSessionEvent): void;
}

/** The remote side of a transport, from the negotiated descriptions. */
export interface RemoteTransportParameters {
  readonly ice: { usernameFragment: string; password: string; iceLite: boolean };
  readonly fingerprints: readonly Fingerprint[];
  /** Our ICE role: the offerer controls, unless the peer is ICE-lite (then we control). */
  readonly controlling: boolean;
  /** Our DTLS role from the answer's a=setup. */
  readonly dtlsRole: 'client' | 'server';
}

export class SectionTransport {
  readonly gatherer: RTCIceGatherer;
  readonly ice: RTCIceTransport;
  /** The W3C stats id of this transport (`T01` for the first of a connection). */
  readonly statsId: string;
  /** The mid of the section that carries this transport: its candidates are announced under it. */
  ownerMid: string;
  private dtlsTransport: RTCDtlsTransport<RTCIceTransport> | undefined;
  private mediaLink: MediaLink | undefined;
  private iceStarted = false;
  /** We restarted ICE: the next remote credentials apply even if the peer kept its ufrag. */
  private localRestart = false;
  private remoteEndOfCandidates = false;
  private closed = false;

  constructor(
    ownerMid: string,
    ordinal: number,
    config: ResolvedConfiguration,
    readonly runtime: Runtime,
    private readonly wakes: WakeScheduler,
    private readonly cname: string,
    private readonly events: SectionTransportEvents,
    localParameters?: { usernameFragment: string; password: string },
  ) {
    this.ownerMid = ownerMid;
    this.statsId = `T${String(ordinal).padStart(2, '0')}`;
    this.gatherer = new RTCIceGatherer({
      iceServers: config.iceServers,
      iceTransportPolicy: config.iceTransportPolicy,
      iceAdditionalHostAddresses: config.iceAdditionalHostAddresses ?? [],
      loopbackOnly: config.iceLoopbackOnly ?? false,
      turnRejectUnauthorized: config.turnRejectUnauthorized ?? true,
      runtime,
      wakes,
      ...(localParameters ? { localParameters } : {}),
    });
    const disconnected = config.iceDisconnectedTimeout;
    this.ice = new RTCIceTransport(this.gatherer, {
      // Consent checks at least twice per disconnect timeout, or a short timeout cannot be met.
      ...(disconnected !== undefined
        ? { disconnectedTimeout: disconnected, consentInterval: Math.min(2500, disconnected / 2) }
        : {}),
      ...(config.iceFailedTimeout !== undefined ? { consentTimeout: config.iceFailedTimeout } : {}),
      gatheringStateByConnection: true,
    });
    this.gatherer.addEventListener('icecandidate', (e) => this.events.localCandidate(this, e));
    this.gatherer.addEventListener('icecandidateerror', (e) => this.events.candidateError(e));
    this.gatherer.addEventListener('statechange', () => {
      // A closed gatherer gathers no more: its transport keeps the state it had, and one being discarded
      // leaves the aggregate, which whoever discards it updates.
      const state = this.gatherer.state;
      if (state !== 'closed') this.events.gatheringStateChange(this, state);
    });
    this.ice.addEventListener('statechange', () => this.events.stateChange());
  }

  get dtls(): RTCDtlsTransport<RTCIceTransport> | undefined {
    return this.dtlsTransport;
  }
  get media(): MediaLink | undefined {
    return this.mediaLink;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  get iceState(): RTCIceTransportState {
    return this.ice.state;
  }
  get dtlsState(): RTCDtlsTransportState {
    return this.dtlsTransport?.state ?? 'new';
  }
  /** Is there a DTLS transport (so a `closed` DTLS state means its session ended)? */
  get hasDtls(): boolean {
    return this.dtlsTransport !== undefined;
  }
  /** Have ICE checks been started (the transport is in use by a completed negotiation)? */
  get started(): boolean {
    return this.iceStarted;
  }

  /**
   * Our ICE credentials and DTLS fingerprints (every certificate's SHA-256) for the next description.
   * Creates the DTLS transport on first use.
   */
  localInfo(certificates: readonly RTCCertificate[]): LocalTransportInfo {
    this.dtlsTransport ??= this.createDtls(certificates);
    const ice = this.ice.getLocalParameters();
    const fingerprints = certificates.flatMap((c) =>
      c
        .getFingerprints()
        .filter((f) => f.algorithm === 'sha-256')
        .map((f) => ({ algorithm: f.algorithm, value: f.value.toUpperCase() })),
    );
    return {
      usernameFragment: ice.usernameFragment,
      password: ice.password,
      fingerprints,
      dtlsRole: this.dtlsTransport.dtlsRole,
    };
  }

  /** ICE restart with the given credentials: the old pair carries data until a new one is selected. */
  restartIce(params: { usernameFragment: string; password: string }): void {
    if (this.closed) return;
    this.ice.restart(params);
    if (this.iceStarted) this.localRestart = true;
  }

  startGathering(): void {
    if (this.closed || this.gatherer.state !== 'new') return;
    this.gatherer.gather().catch((err: Error) => log.warn(`gathering failed: ${err.message}`));
  }

  /** A remote candidate for this transport; null means end of candidates. */
  addRemoteCandidate(candidate: RTCIceCandidate | null): void {
    if (this.closed) return;
    if (candidate === null) {
      this.remoteEndOfCandidates = true;
      this.ice.addRemoteCandidate(null);
      return;
    }
    if (candidate.protocol !== 'udp') return; // ICE-TCP is not supported
    this.ice.addRemoteCandidate(candidate);
  }

  /**
   * A remote description's ICE credentials. Once checks run, new ones (the peer restarted, or answered our
   * restart) start the checks over, before that description's candidates are added.
   */
  updateRemoteIce(params: { usernameFragment: string; password: string; iceLite?: boolean }): void {
    if (this.closed || !this.iceStarted) return;
    const current = this.ice.getRemoteParameters();
    if (!this.localRestart && current && current.usernameFragment === params.usernameFragment) return;
    this.localRestart = false;
    this.remoteEndOfCandidates = false;
    this.ice.updateRemoteParameters(params);
  }

  /** Start ICE and DTLS the first time; afterwards follow a change of the peer's ICE credentials. */
  start(remote: RemoteTransportParameters): void {
    if (this.closed) return;
    const dtls = this.dtlsTransport;
    if (!dtls) return;
    if (!this.iceStarted) {
      this.iceStarted = true;
      this.ice.role = remote.controlling ? 'controlling' : 'controlled';
      this.ice.start(remote.ice).catch((err: Error) => log.debug(`ICE: ${err.message}`));
      if (this.remoteEndOfCandidates) this.ice.addRemoteCandidate(null);
    } else {
      this.updateRemoteIce(remote.ice);
    }
    if (dtls.state === 'new') {
      const fingerprints = remote.fingerprints.map((f) => ({
        algorithm: f.algorithm.toLowerCase(),
        value: f.value,
      }));
      dtls
        .start(new RTCDtlsParameters(fingerprints, remote.dtlsRole === 'client' ? 'server' : 'client'))
        .catch((err: Error) => log.debug(`DTLS: ${err.message}`));
    }
  }

  /** The media sections this transport carries (made on first use, reconfigured after every round). */
  configureMedia(config: MediaSessionConfig): MediaLink | undefined {
    const dtls = this.dtlsTransport;
    if (this.closed || !dtls || (config.media.length === 0 && !this.mediaLink)) return this.mediaLink;
    this.mediaLink ??= new MediaLink(this.runtime, this.wakes, dtls, this.cname, (e) => this.events.media(e));
    this.mediaLink.configure(config);
    return this.mediaLink;
  }

  /** Close now: the media session's BYE and DTLS close_notify leave before the sockets close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mediaLink?.close();
    void this.dtlsTransport?.stop();
    void this.ice.stop();
    this.gatherer.close();
  }

  private createDtls(certificates: readonly RTCCertificate[]): RTCDtlsTransport<RTCIceTransport> {
    // ICE consent already proves the peer's address: no HelloVerifyRequest round trip (issue 15).
    const dtls = new RTCDtlsTransport(this.ice, [...certificates], { cookieExchange: false });
    dtls.addEventListener('statechange', () => {
      // The peer's close_notify ends this transport: stop checking consent on a path nobody listens to.
      if (dtls.state === 'closed' && !this.closed) void this.ice.stop();
      this.events.stateChange();
    });
    return dtls;
  }
}
