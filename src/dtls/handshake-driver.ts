/**
 * Drives one handshake for the engine: frames incoming handshake fragments (the server's stateless
 * cookie step, reassembly, refused renegotiation), delivers messages in order to the client or server
 * state machine, sends and resends flights, and keeps the retransmission timer and the handshake deadline.
 */
import { createLogger } from '../common/logger.js';
import { AlertDescription, AlertLevel, HANDSHAKE_HEADER_LENGTH, HandshakeType } from './constants.js';
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
import type { EpochKeys } from './record-cipher.js';
import type { RecordLayer } from './record-layer.js';
import type { EngineStats } from './stats.js';

const log = createLogger('dtls');

/** Largest fragmented ClientHello the server reassembles before the cookie check (bytes). */
const MAX_CLIENT_HELLO = 8192;

/** What the driver needs from the engine that owns it. */
export interface DriverOwner {
  readonly records: RecordLayer;
  readonly stats: EngineStats;
  readonly now: number;
  readonly connected: boolean;
  readonly handshaking: boolean;
  transmit(datagram: Uint8Array): void;
  sendAlert(level: number, description: number): void;
  /** A local failure: the owner sends the fatal alert (when given) and fails. */
  fail(alert: number | undefined, reason: string): void;
  onComplete(): void;
}

export interface DriverOptions {
  readonly mtu: number;
  readonly initialRetransmitMs: number;
  readonly maxRetransmitMs: number;
  readonly handshakeTimeoutMs: number;
  readonly cookieSecret: Uint8Array;
  /** Server: answer a first ClientHello with a HelloVerifyRequest (RFC 6347 §4.2.1). */
  readonly cookieExchange: boolean;
}

export class HandshakeDriver {
  handshake: ClientHandshake | ServerHandshake | undefined;
  readonly reassembler = new HandshakeReassembler();
  private readonly timer: RetransmitTimer;
  private deadline: number | undefined;
  private flight: FlightEntry[] = [];
  /** message_seq of the first message of the peer's latest flight; seeing it again means it retransmitted. */
  private peerFlightStart = -1;
  private awaitingPeerFlight = false;
  private readonly fragment: FragmentHeader = {
    type: 0,
    length: 0,
    seq: 0,
    fragmentOffset: 0,
    fragmentLength: 0,
  };

  constructor(
    private readonly role: 'client' | 'server',
    private readonly config: HandshakeConfig,
    private readonly options: DriverOptions,
    private readonly owner: DriverOwner,
  ) {
    this.timer = new RetransmitTimer(options.initialRetransmitMs, options.maxRetransmitMs);
  }

  /** A client sends its ClientHello; a server waits, statelessly, for one with a valid cookie. */
  start(): void {
    if (this.role !== 'client') return;
    this.armDeadline();
    const client = new ClientHandshake(this.config, this.host);
    this.handshake = client;
    this.guard(() => client.start());
  }

  /** A client counts from its first ClientHello, a server from the first ClientHello with a valid cookie. */
  private armDeadline(): void {
    this.deadline = this.owner.now + this.options.handshakeTimeoutMs;
  }

  pollTimeout(): number | undefined {
    const t = this.timer.expiry;
    const d = this.deadline;
    if (t === undefined) return d;
    return d === undefined ? t : Math.min(t, d);
  }

  /** Resend the flight when its timer expired; false when the handshake deadline has passed. */
  handleTimeout(now: number): boolean {
    if (this.deadline !== undefined && now >= this.deadline) return false;
    const expiry = this.timer.expiry;
    if (expiry !== undefined && now >= expiry) {
      this.owner.stats.retransmissions++;
      this.transmitFlight();
      this.timer.backoff(now);
    }
    return true;
  }

  /** Forget the flight and timers (the connection ended). */
  stop(): void {
    this.timer.stop();
    this.deadline = undefined;
    this.flight = [];
    this.reassembler.reset(0);
  }

