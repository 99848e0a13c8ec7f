/**
 * RTCDtlsTransport (ORTC, as aiortc has it, with the W3C members): runs the DTLS engine over an ICE
 * transport, demultiplexes what ICE delivers by first byte (RFC 7983: 20-63 DTLS, 128-191 SRTP/SRTCP),
 * hands application data to the layer above (SCTP) and exposes the SRTP profile and keys (SRTP).
 * Time and timers come from the runtime it shares with its ICE transport (one timer per connection).
 */
import { invalidAccess, invalidState } from '../common/errors.js';
import { type EventHandler, RtcEventTarget } from '../common/events.js';
import { createLogger } from '../common/logger.js';
import {
  type DatagramReceiver,
  type DtlsRole,
  type DtlsTransportLike,
  type IceTransportLike,
  ReceiverSlot,
  type RTCDtlsTransportState,
} from '../common/transport.js';
import { nodeRuntime, type Runtime, type RuntimeOptions } from '../net/runtime.js';
import { type WakeRegistration, WakeScheduler } from '../net/wake-scheduler.js';
import type { RTCCertificate } from './certificate.js';
import { AlertDescription, type NamedGroupName } from './constants.js';
import { DtlsEngine, type DtlsEngineEvent, type DtlsEngineOptions } from './engine.js';
import { matchesFingerprint } from './fingerprint.js';
import { RTCDtlsParameters, type RTCDtlsRole, RTCError, RTCErrorEvent } from './parameters.js';
import type { SrtpKeyingMaterial, SrtpProfileName } from './srtp-profiles.js';

const log = createLogger('dtls:transport');

interface DtlsTransportEventMap {
  statechange: Event;
  error: RTCErrorEvent;
}

/** Engine tuning an application may pass (suites, groups, SRTP profiles, MTU, timers). */
export type RTCDtlsTransportOptions = Omit<DtlsEngineOptions, 'role' | 'credential' | 'verifyPeer'> &
  RuntimeOptions & {
    /** Our DTLS role as getLocalParameters() reports it; `auto` follows the ICE role. */
    readonly role?: RTCDtlsRole;
  };

/** DTLS datagrams that arrive before start() are held, a few at most. */
const MAX_EARLY_DATAGRAMS = 8;

/**
 * `I`: the ICE transport underneath (an `RTCIceTransport` when an RTCPeerConnection made it, so
 * `iceTransport.getSelectedCandidatePair()` is typed; any datagram transport with ICE's shape in ORTC use).
 */
