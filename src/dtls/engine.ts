/**
 * The sans-I/O DTLS 1.2 engine (RFC 6347): one connection, client or server. It takes datagrams and
 * wake-ups with the time passed in, and gives back datagrams to send, events, and when it wants to be woken.
 * Application data in and out goes through `send()` and the `onApplicationData` callback (the hot path).
 */
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import type { DtlsRole } from '../common/transport.js';
import type { CipherSuiteName } from './cipher-suites.js';
import {
  AlertDescription,
  AlertLevel,
  ContentType,
  HANDSHAKE_HEADER_LENGTH,
  HandshakeType,
  NamedGroup,
  type NamedGroupName,
} from './constants.js';
import { type DtlsEngineEvent, type DtlsEngineOptions, handshakeConfig } from './engine-options.js';
import { type FlightEntry, packFlight, RetransmitTimer } from './flight.js';
import { ClientHandshake } from './handshake-client.js';
import { type HandshakeConfig, HandshakeFailure, type HandshakeHost } from './handshake-common.js';
import {
  type FragmentHeader,
  type HandshakeMessage,
  HandshakeReassembler,
  readFragmentHeader,
} from './handshake-reassembly.js';
import { ServerHandshake } from './handshake-server.js';
import { verifyClientHello } from './hello-verify.js';
import { MAX_PLAINTEXT, newRecordHeader, readRecordHeader } from './record.js';
import type { EpochKeys } from './record-cipher.js';
import { RecordLayer } from './record-layer.js';
import {
  SRTP_EXPORTER_LABEL,
  type SrtpKeyingMaterial,
  type SrtpProfileName,
  splitSrtpKeyingMaterial,
  srtpKeyingMaterialLength,
} from './srtp-profiles.js';
import { EngineStats } from './stats.js';

export type { DtlsEngineEvent, DtlsEngineOptions } from './engine-options.js';

const log = createLogger('dtls');

export type DtlsEngineState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

/** Application data that overtakes the peer's Finished is held until we connect, a few records at most. */
const MAX_EARLY_APPLICATION_DATA = 16;

export class DtlsEngine {
  state: DtlsEngineState = 'new';
  readonly role: DtlsRole;
  /** Decrypted application data, one record at a time (a direct callback: this is the hot path). */
  onApplicationData: ((data: Uint8Array) => void) | undefined;
  readonly stats = new EngineStats();

  private readonly options: DtlsEngineOptions;
  private readonly config: HandshakeConfig;
  private readonly mtu: number;
  private readonly cookieSecret: Uint8Array;
  private handshake: ClientHandshake | ServerHandshake | undefined;
  private readonly reassembler = new HandshakeReassembler();
  private readonly timer: RetransmitTimer;
  private handshakeDeadline: number | undefined;
  private now = 0;

  private readonly records: RecordLayer;
  private earlyApplicationData: Uint8Array[] = [];

  private flight: FlightEntry[] = [];
  /** message_seq of the first message of the peer's latest flight; seeing it again means it retransmitted. */
  private peerFlightStart = -1;
  private awaitingPeerFlight = false;

  private readonly transmits: Uint8Array[] = [];
  private readonly events: DtlsEngineEvent[] = [];
  private readonly header = newRecordHeader();
  private readonly fragment: FragmentHeader = {
    type: 0,
    length: 0,
    seq: 0,
    fragmentOffset: 0,
    fragmentLength: 0,
  };

  constructor(options: DtlsEngineOptions) {
    this.options = options;
    this.role = options.role;
    this.records = new RecordLayer(this.stats);
    this.mtu = options.mtu ?? 1200;
    this.cookieSecret = options.cookieSecret ?? new Uint8Array(randomBytes(32));
    this.timer = new RetransmitTimer(options.initialRetransmitMs ?? 1000, options.maxRetransmitMs ?? 60_000);
    this.config = handshakeConfig(options);
  }

  /** Begin: a client sends its ClientHello, a server starts listening for one. */
  start(now: number): void {
    if (this.state !== 'new') return;
    this.now = now;
    this.state = 'connecting';
    if (this.role === 'client') {
      this.armHandshakeDeadline();
      const client = new ClientHandshake(this.config, this.host);
      this.handshake = client;
      this.guard(() => client.start());
    }
  }

  /** A client counts from its first ClientHello, a server from the first ClientHello with a valid cookie. */
  private armHandshakeDeadline(): void {
    this.handshakeDeadline = this.now + (this.options.handshakeTimeoutMs ?? 30_000);
  }

