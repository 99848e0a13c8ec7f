/**
 * The sans-I/O DTLS 1.2 engine (RFC 6347): one connection, client or server. It takes datagrams and
 * wake-ups with the time passed in, and gives back datagrams to send, events, and when it wants to be woken.
 * Application data in and out goes through `send()` and the `onApplicationData` callback (the hot path).
 */
import { ProtocolError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { cryptoRandom, randomBytes } from '../common/random.js';
import type { DtlsRole } from '../common/transport.js';
import type { CipherSuiteName } from './cipher-suites.js';
import { AlertDescription, AlertLevel, ContentType, NamedGroup, type NamedGroupName } from './constants.js';
import { type DtlsEngineEvent, type DtlsEngineOptions, handshakeConfig } from './engine-options.js';
import { type DriverOwner, HandshakeDriver } from './handshake-driver.js';
import { MAX_PLAINTEXT, newRecordHeader, readRecordHeader } from './record.js';
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

const MIN_MTU = 128;

/** Application data that overtakes the peer's Finished is held until we connect, a few records at most. */
const MAX_EARLY_APPLICATION_DATA = 16;

export class DtlsEngine {
  state: DtlsEngineState = 'new';
  readonly role: DtlsRole;
  /** Decrypted application data, one record at a time (a direct callback: this is the hot path). */
  onApplicationData: ((data: Uint8Array) => void) | undefined;
  readonly stats = new EngineStats();

  private readonly records: RecordLayer;
  private readonly driver: HandshakeDriver;
  private now = 0;
  private earlyApplicationData: Uint8Array[] = [];
  private readonly transmits: Uint8Array[] = [];
  private readonly events: DtlsEngineEvent[] = [];
  private readonly header = newRecordHeader();

  constructor(options: DtlsEngineOptions) {
    // Below this a handshake fragment would not fit beside the record and fragment headers.
    if (options.mtu !== undefined && !(options.mtu >= MIN_MTU)) {
      throw new RangeError(`mtu must be at least ${MIN_MTU} bytes, not ${options.mtu}`);
    }
    this.role = options.role;
    this.records = new RecordLayer(this.stats);
    this.driver = new HandshakeDriver(
      options.role,
      handshakeConfig(options),
      {
        mtu: options.mtu ?? 1200,
        initialRetransmitMs: options.initialRetransmitMs ?? 1000,
        maxRetransmitMs: options.maxRetransmitMs ?? 60_000,
        handshakeTimeoutMs: options.handshakeTimeoutMs ?? 30_000,
        cookieSecret: options.cookieSecret ?? randomBytes(32, options.random ?? cryptoRandom),
        cookieExchange: options.cookieExchange ?? true,
      },
      this.owner(),
    );
  }

  /** The engine services the handshake driver uses. */
  private owner(): DriverOwner {
    const engine = this;
    return {
      records: this.records,
      stats: this.stats,
      get now() {
        return engine.now;
      },
      get connected() {
        return engine.state === 'connected';
      },
      get handshaking() {
        return engine.state === 'connecting';
      },
      transmit: (d) => this.transmits.push(d),
      sendAlert: (level, description) => this.sendAlert(level, description),
      fail: (alert, reason) => this.fail(alert, reason, false),
      onComplete: () => this.onHandshakeComplete(),
    };
  }

  /** Begin: a client sends its ClientHello, a server starts listening for one. */
  start(now: number): void {
    if (this.state !== 'new') return;
    this.now = now;
    this.state = 'connecting';
    this.driver.start();
  }

  // ---- the sans-I/O outputs -------------------------------------------------------------------

  pollTransmit(): Uint8Array | undefined {
    return this.transmits.shift();
  }

  pollEvent(): DtlsEngineEvent | undefined {
    return this.events.shift();
  }

  pollTimeout(): number | undefined {
    return this.state === 'connecting' ? this.driver.pollTimeout() : undefined;
  }

  handleTimeout(now: number): void {
    this.now = now;
    if (this.state !== 'connecting') return;
    if (!this.driver.handleTimeout(now)) this.fail(undefined, 'handshake timed out', false);
  }

  // ---- commands ------------------------------------------------------------------------------

  /** Encrypt and queue one application data record. False when not connected or too large. */
  send(data: Uint8Array): boolean {
    const record = this.sealApplicationData(data);
    if (!record) return false;
    this.transmits.push(record);
    return true;
  }

  /**
   * Encrypt one application data record and return it instead of queueing it (the caller sends it after
   * whatever `pollTransmit` still holds). Undefined when not connected or too large.
   */
  sealApplicationData(data: Uint8Array): Uint8Array | undefined {
    if (this.state !== 'connected' || data.byteLength > MAX_PLAINTEXT) return undefined;
    return this.records.seal(ContentType.applicationData, 1, data);
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
    return this.driver.handshake?.suite?.name;
  }

  get srtpProfile(): SrtpProfileName | undefined {
    return this.state === 'connected' ? this.driver.handshake?.srtpProfile?.name : undefined;
  }

  /** Whether handshake state exists (a server keeps none until a ClientHello returns a valid cookie). */
  get handshakeStarted(): boolean {
    return this.driver.handshake !== undefined;
  }

  /** Bytes held for handshake reassembly and early records (bounded). */
  get bufferedBytes(): number {
    return this.driver.reassembler.buffered + this.records.heldBytes;
  }

  /** The ECDHE group of the handshake, once known. */
  get keyExchangeGroup(): NamedGroupName | undefined {
    const group = this.driver.handshake?.group;
    return (Object.keys(NamedGroup) as NamedGroupName[]).find((name) => NamedGroup[name] === group);
  }

  get extendedMasterSecret(): boolean {
    return this.driver.handshake?.extendedMasterSecret ?? false;
  }

  /** The peer's certificate chain (DER), leaf first; empty before the peer's Certificate. */
  get remoteCertificates(): readonly Uint8Array[] {
    return this.driver.handshake?.peerChain ?? [];
  }

  /** RFC 5705 exporter; throws InvalidStateError-like Error before the handshake completes. */
  exportKeyingMaterial(label: string, length: number): Uint8Array {
    const handshake = this.driver.handshake;
    if (!handshake?.complete)
      throw new ProtocolError('keying material is not available before the handshake completes');
    return handshake.exportKeyingMaterial(label, length);
  }

  /** SRTP master keys and salts, when use_srtp was negotiated. */
  srtpKeyingMaterial(): SrtpKeyingMaterial | undefined {
    const profile = this.driver.handshake?.srtpProfile;
    if (!profile || !this.driver.handshake?.complete) return undefined;
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
      // One record per datagram is the common case: no view for it.
      this.processRecord(
        offset === 0 && next === datagram.byteLength ? datagram : datagram.subarray(offset, next),
      );
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
        this.driver.onHandshakeRecord(epoch, h.sequence, plaintext);
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
    if (body.byteLength !== 2) {
      this.stats.droppedRecords++;
      return;
    }
    if (epoch === 0) {
      // Anyone can send a plaintext alert: acting on one would let an off-path sender end the handshake.
      this.stats.unauthenticatedAlerts++;
      log.debug(`${this.role} dropped a plaintext alert ${body[0]}/${body[1]} (${this.state})`);
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

  private onHandshakeComplete(): void {
    this.state = 'connected';
    log.debug(`${this.role} connected with ${this.driver.handshake?.suite?.name}`);
    this.events.push({ type: 'connected' });
    const early = this.earlyApplicationData;
    this.earlyApplicationData = [];
    for (const data of early) this.onApplicationData?.(data);
  }

  private sendAlert(level: number, description: number): void {
    this.transmits.push(
      this.records.seal(ContentType.alert, this.records.alertEpoch, new Uint8Array([level, description])),
    );
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
    this.driver.stop();
    this.records.clearHeld();
    this.earlyApplicationData = [];
  }
}
