/**
 * The transports of one peer connection: the ICE gatherer and transport, the DTLS transport and the SCTP
 * transport (and, with media, the media session), all on one runtime and one wake-up timer. `apply()` runs
 * after every negotiation and makes the transports match the negotiated descriptions: it starts ICE and
 * DTLS the first time, follows a peer's ICE restart, creates the SCTP transport when a data section appears
 * (in any round) and closes it when the section goes away. `close()` says goodbye synchronously.
 */
import { createLogger } from '../common/logger.js';
import type { RTCIceTransportState } from '../common/transport.js';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import { RTCSctpTransport } from '../datachannel/sctp-transport.js';
import type { RTCCertificate } from '../dtls/certificate.js';
import { RTCDtlsParameters } from '../dtls/parameters.js';
import { RTCDtlsTransport } from '../dtls/transport.js';
import type { RTCIceCandidate } from '../ice/candidate.js';
import { RTCIceGatherer, type RTCIceGathererEvent } from '../ice/gatherer.js';
import { RTCIceTransport } from '../ice/transport.js';
import type { Runtime } from '../net/runtime.js';
import { WakeScheduler } from '../net/wake-scheduler.js';
import type { MediaSessionEvent } from '../rtp/media-session-types.js';
import type { MediaSessionConfig } from '../rtp/session-config.js';
import { negotiatedDtlsRole } from '../sdp/jsep/dtls-setup.js';
import { setupOf } from '../sdp/jsep/index.js';
import type { SessionDescription } from '../sdp/types.js';
import { DeferredChannelHost } from './channel-host.js';
import type { ResolvedConfiguration } from './configuration.js';
import { mediaSessionConfigFrom } from './media-config.js';
import { MediaLink } from './media-link.js';
import {
  type LocalTransportInfo,
  negotiatedDataSection,
  remoteFingerprints,
  remoteIceParameters,
  transportSection,
} from './negotiation.js';

const log = createLogger('pc:transports');

/** A completed negotiation: both descriptions, and who offered. */
export interface Negotiated {
  readonly local: SessionDescription;
  readonly remote: SessionDescription;
  readonly offerer: boolean;
}

/** What the transports tell the peer connection. */
export interface TransportEvents {
  localCandidate(event: RTCIceGathererEvent): void;
  candidateError(event: Event): void;
  gatheringStateChange(): void;
  /** ICE or DTLS changed state: recompute the aggregate states. */
  stateChange(): void;
  /** The peer opened a data channel. */
  dataChannel(channel: RTCDataChannel): void;
  /** An event of the media session (frames, keyframe requests, bitrate, activity). */
  media(event: MediaSessionEvent): void;
  /** A negotiation was applied: the media pipelines follow its sections. */
  mediaConfigured(config: MediaSessionConfig, link: MediaLink): void;
}

export class ConnectionTransports {
  readonly wakes: WakeScheduler;
  readonly gatherer: RTCIceGatherer;
  readonly ice: RTCIceTransport;
  readonly channels: DeferredChannelHost;
  private dtlsTransport: RTCDtlsTransport | undefined;
  private sctpTransport: RTCSctpTransport | null = null;
  private mediaLink: MediaLink | undefined;
  private iceStarted = false;
  /** We restarted ICE: the next remote credentials apply even if the peer kept its ufrag. */
  private localRestart = false;
  private remoteEndOfCandidates = false;
  private closed = false;

  constructor(
    private readonly config: () => ResolvedConfiguration,
    readonly runtime: Runtime,
    private readonly cname: string,
    private readonly events: TransportEvents,
  ) {
    const c = config();
    this.wakes = new WakeScheduler(runtime);
    this.gatherer = new RTCIceGatherer({
      iceServers: c.iceServers,
      iceTransportPolicy: c.iceTransportPolicy,
      iceAdditionalHostAddresses: c.iceAdditionalHostAddresses ?? [],
      loopbackOnly: c.iceLoopbackOnly ?? false,
      turnRejectUnauthorized: c.turnRejectUnauthorized ?? true,
      runtime,
      wakes: this.wakes,
    });
    this.ice = new RTCIceTransport(this.gatherer, {
      ...(c.iceDisconnectedTimeout !== undefined ? { disconnectedTimeout: c.iceDisconnectedTimeout } : {}),
      ...(c.iceFailedTimeout !== undefined ? { consentTimeout: c.iceFailedTimeout } : {}),
    });
    this.channels = new DeferredChannelHost(c.maxMessageSize ?? 262_144, runtime);
    this.gatherer.addEventListener('icecandidate', (e) => this.events.localCandidate(e));
    this.gatherer.addEventListener('icecandidateerror', (e) => this.events.candidateError(e));
    this.gatherer.addEventListener('statechange', () => this.events.gatheringStateChange());
    this.ice.addEventListener('statechange', () => this.onIceState());
  }

  get dtls(): RTCDtlsTransport | undefined {
    return this.dtlsTransport;
  }
  get sctp(): RTCSctpTransport | null {
    return this.sctpTransport;
  }
  get iceState(): RTCIceTransportState {
    return this.ice.state;
  }
  get media(): MediaLink | undefined {
    return this.mediaLink;
  }