  // ---- the sans-I/O outputs -------------------------------------------------------------------

  pollTransmit(): Uint8Array | undefined {
    return this.transmits.shift();
  }

  pollEvent(): DtlsEngineEvent | undefined {
    return this.events.shift();
  }

  pollTimeout(): number | undefined {
    if (this.state !== 'connecting') return undefined;
    const t = this.timer.expiry;
    const d = this.handshakeDeadline;
    if (t === undefined) return d;
    return d === undefined ? t : Math.min(t, d);
  }

  handleTimeout(now: number): void {
    this.now = now;
    if (this.state !== 'connecting') return;
    if (this.handshakeDeadline !== undefined && now >= this.handshakeDeadline) {
      this.fail(undefined, 'handshake timed out', false);
      return;
    }
    const expiry = this.timer.expiry;
    if (expiry !== undefined && now >= expiry) {
      this.stats.retransmissions++;
      this.transmitFlight();
      this.timer.backoff(now);
    }
  }

  // ---- commands ------------------------------------------------------------------------------

  /** Encrypt and queue one application data record. False when not connected or too large. */
  send(data: Uint8Array): boolean {
    if (this.state !== 'connected' || data.byteLength > MAX_PLAINTEXT) return false;
    this.transmits.push(this.records.seal(ContentType.applicationData, 1, data));
    return true;
  }

  /** Send close_notify and close. */
  close(now: number): void {
    this.now = now;
    if (this.state === 'closed' || this.state === 'failed') return;
    if (this.state !== 'new') this.sendAlert(AlertLevel.warning, AlertDescription.closeNotify);
    this.finish('closed');
    this.events.push({ type: 'closed', byPeer: false });
  }

  // ---- negotiated results ----------------------------------------------------------------------

  get cipherSuite(): CipherSuiteName | undefined {
    return this.handshake?.suite?.name;
  }

  get srtpProfile(): SrtpProfileName | undefined {
    return this.state === 'connected' ? this.handshake?.srtpProfile?.name : undefined;
  }

  /** Whether handshake state exists (a server keeps none until a ClientHello returns a valid cookie). */
  get handshakeStarted(): boolean {
    return this.handshake !== undefined;
  }

  /** Bytes held for handshake reassembly and early records (bounded). */
  get bufferedBytes(): number {
    return this.reassembler.buffered + this.records.heldBytes;
  }

  /** The ECDHE group of the handshake, once known. */
  get keyExchangeGroup(): NamedGroupName | undefined {
    const group = this.handshake?.group;
    return (Object.keys(NamedGroup) as NamedGroupName[]).find((name) => NamedGroup[name] === group);
  }

  get extendedMasterSecret(): boolean {
    return this.handshake?.extendedMasterSecret ?? false;
  }

  /** The peer's certificate chain (DER), leaf first; empty before the peer's Certificate. */
  get remoteCertificates(): readonly Uint8Array[] {
    return this.handshake?.peerChain ?? [];
  }

  /** RFC 5705 exporter; throws InvalidStateError-like Error before the handshake completes. */
  exportKeyingMaterial(label: string, length: number): Uint8Array {
    if (!this.handshake?.complete)
      throw new ProtocolError('keying material is not available before the handshake completes');
    return this.handshake.exportKeyingMaterial(label, length);
  }

  /** SRTP master keys and salts, when use_srtp was negotiated. */
  srtpKeyingMaterial(): SrtpKeyingMaterial | undefined {
    const profile = this.handshake?.srtpProfile;
    if (!profile || !this.handshake?.complete) return undefined;
    const material = this.exportKeyingMaterial(SRTP_EXPORTER_LABEL, srtpKeyingMaterialLength(profile));
    return splitSrtpKeyingMaterial(profile, material, this.role === 'client');
  }

  // ---- input ---------------------------------------------------------------------------------

  handleInput(now: number, datagram: Uint8Array): void {
    this.now = now;
    this.stats.datagramsReceived++;
    if (this.state === 'closed' || this.state === 'failed' || this.state === 'new') return;
    let offset = 0;
    while (offset < datagram.byteLength) {
      const next = readRecordHeader(datagram, offset, this.header);
      if (next < 0) {
        this.stats.malformedRecords++;
        return;
      }
      this.processRecord(datagram.subarray(offset, next));
      offset = next;
      if (this.isEnded()) return;
    }
  }

