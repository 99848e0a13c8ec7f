/**
 * The state and output half of the SCTP association: fields, events, timers' deadlines, packet building
 * with bundling, liveness (heartbeats, error counting), shutdown and close. `Association` adds the
 * commands, packet input and the handshake on top.
 */
import { createLogger } from '../common/logger.js';
import { cryptoRandom, type RandomSource, randomBytes, randomUint32 } from '../common/random.js';
import { encodeCause, encodeForwardTsn, encodeHeartbeat, encodeShutdown, encodeSimple } from './chunks.js';
import { ChunkType, ErrorCause } from './constants.js';
import {
  type AssociationEvent,
  type AssociationOptions,
  type AssociationState,
  type AssociationStats,
  type CloseReason,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { OutboundStream } from './outbound.js';
import { ChunkSpans, PacketBuilder, type PacketHeader } from './packet.js';
import type { Receiver } from './receiver.js';
import { ReconfigHandler } from './reconfig-handler.js';
import type { Sender } from './sender.js';

const log = createLogger('sctp');

export abstract class AssociationCore {
  readonly options: ResolvedOptions;
  state: AssociationState = 'closed';
  readonly localTag: number;
  peerTag = 0;
  readonly localInitialTsn: number;
  /** Negotiated stream counts (valid once established). */
  outboundStreams = 0;
  inboundStreams = 0;
  peerInterleaving = false;
  peerForwardTsn = false;
  peerReconfig = false;
  peerZeroChecksum = false;
  /** Set once established. */
  sender: Sender | undefined;
  receiver: Receiver | undefined;
  readonly stats: AssociationStats = {
    packetsReceived: 0,
    packetsSent: 0,
    dropped: { checksum: 0, tag: 0, malformed: 0, port: 0, state: 0 },
    unrecognizedChunks: 0,
  };
  readonly outStreams = new Map<number, OutboundStream>();
  protected readonly reconfig: ReconfigHandler;
  protected readonly random: RandomSource;
  protected readonly secret: Uint8Array;
  protected now = 0;
  protected events: Array<AssociationEvent | undefined> = [];
  protected eventHead = 0;
  /** Whole packets ready to go (INIT, INIT-ACK, ABORT: their own verification tags). */
  protected readonly rawQueue: Uint8Array[] = [];
  /** Control chunks to bundle at the front of the next packet. */
  protected readonly control: Uint8Array[] = [];
  protected readonly builder: PacketBuilder;
  protected readonly rawBuilder: PacketBuilder;
  protected readonly header: PacketHeader = {
    sourcePort: 0,
    destinationPort: 0,
    verificationTag: 0,
    checksum: 0,
  };
  protected readonly spans = new ChunkSpans();
  /** The buffer of the last packet read and a DataView over all of it (reused while packets share it). */
  protected viewBuffer: ArrayBufferLike | undefined;
  protected bufferView: DataView = new DataView(new ArrayBuffer(0));
  protected initChunk: Uint8Array | undefined;
  protected cookieEcho: Uint8Array | undefined;
  protected t1At: number | undefined;
  protected t1Count = 0;
  protected t2At: number | undefined;
  protected t2Count = 0;
  protected sackNow = false;
  protected delayedSackAt: number | undefined;
  protected packetsSinceSack = 0;
  protected heartbeatAt: number | undefined;
  protected heartbeatNonce: Uint8Array | undefined;
  protected heartbeatSentAt = 0;
  protected errorCount = 0;
  protected queuedBytes = 0;

  constructor(options: AssociationOptions = {}) {
    this.options = resolveOptions(options);
    this.random = options.random ?? cryptoRandom;
    this.secret = randomBytes(32, this.random);
    this.localTag = randomUint32(this.random) || 1;
    this.localInitialTsn = randomUint32(this.random);
    this.builder = new PacketBuilder(this.options.localPort, this.options.remotePort, this.options.mtu);
    this.rawBuilder = new PacketBuilder(this.options.localPort, this.options.remotePort, this.options.mtu);
    this.reconfig = new ReconfigHandler(this);
  }

  /** Send ABORT and close at once (also used when the peer is found dead). */
  abort(now: number, reason: CloseReason = 'abort'): void {
    this.now = now;
    if (this.closed) return;
    if (this.peerTag !== 0) {
      this.sendRaw(
        this.peerTag,
        // Only a close the application asked for says "user-initiated" (the peer takes it as a normal close).
        reason === 'abort'
          ? encodeSimple(ChunkType.ABORT, 0, encodeCause(ErrorCause.USER_INITIATED_ABORT))
          : encodeSimple(ChunkType.ABORT),
      );
    }
    this.close(reason);
  }

  // ---- engine contract ----

  pollEvent(): AssociationEvent | undefined {
    if (this.eventHead >= this.events.length) {
      if (this.eventHead > 0) {
        this.events = [];
        this.eventHead = 0;
      }
      return undefined;
    }
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined;
    return e;
  }

  emit(e: AssociationEvent): void {
    this.events.push(e);
  }

  pollTimeout(): number | undefined {
    let t: number | undefined;
    for (const x of [
      this.t1At,
      this.t2At,
      this.sender?.t3At,
      this.delayedSackAt,
      this.heartbeatAt,
      this.reconfig.timerAt,
    ]) {
      if (x !== undefined && (t === undefined || x < t)) t = x;
    }
    return t;
  }

  /** The next packet to send, built on demand so chunks bundle up to the MTU. */
  pollTransmit(): Uint8Array | undefined {
    const raw = this.rawQueue.shift();
    if (raw) {
      this.stats.packetsSent++;
      return raw;
    }
    if (this.state === 'closed' || this.peerTag === 0 || !this.sender) {
      if (this.cookieEcho && this.control.length) return this.buildControlOnly();
      return undefined;
    }
    const packet = this.buildPacket();
    if (!packet) this.reportDrained();
    return packet;
  }

  /** Bytes of this stream queued and not yet handed to the network. */
  bufferedAmount(streamId: number): number {
    return this.outStreams.get(streamId)?.buffered ?? 0;
  }

  // ---- output ----

  protected sendRaw(tag: number, chunk: Uint8Array, checksum = true): void {
    const b = this.rawBuilder;
    b.begin(tag);
    b.addChunk(chunk);
    this.rawQueue.push(b.finish(checksum));
  }

  queueControl(chunk: Uint8Array): void {
    this.control.push(chunk);
  }

  protected buildControlOnly(): Uint8Array | undefined {
    const b = this.builder;
    b.begin(this.peerTag);
    while (this.control.length && (b.empty || this.control[0]!.byteLength <= b.room))
      b.addChunk(this.control.shift()!);
    this.stats.packetsSent++;
    return b.finish(true);
  }

  protected buildPacket(): Uint8Array | undefined {
    const sender = this.sender!;
    const b = this.builder;
    this.reconfig.maybeSendRequest(this.now);
    b.begin(this.peerTag);
    while (this.control.length && (b.empty || this.control[0]!.byteLength <= b.room))
      b.addChunk(this.control.shift()!);
    if (sender.forwardTsnNeeded && this.peerForwardTsn) {
      sender.forwardTsnNeeded = false;
      const fwd = encodeForwardTsn(this.peerInterleaving, {
        newCumulativeTsn: sender.advancedPeerAckPoint,
        streams: sender.forwardTsnStreams(),
      });
      if (fwd.byteLength <= b.room) b.addChunk(fwd);
    }
    const canSendData =
      this.state === 'established' || this.state === 'shutdown-pending' || this.state === 'shutdown-received';
    const hasData = canSendData && sender.wantsToSend;
    // A delayed SACK rides along with anything else that goes out; alone it waits for its timer.
    const sackPending = this.sackNow || (this.delayedSackAt !== undefined && (hasData || !b.empty));
    if (sackPending && this.receiver) {
      this.receiver.writeSack(b);
      this.sackNow = false;
      this.delayedSackAt = undefined;
      this.packetsSinceSack = 0;
    }
    if (hasData) sender.fill(this.now, b);
    if (b.empty) return undefined;
    this.stats.packetsSent++;
    this.maybeProgressShutdown();
    return b.finish(!(this.options.zeroChecksum && this.peerZeroChecksum));
  }

  protected totalBuffered(): number {
    let total = 0;
    for (const s of this.outStreams.values()) total += s.buffered;
    return total;
  }

  protected reportDrained(): void {
    const sender = this.sender;
    if (!sender || sender.drained.size === 0) return;
    for (const id of sender.drained)
      this.emit({ type: 'buffered-amount', streamId: id, amount: this.bufferedAmount(id) });
    sender.drained.clear();
    this.queuedBytes = this.totalBuffered();
  }

  outStream(id: number): OutboundStream {
    let s = this.outStreams.get(id);
    if (!s) {
      s = new OutboundStream(id);
      this.outStreams.set(id, s);
    }
    return s;
  }

  // ---- liveness ----

  protected countError(): void {
    if (++this.errorCount > this.options.maxRetransmissions) {
      log.debug('peer unreachable: too many retransmissions');
      this.abort(this.now, 'dead-peer');
    }
  }

  protected onHeartbeatTimer(now: number): void {
    const sender = this.sender;
    if (!sender || this.state === 'closed') {
      this.heartbeatAt = undefined;
      return;
    }
    if (this.heartbeatNonce) {
      // The last heartbeat went unanswered within an RTO.
      sender.rto = Math.min(sender.rto * 2, this.options.rtoMax);
      this.countError();
      if (this.closed) return;
    }
    if (sender.outstanding > 0) {
      // Data in flight proves liveness through T3; look again later.
      this.heartbeatNonce = undefined;
      this.heartbeatAt = now + this.options.heartbeatInterval;
      return;
    }
    this.heartbeatNonce = randomBytes(8, this.random);
    this.heartbeatSentAt = now;
    this.queueControl(encodeHeartbeat(ChunkType.HEARTBEAT, this.heartbeatNonce));
    this.heartbeatAt = now + sender.rto;
  }

  protected onHeartbeatAck(now: number, info: Uint8Array): void {
    const nonce = this.heartbeatNonce;
    if (!nonce || info.byteLength !== nonce.byteLength || !info.every((b, i) => b === nonce[i])) return;
    this.heartbeatNonce = undefined;
    this.errorCount = 0;
    this.lastRtt = now - this.heartbeatSentAt;
    this.heartbeatAt = now + this.options.heartbeatInterval;
  }

  /** Round-trip time measured by the last heartbeat. */
  lastRtt: number | undefined;

  // ---- shutdown ----

  protected onShutdown(now: number, cumulativeTsnAck: number): void {
    if (!this.sender) return;
    this.sender.onSack(now, {
      cumulativeTsnAck,
      advertisedReceiverWindow: this.sender.peerRwnd + this.sender.flightSize,
      gaps: [],
      duplicates: 0,
    });
    if (this.state === 'established' || this.state === 'shutdown-pending') this.state = 'shutdown-received';
    if (this.state === 'shutdown-sent') {
      this.state = 'shutdown-received';
    }
    this.maybeProgressShutdown();
  }

  protected maybeProgressShutdown(): void {
    const sender = this.sender;
    if (!sender?.idle) return;
    if (this.state === 'shutdown-pending') {
      this.state = 'shutdown-sent';
      this.queueControl(encodeShutdown(this.receiver!.cumulativeTsn));
      this.t2At = this.now + sender.rto;
    } else if (this.state === 'shutdown-received') {
      this.state = 'shutdown-ack-sent';
      this.queueControl(encodeSimple(ChunkType.SHUTDOWN_ACK));
      this.t2At = this.now + sender.rto;
    }
  }

  protected onT2(now: number): void {
    if (++this.t2Count > this.options.maxRetransmissions) {
      this.t2At = undefined;
      this.abort(now);
      return;
    }
    const rto = this.sender?.rto ?? this.options.rtoInitial;
    this.t2At = now + Math.min(rto * 2 ** this.t2Count, this.options.rtoMax);
    if (this.state === 'shutdown-sent') this.queueControl(encodeShutdown(this.receiver!.cumulativeTsn));
    else if (this.state === 'shutdown-ack-sent') this.queueControl(encodeSimple(ChunkType.SHUTDOWN_ACK));
  }

  protected close(reason: CloseReason): void {
    if (this.closed) return;
    this.state = 'closed';
    this.closed = true;
    this.t1At = this.t2At = this.delayedSackAt = this.heartbeatAt = undefined;
    if (this.sender) this.sender.t3At = undefined;
    this.reconfig.timerAt = undefined;
    this.control.length = 0;
    for (const s of this.outStreams.values()) s.clear();
    this.emit({ type: 'closed', reason });
  }

  /** True once the association has ended (any reason). */
  closed = false;

  /** The engine's current notion of time (last value passed in). */
  get currentTime(): number {
    return this.now;
  }
}