export class RTCDtlsTransport<I extends IceTransportLike = IceTransportLike>
  extends RtcEventTarget<DtlsTransportEventMap>
  implements DtlsTransportLike
{
  readonly iceTransport: I;
  readonly runtime: Runtime;
  readonly wakes: WakeScheduler;
  /** Datagrams ICE delivered that are neither DTLS nor RTP, or that nobody was attached to take. */
  droppedDatagrams = 0;
  /** Application data (for SCTP), one DTLS record at a time. */
  private readonly application = new ReceiverSlot('RTCDtlsTransport (application data)');
  /** SRTP and SRTCP packets as received (first byte 128-191), for the media session. */
  private readonly rtp = new ReceiverSlot('RTCDtlsTransport (SRTP)');

  private readonly certificate: RTCCertificate;
  private readonly options: RTCDtlsTransportOptions;
  private readonly localRole: RTCDtlsRole;
  private currentState: RTCDtlsTransportState = 'new';
  private role: DtlsRole | undefined;
  private engine: DtlsEngine | undefined;
  private timer: WakeRegistration | undefined;
  private readonly detachIce: () => void;
  private early: Uint8Array[] = [];
  private startResult: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly onIceState = (): void => this.iceStateChanged();

  constructor(iceTransport: I, certificates: RTCCertificate[], options: RTCDtlsTransportOptions = {}) {
    super();
    const certificate = certificates[0];
    if (!certificate) throw invalidAccess('RTCDtlsTransport needs a certificate');
    this.iceTransport = iceTransport;
    this.runtime = options.runtime ?? iceTransport.runtime ?? nodeRuntime;
    this.wakes = options.wakes ?? iceTransport.wakes ?? new WakeScheduler(this.runtime);
    if (certificate.expires <= this.runtime.clock.wallTime())
      throw invalidAccess('the certificate has expired');
    this.certificate = certificate;
    this.options = options;
    this.localRole = options.role ?? 'auto';
    this.detachIce = iceTransport.attach((data, receivedAt) => this.receive(data, receivedAt));
  }

  /** Become the receiver of decrypted application data (SCTP); one receiver only. */
  attach(receiver: DatagramReceiver): () => void {
    return this.application.attach(receiver);
  }

  /** Become the receiver of SRTP/SRTCP packets as they arrive (the media session); one receiver only. */
  attachRtp(receiver: DatagramReceiver): () => void {
    return this.rtp.attach(receiver);
  }

  private now(): number {
    return this.runtime.clock.now();
  }

  /** aiortc's name for iceTransport. */
  get transport(): I {
    return this.iceTransport;
  }

  get state(): RTCDtlsTransportState {
    return this.currentState;
  }

  /** The role taken in the handshake; known once start() was called. */
  get dtlsRole(): DtlsRole | undefined {
    return this.role;
  }

  get onstatechange(): EventHandler<Event> {
    return this.getHandler('statechange');
  }
  set onstatechange(handler: EventHandler<Event>) {
    this.setHandler('statechange', handler);
  }
  get onerror(): EventHandler<RTCErrorEvent> {
    return this.getHandler('error');
  }
  set onerror(handler: EventHandler<RTCErrorEvent>) {
    this.setHandler('error', handler);
  }

  getLocalParameters(): RTCDtlsParameters {
    return new RTCDtlsParameters(this.certificate.getFingerprints(), this.localRole);
  }

  /** The peer's certificates (DER), leaf first (W3C getRemoteCertificates). */
  getRemoteCertificates(): ArrayBuffer[] {
    return (this.engine?.remoteCertificates ?? []).map((der) => new Uint8Array(der).buffer);
  }

  /** The negotiated cipher suite name (for stats), once connected. */
  get cipherSuite(): string | undefined {
    return this.engine?.cipherSuite;
  }

  /** The ECDHE group the handshake used (for stats), once known. */
  get keyExchangeGroup(): NamedGroupName | undefined {
    return this.engine?.keyExchangeGroup;
  }

  get srtpProfile(): SrtpProfileName | undefined {
    return this.engine?.srtpProfile;
  }

  /** SRTP master keys and salts (RFC 5764 §4.2) once connected, when use_srtp was negotiated. */
  getSrtpKeyingMaterial(): SrtpKeyingMaterial | undefined {
    return this.currentState === 'connected' ? this.engine?.srtpKeyingMaterial() : undefined;
  }

  /** RFC 5705 exporter, once connected. */
  exportKeyingMaterial(label: string, length: number): Uint8Array {
    if (this.currentState !== 'connected' || !this.engine)
      throw invalidState('DTLS transport is not connected');
    return this.engine.exportKeyingMaterial(label, length);
  }

  /**
   * Run the handshake; resolves when connected, rejects when it fails or the transport is stopped.
   * With role `auto` on both sides, the ICE controlling side is the DTLS server (aiortc's ORTC rule).
   */
  start(remoteParameters: RTCDtlsParameters): Promise<void> {
    if (this.currentState !== 'new')
      return Promise.reject(invalidState(`cannot start in state ${this.currentState}`));
    if (this.iceTransport.state === 'closed')
      return Promise.reject(invalidState('the ICE transport is closed'));
    const expected = [...remoteParameters.fingerprints];
    if (expected.length === 0)
      return Promise.reject(invalidAccess('remote DTLS parameters carry no fingerprint'));
    this.role = this.chooseRole(remoteParameters.role);
    const engine = new DtlsEngine({
      ...this.options,
      random: this.options.random ?? this.runtime.random,
      role: this.role,
      credential: this.certificate,
      verifyPeer: (chain) => matchesFingerprint(chain[0]!, expected),
    });
    engine.onApplicationData = (data) => {
      if (!this.application.deliver(data)) this.droppedDatagrams++;
    };
    this.engine = engine;
    this.timer = this.wakes.register(
      () => engine.pollTimeout(),
      (t) => {
        engine.handleTimeout(t);
        this.flush();
      },
    );
    const done = new Promise<void>((resolve, reject) => {
      this.startResult = { resolve, reject };
    });
    this.setState('connecting');
    this.iceTransport.addEventListener('statechange', this.onIceState);
    this.iceStateChanged();
    return done;
  }

  /** Send close_notify and close. */
  async stop(): Promise<void> {
    if (this.currentState === 'closed') return;
    this.engine?.close(this.now());
    this.flush();
    this.shutdown('closed');
  }

  /** Send one application data record; dropped silently unless connected. */
  send(data: Uint8Array): void {
    const engine = this.engine;
    if (!engine || this.currentState !== 'connected') return;
    // Sealed and sent directly, not through the engine's queue (an array push and shift per record).
    const record = engine.sealApplicationData(data);
    if (!record) return;
    for (let d = engine.pollTransmit(); d; d = engine.pollTransmit()) this.iceTransport.send(d);
    this.iceTransport.send(record);
  }

  /** Send an already protected SRTP/SRTCP packet down the ICE transport. */
  sendRtp(data: Uint8Array): void {
    if (this.currentState === 'connected') this.iceTransport.send(data);
  }

  private chooseRole(remote: RTCDtlsRole): DtlsRole {
    if (this.localRole !== 'auto') return this.localRole;
    if (remote === 'client') return 'server';
    if (remote === 'server') return 'client';
    return this.iceTransport.role === 'controlling' ? 'server' : 'client';
  }

  private iceStateChanged(): void {
    const engine = this.engine;
    const ice = this.iceTransport.state;
    // The ICE transport closing under a connected session closes it too (nothing can be sent any more).
    if (engine && this.currentState === 'connected' && ice === 'closed') {
      this.shutdown('closed');
      return;
    }
    if (!engine || this.currentState !== 'connecting') return;
    if (ice === 'failed' || ice === 'closed') {
      this.fail(new RTCError({ errorDetail: 'dtls-failure' }, `ICE transport ${ice} before DTLS connected`));
      return;
    }
    if (engine.state === 'new' && (ice === 'connected' || ice === 'completed')) {
      engine.start(this.now());
      const early = this.early;
      this.early = [];
      for (const d of early) engine.handleInput(this.now(), d);
      this.flush();
    }
  }

  private receive(data: Uint8Array, receivedAt: number | undefined): void {
    const first = data[0];
    if (first === undefined) return;
    if (first >= 128 && first <= 191) {
      if (!this.rtp.deliver(data, receivedAt)) this.droppedDatagrams++;
      return;
    }
    if (first < 20 || first > 63) {
      this.droppedDatagrams++;
      return;
    }
    const engine = this.engine;
    if (!engine || engine.state === 'new') {
      if (this.currentState !== 'closed' && this.early.length < MAX_EARLY_DATAGRAMS)
        this.early.push(data.slice());
      return;
    }
    engine.handleInput(this.now(), data);
    this.flush();
  }

  /** Send what the engine produced, act on its events and re-arm its timer. */
  private flush(): void {
    const engine = this.engine;
    if (!engine) return;
    for (let d = engine.pollTransmit(); d; d = engine.pollTransmit()) this.iceTransport.send(d);
    for (let e = engine.pollEvent(); e; e = engine.pollEvent()) this.onEngineEvent(e);
    this.timer?.schedule();
  }

  private onEngineEvent(e: DtlsEngineEvent): void {
    switch (e.type) {
      case 'connected':
        log.debug(`connected as ${this.role} with ${engineSummary(this.engine!)}`);
        this.setState('connected');
        this.startResult?.resolve();
        this.startResult = undefined;
        break;
      case 'closed':
        this.shutdown('closed');
        break;
      case 'failed': {
        const fingerprint = e.alert === AlertDescription.badCertificate;
        this.fail(
          new RTCError(
            {
              errorDetail: fingerprint ? 'fingerprint-failure' : 'dtls-failure',
              receivedAlert: e.byPeer ? (e.alert ?? null) : null,
              sentAlert: e.byPeer ? null : (e.alert ?? null),
            },
            e.reason,
          ),
        );
        break;
      }
    }
  }

  private fail(error: RTCError): void {
    if (this.currentState === 'failed' || this.currentState === 'closed') return;
    this.flush();
    this.shutdown('failed');
    this.dispatchEvent(new RTCErrorEvent('error', { error }));
    this.startResult?.reject(error);
    this.startResult = undefined;
  }

  private shutdown(state: 'closed' | 'failed'): void {
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    this.timer?.close();
    this.early = [];
    this.detachIce();
    this.iceTransport.removeEventListener('statechange', this.onIceState);
    this.setState(state);
    if (state === 'closed') {
      this.startResult?.reject(invalidState('the DTLS transport was closed'));
      this.startResult = undefined;
    }
  }

  private setState(state: RTCDtlsTransportState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.dispatchEvent(new Event('statechange'));
  }
}

function engineSummary(engine: DtlsEngine): string {
  return `${engine.cipherSuite ?? '?'}${engine.srtpProfile ? ` / ${engine.srtpProfile}` : ''}`;
}