  private processRecord(record: Uint8Array): void {
    const h = this.header;
    const plaintext = this.records.open(h, record, this.state === 'connecting');
    if (plaintext === 'held' || plaintext === 'dropped') return;
    const epoch = h.epoch;
    switch (h.type) {
      case ContentType.applicationData:
        this.onApplicationRecord(epoch, plaintext);
        break;
      case ContentType.handshake:
        this.onHandshakeRecord(epoch, h.sequence, plaintext);
        break;
      case ContentType.changeCipherSpec:
        this.onChangeCipherSpec(epoch, plaintext);
        break;
      case ContentType.alert:
        this.onAlert(epoch, plaintext);
        break;
      default:
        this.stats.droppedRecords++;
    }
  }

  private onApplicationRecord(epoch: number, data: Uint8Array): void {
    if (epoch === 0) {
      this.stats.droppedRecords++;
      return;
    }
    if (this.state === 'connected') {
      this.onApplicationData?.(data);
    } else if (this.earlyApplicationData.length < MAX_EARLY_APPLICATION_DATA) {
      // The peer finished first and its data overtook its Finished: hold it until we connect.
      this.earlyApplicationData.push(data.slice());
    }
  }

  private onChangeCipherSpec(epoch: number, body: Uint8Array): void {
    if (body.byteLength !== 1 || body[0] !== 1 || epoch !== this.records.readEpoch) {
      this.stats.droppedRecords++;
      return;
    }
    // Too early (keys unknown yet) gives undefined: the peer's retransmission brings it again.
    const held = this.records.advanceReadEpoch();
    for (const record of held ?? []) {
      if (readRecordHeader(record, 0, this.header) > 0) this.processRecord(record);
      if (this.state !== 'connecting' && this.state !== 'connected') return;
    }
  }

  private onAlert(epoch: number, body: Uint8Array): void {
    if (body.byteLength !== 2 || epoch < this.records.readEpoch) {
      // Plaintext alerts after keys are in use could be forged; ignore them.
      this.stats.droppedRecords++;
      return;
    }
    const level = body[0]!;
    const description = body[1]!;
    this.stats.alertsReceived++;
    if (description === AlertDescription.closeNotify) {
      if (this.state === 'connected') this.sendAlert(AlertLevel.warning, AlertDescription.closeNotify);
      this.finish('closed');
      this.events.push({ type: 'closed', byPeer: true });
      return;
    }
    if (level === AlertLevel.fatal) {
      this.fail(description, `peer sent fatal alert ${description}`, true);
    }
  }

  private onHandshakeRecord(epoch: number, recordSeq: number, body: Uint8Array): void {
    const f = this.fragment;
    let offset = 0;
    while (offset < body.byteLength) {
      if (!readFragmentHeader(body, offset, f)) {
        this.stats.malformedHandshake++;
        return;
      }
      const start = offset + HANDSHAKE_HEADER_LENGTH;
      const piece = body.subarray(start, start + f.fragmentLength);
      offset = start + f.fragmentLength;
      if (this.role === 'server' && !this.handshake) {
        this.onInitialClientHello(epoch, recordSeq, f, piece);
        continue;
      }
      if (!this.handshake) return;
      if (
        this.state === 'connected' &&
        epoch === this.records.readEpoch &&
        f.seq >= this.reassembler.nextSeq
      ) {
        this.refuseRenegotiation(f);
        continue;
      }
      // Once keys are in use, plaintext handshake records only tell us the peer is retransmitting.
      const outcome = epoch < this.records.readEpoch ? 'old' : this.reassembler.addFragment(epoch, f, piece);
      if (outcome === 'old') {
        if (f.seq === this.peerFlightStart && f.fragmentOffset === 0 && this.flight.length > 0) {
          this.stats.retransmissions++;
          this.transmitFlight();
        }
        continue;
      }
      if (outcome === 'dropped') {
        this.stats.malformedHandshake++;
        continue;
      }
      this.deliverMessages();
      if (this.state !== 'connecting') return;
    }
  }

  /**
   * A new handshake on a connected session is a renegotiation, which WebRTC never uses: answer a
   * ClientHello or HelloRequest with a no_renegotiation warning (RFC 5746 §4.5) and ignore anything else.
   */
  private refuseRenegotiation(f: FragmentHeader): void {
    this.stats.renegotiationsRefused++;
    const hello = this.role === 'server' ? HandshakeType.clientHello : HandshakeType.helloRequest;
    if (f.type === hello && f.fragmentOffset === 0) {
      this.sendAlert(AlertLevel.warning, AlertDescription.noRenegotiation);
    }
  }