  /**
   * Our ICE credentials and DTLS fingerprint for the next description. Creates the DTLS transport on first
   * use (it needs the certificate) and restarts ICE when asked and the transports already run.
   */
  localInfo(certificate: RTCCertificate, iceRestart: boolean): LocalTransportInfo {
    this.dtlsTransport ??= this.createDtls(certificate);
    if (iceRestart && this.iceStarted) {
      this.ice.restart();
      this.localRestart = true;
    }
    const ice = this.ice.getLocalParameters();
    const sha256 = certificate.getFingerprints().filter((f) => f.algorithm === 'sha-256');
    return {
      usernameFragment: ice.usernameFragment,
      password: ice.password,
      fingerprints: sha256.map((f) => ({ algorithm: f.algorithm, value: f.value.toUpperCase() })),
    };
  }

  startGathering(): void {
    if (this.gatherer.state !== 'new') return;
    this.gatherer.gather().catch((err: Error) => log.warn(`gathering failed: ${err.message}`));
  }

  /** Candidates of the remote description and of addIceCandidate go to the ICE transport at once. */
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

  /** Make the transports match a completed negotiation. Runs after every offer/answer exchange. */
  apply(n: Negotiated): void {
    if (this.closed) return;
    const dtls = this.dtlsTransport;
    const iceParams = remoteIceParameters(n.remote);
    if (!dtls || !iceParams) return;
    if (!this.iceStarted) {
      this.iceStarted = true;
      this.ice.role = n.offerer || iceParams.iceLite ? 'controlling' : 'controlled';
      this.ice.start(iceParams).catch((err: Error) => log.debug(`ICE: ${err.message}`));
      if (this.remoteEndOfCandidates) this.ice.addRemoteCandidate(null);
    }
    if (dtls.state === 'new') {
      const answer = n.offerer ? n.remote : n.local;
      const section = transportSection(answer);
      const role = negotiatedDtlsRole(n.offerer, section ? setupOf(answer, section) : undefined) ?? 'client';
      const fingerprints = remoteFingerprints(n.remote).map((f) => ({
        algorithm: f.algorithm.toLowerCase(),
        value: f.value,
      }));
      dtls
        .start(new RTCDtlsParameters(fingerprints, role === 'client' ? 'server' : 'client'))
        .catch((err: Error) => log.debug(`DTLS: ${err.message}`));
    }
    this.applyData(n, dtls);
    this.applyMedia(n, dtls);
  }

  /** Audio/video sections mean a media session (made once, reconfigured after every round). */
  private applyMedia(n: Negotiated, dtls: RTCDtlsTransport): void {
    const config = mediaSessionConfigFrom(n.local, n.remote);
    if (config.media.length === 0 && !this.mediaLink) return;
    this.mediaLink ??= new MediaLink(this.runtime, this.wakes, dtls, this.cname, (e) => this.events.media(e));
    this.mediaLink.configure(config);
    this.events.mediaConfigured(config, this.mediaLink);
  }

  /** A data section in the negotiated pair means an SCTP transport; none (or a rejected one) means none. */
  private applyData(n: Negotiated, dtls: RTCDtlsTransport): void {
    const data = negotiatedDataSection(n.local, n.remote);
    if (data && (!this.sctpTransport || this.sctpTransport.state === 'closed')) {
      const sctp = new RTCSctpTransport(dtls, 5000, {
        maxMessageSize: this.config().maxMessageSize ?? 262_144,
      });
      this.sctpTransport = sctp;
      sctp.addEventListener('datachannel', (e) => this.events.dataChannel(e.channel));
      sctp
        .start({ maxMessageSize: data.remoteMaxMessageSize }, data.remotePort)
        .catch((err: Error) => log.debug(`SCTP: ${err.message}`));
      this.channels.attach(sctp);
    } else if (!data && this.sctpTransport) {
      // JSEP §5.x: a rejected or removed data section closes the SCTP transport; pc.sctp becomes null.
      this.sctpTransport.stopNow();
      this.channels.detach();
      this.sctpTransport = null;
    }
  }

  /** Close everything now. The SCTP ABORT and DTLS close_notify leave before the sockets close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channels.closeAll();
    this.mediaLink?.close();
    this.sctpTransport?.stopNow();
    void this.dtlsTransport?.stop();
    void this.ice.stop();
    this.gatherer.close();
    this.wakes.close();
  }

  /** The connection failed: its data channels close (with an error event, as browsers do). */
  failChannels(): void {
    this.sctpTransport?.stopNow(true);
  }

  private createDtls(certificate: RTCCertificate): RTCDtlsTransport {
    const dtls = new RTCDtlsTransport(this.ice, [certificate]);
    dtls.addEventListener('statechange', () => this.onDtlsState(dtls));
    return dtls;
  }

  private onIceState(): void {
    this.events.stateChange();
  }

  private onDtlsState(dtls: RTCDtlsTransport): void {
    // The peer's close_notify ends the connection: stop checking consent on a path nobody listens to.
    if (dtls.state === 'closed' && !this.closed) void this.ice.stop();
    this.events.stateChange();
  }
}