  onHandshakeRecord(epoch: number, recordSeq: number, body: Uint8Array): void {
    const f = this.fragment;
    const { owner } = this;
    let offset = 0;
    while (offset < body.byteLength) {
      if (!readFragmentHeader(body, offset, f)) {
        owner.stats.malformedHandshake++;
        return;
      }
      const start = offset + HANDSHAKE_HEADER_LENGTH;
      const piece = body.subarray(start, start + f.fragmentLength);
      offset = start + f.fragmentLength;
      if (this.role === 'server' && !this.handshake) {
        const whole = this.collectInitialClientHello(epoch, f, piece);
        if (whole) this.onInitialClientHello(epoch, recordSeq, whole.header, whole.body);
        continue;
      }
      if (!this.handshake) return;
      if (owner.connected && epoch === owner.records.readEpoch && f.seq >= this.reassembler.nextSeq) {
        this.refuseRenegotiation(f);
        continue;
      }
      // Once keys are in use, plaintext handshake records only tell us the peer is retransmitting.
      const old = epoch < owner.records.readEpoch || f.seq < this.reassembler.nextSeq;
      if (!old && !this.handshake.acceptsFragment(f.type, epoch)) {
        this.dropUnexpected(f.type, f.seq, epoch);
        continue;
      }
      const outcome = old ? 'old' : this.reassembler.addFragment(epoch, f, piece);
      if (outcome === 'old') {
        if (f.seq === this.peerFlightStart && f.fragmentOffset === 0 && this.flight.length > 0) {
          owner.stats.retransmissions++;
          this.transmitFlight();
        }
        continue;
      }
      if (outcome === 'dropped') {
        owner.stats.malformedHandshake++;
        continue;
      }
      this.deliverMessages();
      if (!owner.handshaking) return;
    }
  }

  /**
   * A new handshake on a connected session is a renegotiation, which WebRTC never uses: answer a
   * ClientHello or HelloRequest with a no_renegotiation warning (RFC 5746 §4.5) and ignore anything else.
   */
  private refuseRenegotiation(f: FragmentHeader): void {
    this.owner.stats.renegotiationsRefused++;
    const hello = this.role === 'server' ? HandshakeType.clientHello : HandshakeType.helloRequest;
    if (f.type === hello && f.fragmentOffset === 0) {
      this.owner.sendAlert(AlertLevel.warning, AlertDescription.noRenegotiation);
    }
  }

  /**
   * Chromium 156 offers DTLS 1.3 with a post-quantum key share, so its ClientHello (~1.4 kB) arrives in two
   * fragments. Until a cookie round trip proves the peer, the server keeps one bounded buffer for it, reset by
   * every new message_seq: a few kilobytes, not per-peer state that grows.
   */
  private helloParts:
    | { seq: number; length: number; bytes: Uint8Array; covered: Uint8Array; missing: number }
    | undefined;

  private collectInitialClientHello(
    epoch: number,
    f: FragmentHeader,
    piece: Uint8Array,
  ): { header: FragmentHeader; body: Uint8Array } | undefined {
    if (f.fragmentOffset === 0 && f.fragmentLength === f.length) return { header: f, body: piece };
    if (
      epoch !== 0 ||
      f.type !== HandshakeType.clientHello ||
      f.length > MAX_CLIENT_HELLO ||
      f.fragmentOffset + f.fragmentLength > f.length ||
      piece.byteLength !== f.fragmentLength
    ) {
      return undefined;
    }
    let parts = this.helloParts;
    if (!parts || parts.seq !== f.seq || parts.length !== f.length) {
      parts = {
        seq: f.seq,
        length: f.length,
        bytes: new Uint8Array(f.length),
        covered: new Uint8Array(f.length),
        missing: f.length,
      };
      this.helloParts = parts;
    }
    parts.bytes.set(piece, f.fragmentOffset);
    for (let i = f.fragmentOffset; i < f.fragmentOffset + f.fragmentLength; i++) {
      if (parts.covered[i] === 0) {
        parts.covered[i] = 1;
        parts.missing--;
      }
    }
    if (parts.missing > 0) return undefined;
    this.helloParts = undefined;
    const header: FragmentHeader = {
      type: f.type,
      length: f.length,
      seq: f.seq,
      fragmentOffset: 0,
      fragmentLength: f.length,
    };
    return { header, body: parts.bytes };
  }

