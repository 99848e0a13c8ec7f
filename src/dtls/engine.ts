/**
 * The sans-I/O DTLS 1.2 engine (RFC 6347): one connection, client or server. It takes datagrams and
 * wake-ups with the time passed in, and gives back datagrams to send, events, and when it wants to be woken.
 * Application data in and out goes through `send()` and the `onApplicationData` callback (the hot path).
 */
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import type { DtlsRole } from '../common/transport.js';
import { CIPHER_SUITES, type CipherSuiteName, cipherSuiteByName } from './cipher-suites.js';
import {
  AlertDescription,
  AlertLevel,
  ContentType,
  DTLS_1_2,
  HANDSHAKE_HEADER_LENGTH,
  HandshakeType,
  NamedGroup,
  type NamedGroupName,
  RECORD_HEADER_LENGTH,
} from './constants.js';
import { checkCookie, computeCookie } from './cookie.js';
import { type FlightEntry, packFlight, RetransmitTimer } from './flight.js';
import { ClientHandshake } from './handshake-client.js';
import { type DtlsCredential, HandshakeFailure, type HandshakeHost } from './handshake-common.js';
import {
  type FragmentHeader,
  type HandshakeMessage,
  HandshakeReassembler,
  readFragmentHeader,
} from './handshake-reassembly.js';
import { ServerHandshake } from './handshake-server.js';
import { SUPPORTED_GROUPS } from './key-exchange.js';
import { decodeClientHello, encodeHelloVerifyRequest } from './messages.js';
import {
  MAX_PLAINTEXT,
  newRecordHeader,
  ReplayWindow,
  readRecordHeader,
  writeRecordHeader,
} from './record.js';
import type { EpochKeys, RecordProtection } from './record-cipher.js';
import {
  SRTP_EXPORTER_LABEL,
  SRTP_PROFILES,
  type SrtpKeyingMaterial,
  type SrtpProfileName,
  splitSrtpKeyingMaterial,
  srtpKeyingMaterialLength,
  srtpProfileByName,
} from './srtp-profiles.js';
import { EngineStats } from './stats.js';

const log = createLogger('dtls');

export type DtlsEngineState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

export type DtlsEngineEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'closed'; readonly byPeer: boolean }
  | {
      readonly type: 'failed';
      readonly reason: string;
      readonly alert: number | undefined;
      readonly byPeer: boolean;
    };

export interface DtlsEngineOptions {
  readonly role: DtlsRole;
  readonly credential: DtlsCredential;
  /** Accept or refuse the peer's certificate chain (WebRTC: compare with the SDP fingerprint). */
  readonly verifyPeer: (chain: readonly Uint8Array[]) => boolean;
  readonly cipherSuites?: readonly CipherSuiteName[];
  readonly groups?: readonly NamedGroupName[];
  /** Empty to not offer use_srtp (data-only sessions may still offer it, as browsers do). */
  readonly srtpProfiles?: readonly SrtpProfileName[];
  /** Largest datagram to send (default 1200, the WebRTC path MTU assumption). */
  readonly mtu?: number;
  readonly initialRetransmitMs?: number;
  readonly maxRetransmitMs?: number;
  /** Give up a handshake that has not completed after this long (default 30 s). */
  readonly handshakeTimeoutMs?: number;
  readonly requireExtendedMasterSecret?: boolean;
  /** Server: the HelloVerifyRequest cookie key (default: random per engine). */
  readonly cookieSecret?: Uint8Array;
}

/** Records of the next epoch that arrive before its ChangeCipherSpec are held, a few at most. */
const MAX_EARLY_RECORDS = 16;
const MAX_EARLY_APPLICATION_DATA = 16;

export class DtlsEngine {
  state: DtlsEngineState = 'new';
  readonly role: DtlsRole;
  /** Decrypted application data, one record at a time (a direct callback: this is the hot path). */
  onApplicationData: ((data: Uint8Array) => void) | undefined;
  readonly stats = new EngineStats();