  /** A server with no handshake yet answers ClientHellos statelessly until one carries a valid cookie. */
  private onInitialClientHello(epoch: number, recordSeq: number, f: FragmentHeader, piece: Uint8Array): void {
    const verdict = verifyClientHello(this.cookieSecret, epoch, recordSeq, f, piece);
    if (verdict.kind === 'drop') {
      this.stats.malformedHandshake++;
      return;
    }
    if (verdict.kind === 'verify') {
      this.stats.helloVerifyRequestsSent++;
      this.transmits.push(verdict.record);
      return;
    }
    const server = new ServerHandshake(this.config, this.host);
    this.handshake = server;
    this.armHandshakeDeadline();
    this.reassembler.reset(f.seq + 1);
    this.peerFlightStart = f.seq;
    const message: HandshakeMessage = { type: f.type, seq: f.seq, epoch, body: piece.slice() };
    this.guard(() => server.start(message, verdict.hello));
  }

  private deliverMessages(): void {
    const handshake = this.handshake!;
    for (;;) {
      const message = this.reassembler.next();
      if (!message) return;
      if (this.awaitingPeerFlight) {
        this.awaitingPeerFlight = false;
        this.peerFlightStart = message.seq;
        this.timer.stop();
      }
      this.guard(() => handshake.handle(message));
      if (this.state !== 'connecting') return;
      if (handshake.complete) {
        this.onHandshakeComplete();
        return;
      }
    }
  }

  private onHandshakeComplete(): void {
    this.state = 'connected';
    this.timer.stop();
    this.handshakeDeadline = undefined;
    // A client's last flight needs no resending now; a server keeps its own to answer retransmissions.
    if (this.role === 'client') this.flight = [];
    log.debug(`${this.role} connected with ${this.handshake?.suite?.name}`);
    this.events.push({ type: 'connected' });
    const early = this.earlyApplicationData;
    this.earlyApplicationData = [];
    for (const data of early) this.onApplicationData?.(data);
  }

  // ---- services for the handshake ---------------------------------------------------------------

  private readonly host: HandshakeHost = {
    sendFlight: (entries, final) => {
      this.flight = entries;
      this.awaitingPeerFlight = true;
      if (entries.some((e) => e.kind === 'changeCipherSpec')) this.records.writeEpoch = 1;
      this.transmitFlight();
      if (final) this.timer.stop();
      else this.timer.start(this.now);
    },
    installKeys: (keys: EpochKeys) => {
      const isClient = this.role === 'client';
      this.records.installKeys(
        isClient ? keys.clientWrite : keys.serverWrite,
        isClient ? keys.serverWrite : keys.clientWrite,
      );
    },
    expectReceiveSeq: (seq) => this.reassembler.reset(seq),
  };

  private transmitFlight(): void {
    for (const d of packFlight(this.flight, this.mtu, this.records)) this.transmits.push(d);
  }

  private sendAlert(level: number, description: number): void {
    this.transmits.push(
      this.records.seal(ContentType.alert, this.records.alertEpoch, new Uint8Array([level, description])),
    );
  }

  /** Run handshake code; a failure becomes a fatal alert, never an exception out of the engine. */
  private guard(step: () => void): void {
    try {
      step();
    } catch (e) {
      if (e instanceof HandshakeFailure) this.fail(e.alert, e.message, false);
      else if (e instanceof Error && (e.name === 'ProtocolError' || e.name === 'TruncatedError'))
        this.fail(AlertDescription.decodeError, e.message, false);
      else this.fail(AlertDescription.internalError, e instanceof Error ? e.message : String(e), false);
    }
  }

  private fail(alert: number | undefined, reason: string, byPeer: boolean): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    log.debug(`${this.role} failed: ${reason}`);
    if (!byPeer && alert !== undefined) this.sendAlert(AlertLevel.fatal, alert);
    this.finish('failed');
    this.events.push({ type: 'failed', reason, alert, byPeer });
  }

  /** Read through a method so TypeScript does not narrow `state` across calls that change it. */
  private isEnded(): boolean {
    return this.state === 'closed' || this.state === 'failed';
  }

  private finish(state: 'closed' | 'failed'): void {
    this.state = state;
    this.timer.stop();
    this.handshakeDeadline = undefined;
    this.flight = [];
    this.records.clearHeld();
    this.earlyApplicationData = [];
    this.reassembler.reset(0);
  }
}