  /** A server with no handshake yet answers ClientHellos statelessly until one carries a valid cookie. */
  private onInitialClientHello(epoch: number, recordSeq: number, f: FragmentHeader, piece: Uint8Array): void {
    const secret = this.options.cookieExchange ? this.options.cookieSecret : undefined;
    const verdict = verifyClientHello(secret, epoch, recordSeq, f, piece);
    if (verdict.kind === 'drop') {
      this.owner.stats.malformedHandshake++;
      return;
    }
    if (verdict.kind === 'verify') {
      this.owner.stats.helloVerifyRequestsSent++;
      this.owner.transmit(verdict.record);
      return;
    }
    const server = new ServerHandshake(this.config, this.host);
    this.handshake = server;
    this.owner.records.continueInitialSequence(recordSeq);
    this.armDeadline();
    this.reassembler.reset(f.seq + 1);
    this.peerFlightStart = f.seq;
    const message: HandshakeMessage = { type: f.type, seq: f.seq, epoch, body: piece.slice() };
    this.guard(() => server.start(message, verdict.hello));
  }

  /** Unauthenticated input that does not fit our state: count it and carry on as if it never came. */
  private dropUnexpected(type: number, seq: number, epoch: number): void {
    this.owner.stats.unexpectedHandshake++;
    log.debug(`${this.role} dropped handshake message ${type} (message_seq ${seq}, epoch ${epoch})`);
  }

  private deliverMessages(): void {
    const handshake = this.handshake!;
    for (;;) {
      const peeked = this.reassembler.peek();
      if (!peeked) return;
      if (!handshake.expects(peeked)) {
        // Out of order for its flight, or a message we already had: the real one may still come.
        this.reassembler.discardNext();
        this.dropUnexpected(peeked.type, peeked.seq, peeked.epoch);
        return;
      }
      const message = this.reassembler.next()!;
      if (this.awaitingPeerFlight) {
        this.awaitingPeerFlight = false;
        this.peerFlightStart = message.seq;
        this.timer.stop();
      }
      this.guard(() => handshake.handle(message));
      if (!this.owner.handshaking) return;
      if (handshake.complete) {
        this.timer.stop();
        this.deadline = undefined;
        // A client's last flight needs no resending now; a server keeps its own to answer retransmissions.
        if (this.role === 'client') this.flight = [];
        this.owner.onComplete();
        return;
      }
    }
  }

  private readonly host: HandshakeHost = {
    sendFlight: (entries, final) => {
      this.flight = entries;
      this.awaitingPeerFlight = true;
      if (entries.some((e) => e.kind === 'changeCipherSpec')) this.owner.records.writeEpoch = 1;
      this.transmitFlight();
      if (final) this.timer.stop();
      else this.timer.start(this.owner.now);
    },
    installKeys: (keys: EpochKeys) => {
      const isClient = this.role === 'client';
      this.owner.records.installKeys(
        isClient ? keys.clientWrite : keys.serverWrite,
        isClient ? keys.serverWrite : keys.clientWrite,
      );
    },
    expectReceiveSeq: (seq) => this.reassembler.reset(seq),
  };

  private transmitFlight(): void {
    for (const d of packFlight(this.flight, this.options.mtu, this.owner.records)) this.owner.transmit(d);
  }

  /** Run handshake code; a failure becomes a fatal alert, never an exception out of the engine. */
  private guard(step: () => void): void {
    try {
      step();
    } catch (e) {
      if (e instanceof HandshakeFailure) this.owner.fail(e.alert, e.message);
      else if (e instanceof Error && (e.name === 'ProtocolError' || e.name === 'TruncatedError'))
        this.owner.fail(AlertDescription.decodeError, e.message);
      else this.owner.fail(AlertDescription.internalError, e instanceof Error ? e.message : String(e));
    }
  }
}