  private readonly options: DtlsEngineOptions;
  private readonly config;
  private readonly mtu: number;
  private readonly cookieSecret: Uint8Array;
  private handshake: ClientHandshake | ServerHandshake | undefined;
  private readonly reassembler = new HandshakeReassembler();
  private readonly timer: RetransmitTimer;
  private handshakeDeadline: number | undefined;
  private now = 0;

  private readEpoch = 0;
  private readProtection: RecordProtection | undefined;
  private pendingReadProtection: RecordProtection | undefined;
  private readonly writeEpochs: { protection: RecordProtection | undefined; seq: number }[] = [
    { protection: undefined, seq: 0 },
  ];
  /** Epoch the peer reads our records in: 1 once we have sent our ChangeCipherSpec. */
  private writeEpoch = 0;
  private readonly replay = new ReplayWindow();
  private earlyRecords: Uint8Array[] = [];
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
    this.mtu = options.mtu ?? 1200;
    this.cookieSecret = options.cookieSecret ?? new Uint8Array(randomBytes(32));
    this.timer = new RetransmitTimer(options.initialRetransmitMs ?? 1000, options.maxRetransmitMs ?? 60_000);
    const suites = options.cipherSuites ? options.cipherSuites.map(cipherSuiteByName) : CIPHER_SUITES;
    const groups = options.groups ? options.groups.map((g) => NamedGroup[g]) : SUPPORTED_GROUPS;
    const srtp = options.srtpProfiles ? options.srtpProfiles.map(srtpProfileByName) : SRTP_PROFILES;
    this.config = {
      credential: options.credential,
      verifyPeer: options.verifyPeer,
      cipherSuites: suites,
      groups,
      srtpProfiles: srtp,
      requireExtendedMasterSecret: options.requireExtendedMasterSecret ?? false,
    };
  }

  /** Begin: a client sends its ClientHello, a server starts listening for one. */
  start(now: number): void {
    if (this.state !== 'new') return;
    this.now = now;
    this.state = 'connecting';
    this.handshakeDeadline = now + (this.options.handshakeTimeoutMs ?? 30_000);
    if (this.role === 'client') {
      const client = new ClientHandshake(this.config, this.host);
      this.handshake = client;
      this.guard(() => client.start());
    }
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
    this.transmits.push(this.seal(ContentType.applicationData, 1, data));
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
    let early = 0;
    for (const r of this.earlyRecords) early += r.byteLength;
    return this.reassembler.buffered + early;
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
    const fragmentView = record.subarray(RECORD_HEADER_LENGTH);
    let plaintext: Uint8Array;
    let epoch = h.epoch;
    if (epoch === 0) {
      plaintext = fragmentView;
    } else if (epoch === this.readEpoch && this.readProtection) {
      if (!this.replay.check(h.sequence)) {
        this.stats.replayedRecords++;
        return;
      }
      const opened = this.readProtection.open(h.type, epoch, h.sequence, fragmentView);
      if (!opened) {
        // Records that fail authentication are dropped silently (RFC 6347 §4.1.2.7).
        this.stats.authFailures++;
        return;
      }
      this.replay.mark(h.sequence);
      plaintext = opened;
    } else if (epoch === this.readEpoch + 1 && this.state === 'connecting') {
      if (this.earlyRecords.length < MAX_EARLY_RECORDS) this.earlyRecords.push(record.slice());
      else this.stats.droppedRecords++;
      return;
    } else {
      this.stats.droppedRecords++;
      return;
    }
    epoch = h.epoch;
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
    if (body.byteLength !== 1 || body[0] !== 1 || epoch !== this.readEpoch) {
      this.stats.droppedRecords++;
      return;
    }
    if (!this.pendingReadProtection) return; // too early: the peer's retransmission will bring it again
    this.readEpoch++;
    this.readProtection = this.pendingReadProtection;
    this.pendingReadProtection = undefined;
    const early = this.earlyRecords;
    this.earlyRecords = [];
    for (const record of early) {
      if (readRecordHeader(record, 0, this.header) > 0) this.processRecord(record);
      if (this.state !== 'connecting' && this.state !== 'connected') return;
    }
  }

  private onAlert(epoch: number, body: Uint8Array): void {
    if (body.byteLength !== 2 || (epoch < this.readEpoch && epoch === 0)) {
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
      if (this.state === 'connected' && epoch === this.readEpoch && f.seq >= this.reassembler.nextSeq) {
        this.refuseRenegotiation(f);
        continue;
      }
      // Once keys are in use, plaintext handshake records only tell us the peer is retransmitting.
      const outcome = epoch < this.readEpoch ? 'old' : this.reassembler.addFragment(epoch, f, piece);
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
    if (
      epoch !== 0 ||
      f.type !== HandshakeType.clientHello ||
      f.fragmentOffset !== 0 ||
      f.fragmentLength !== f.length
    ) {
      this.stats.malformedHandshake++;
      return;
    }
    let hello: ReturnType<typeof decodeClientHello>;
    try {
      hello = decodeClientHello(piece);
    } catch {
      this.stats.malformedHandshake++;
      return;
    }
    if (!checkCookie(this.cookieSecret, piece, hello.cookie)) {
      const cookie = computeCookie(this.cookieSecret, piece);
      if (!cookie) return;
      this.stats.helloVerifyRequestsSent++;
      const body = encodeHelloVerifyRequest(DTLS_1_2, cookie);
      const record = new Uint8Array(RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH + body.byteLength);
      writeRecordHeader(
        record,
        0,
        ContentType.handshake,
        0,
        recordSeq,
        HANDSHAKE_HEADER_LENGTH + body.byteLength,
      );
      record[RECORD_HEADER_LENGTH] = HandshakeType.helloVerifyRequest;
      record[RECORD_HEADER_LENGTH + 3] = body.byteLength;
      record[RECORD_HEADER_LENGTH + 4] = f.seq >>> 8;
      record[RECORD_HEADER_LENGTH + 5] = f.seq & 0xff;
      record[RECORD_HEADER_LENGTH + 11] = body.byteLength;
      record.set(body, RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH);
      this.transmits.push(record);
      return;
    }
    const server = new ServerHandshake(this.config, this.host);
    this.handshake = server;
    this.reassembler.reset(f.seq + 1);
    this.peerFlightStart = f.seq;
    const message: HandshakeMessage = { type: f.type, seq: f.seq, epoch, body: piece.slice() };
    this.guard(() => server.start(message, hello));
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
      if (entries.some((e) => e.kind === 'changeCipherSpec')) this.writeEpoch = 1;
      this.transmitFlight();
      if (final) this.timer.stop();
      else this.timer.start(this.now);
    },
    installKeys: (keys: EpochKeys) => {
      const isClient = this.role === 'client';
      this.writeEpochs[1] = { protection: isClient ? keys.clientWrite : keys.serverWrite, seq: 0 };
      this.pendingReadProtection = isClient ? keys.serverWrite : keys.clientWrite;
    },
    expectReceiveSeq: (seq) => this.reassembler.reset(seq),
  };

  private transmitFlight(): void {
    const datagrams = packFlight(this.flight, this.mtu, {
      seal: (type, epoch, payload) => this.seal(type, epoch, payload),
      overhead: (epoch) => (epoch === 0 ? 0 : this.writeEpochs[epoch]!.protection!.overhead),
    });
    for (const d of datagrams) this.transmits.push(d);
  }

  private seal(type: number, epoch: number, payload: Uint8Array): Uint8Array {
    const state = this.writeEpochs[epoch]!;
    const seq = state.seq++;
    if (!state.protection) {
      const out = new Uint8Array(RECORD_HEADER_LENGTH + payload.byteLength);
      writeRecordHeader(out, 0, type, epoch, seq, payload.byteLength);
      out.set(payload, RECORD_HEADER_LENGTH);
      return out;
    }
    return state.protection.seal(type, epoch, seq, payload);
  }

  private sendAlert(level: number, description: number): void {
    const epoch = this.writeEpoch === 1 && this.writeEpochs[1] ? 1 : 0;
    this.transmits.push(this.seal(ContentType.alert, epoch, new Uint8Array([level, description])));
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
    this.earlyRecords = [];
    this.earlyApplicationData = [];
    this.reassembler.reset(0);
  }
}
