/**
 * The SCTP association (RFC 9260) as a sans-I/O engine: feed packets with `handleInput(now, packet)`,
 * wake it at `pollTimeout()` with `handleTimeout(now)`, send what `pollTransmit()` returns, act on
 * `pollEvent()`. This file holds the commands, packet parsing and dispatch, and the handshake (state
 * cookie, INIT collision); AssociationCore the output side, liveness and shutdown.
 */
import { ByteReader } from '../common/bytes.js';
import { createLogger } from '../common/logger.js';
import { AssociationCore } from './association-core.js';
import {
  decodeForwardTsn,
  decodeHeartbeat,
  decodeInit,
  decodeSack,
  encodeCause,
  encodeHeartbeat,
  encodeInit,
  encodeSimple,
  firstCause,
  type InitChunk,
} from './chunks.js';
import { ChunkType, DATA_IMMEDIATE, ErrorCause } from './constants.js';
import { type CookieContents, makeCookie, openCookie } from './cookie.js';
import type { SendOptions } from './options.js';
import type { OutboundMessage } from './outbound.js';
import { type ChunkSpans, checksumMatches, scanPacket } from './packet.js';
import { Receiver } from './receiver.js';
import { Sender } from './sender.js';

const log = createLogger('sctp');

export class Association extends AssociationCore {
  // ---- commands ----

  /** Start the handshake by sending INIT (both WebRTC peers may do this at once; collisions resolve). */
  connect(now: number): void {
    this.now = now;
    if (this.state !== 'closed' || this.sender || this.closed) return;
    this.state = 'cookie-wait';
    this.initChunk = encodeInit(ChunkType.INIT, this.ourInit(undefined));
    this.sendRaw(0, this.initChunk);
    this.t1At = now + this.options.rtoInitial;
    this.t1Count = 0;
  }

  /** Queue a message. Returns false when the stream is invalid, the buffer is full or sending has stopped. */
  send(now: number, streamId: number, ppid: number, data: Uint8Array, opts: SendOptions = {}): boolean {
    this.now = now;
    if (this.state !== 'established' || !this.sender) return false;
    if (streamId >= this.outboundStreams || data.byteLength === 0) return false;
    if (this.queuedBytes + data.byteLength > this.options.maxSendBuffer) return false;
    const stream = this.outStream(streamId);
    const partial = opts.maxRetransmits !== undefined || opts.maxPacketLifeTime !== undefined;
    const m: OutboundMessage = {
      streamId,
      ppid,
      data,
      unordered: opts.unordered ?? false,
      maxRetransmits: opts.maxRetransmits,
      expiresAt: opts.maxPacketLifeTime !== undefined ? now + opts.maxPacketLifeTime : undefined,
      offset: 0,
      sequence: -1,
      nextFsn: 0,
      abandoned: false,
      sent: partial ? [] : undefined,
    };
    stream.push(m);
    this.queuedBytes += data.byteLength;
    this.sender.schedule(stream);
    return true;
  }

  /** RFC 6525: reset the outgoing side of these streams once their queued data has been sent. */
  resetStreams(now: number, streamIds: readonly number[]): void {
    this.now = now;
    this.reconfig.requestReset(streamIds);
  }

  /** RFC 6525 Add Outgoing Streams. */
  addStreams(now: number, count: number): void {
    this.now = now;
    this.reconfig.requestAddStreams(count);
  }

  /** Graceful SHUTDOWN once everything queued has been acknowledged. */
  shutdown(now: number): void {
    this.now = now;
    if (this.state === 'established') {
      this.state = 'shutdown-pending';
      this.maybeProgressShutdown();
    } else if (this.state === 'cookie-wait' || this.state === 'cookie-echoed') {
      this.close('shutdown');
    }
  }

  handleTimeout(now: number): void {
    this.now = now;
    if (this.t1At !== undefined && now >= this.t1At) this.onT1(now);
    if (this.t2At !== undefined && now >= this.t2At) this.onT2(now);
    const sender = this.sender;
    if (sender?.t3At !== undefined && now >= sender.t3At) {
      sender.onT3Expired(now);
      this.countError();
    }
    if (this.delayedSackAt !== undefined && now >= this.delayedSackAt) {
      this.delayedSackAt = undefined;
      this.sackNow = true;
    }
    if (this.heartbeatAt !== undefined && now >= this.heartbeatAt) this.onHeartbeatTimer(now);
    if (this.reconfig.timerAt !== undefined && now >= this.reconfig.timerAt) this.reconfig.onTimer(now);
  }

  // ---- input ----

  /** Process one incoming SCTP packet. The engine keeps views into `packet`: do not reuse its buffer. */
  handleInput(now: number, packet: Uint8Array): void {
    this.now = now;
    this.stats.packetsReceived++;
    // One DataView per underlying buffer (packets arrive as views into shared slabs), not one per packet.
    if (packet.buffer !== this.viewBuffer) {
      this.viewBuffer = packet.buffer;
      this.bufferView = new DataView(packet.buffer);
    }
    const view = this.bufferView;
    const base = packet.byteOffset;
    const h = this.header;
    const spans = this.spans;
    if (scanPacket(view, packet.byteLength, h, spans, base) !== 'ok') {
      this.stats.dropped.malformed++;
      return;
    }
    if (h.destinationPort !== this.options.localPort) {
      this.stats.dropped.port++;
      return;
    }
    const zeroOk = this.options.zeroChecksum && h.checksum === 0 && spans.types[0] !== ChunkType.INIT;
    if (!zeroOk && !checksumMatches(packet, h)) {
      this.stats.dropped.checksum++;
      return;
    }
    if (!this.tagAcceptable(h.verificationTag, spans)) {
      this.stats.dropped.tag++;
      return;
    }
    try {
      this.processChunks(now, packet, view, base);
    } catch (e) {
      // Truncated or inconsistent chunk bodies: drop the rest of the packet.
      this.stats.dropped.malformed++;
      log.debug('malformed chunk', e);
    }
    if (this.sackNow) this.delayedSackAt = undefined;
  }

  protected tagAcceptable(tag: number, spans: ChunkSpans): boolean {
    const first = spans.types[0]!;
    if (first === ChunkType.INIT) return tag === 0 && spans.count === 1;
    if ((first === ChunkType.ABORT || first === ChunkType.SHUTDOWN_COMPLETE) && spans.flags[0]! & 1) {
      return this.peerTag !== 0 && tag === this.peerTag;
    }
    return tag === this.localTag;
  }

  /** `view` covers `packet.buffer`; `base` is where the packet starts in it. */
  protected processChunks(now: number, packet: Uint8Array, view: DataView, base: number): void {
    const spans = this.spans;
    let hadData = false;
    let immediate = false;
    const count = spans.count;
    for (let i = 0; i < count; i++) {
      const type = spans.types[i]!;
      const flags = spans.flags[i]!;
      const offset = spans.offsets[i]!;
      const length = spans.lengths[i]!;
      if (type === ChunkType.DATA || type === ChunkType.I_DATA) {
        hadData = true;
        if (flags & DATA_IMMEDIATE) immediate = true;
        this.onDataChunk(type, flags, view, base, packet, offset, length);
        continue;
      }
      const body = new ByteReader(packet, offset + 4, length - 4);
      if (!this.onControlChunk(now, type, body, packet, offset, length)) return;
      if (this.state === 'closed' && !this.sender) return;
    }
    if (hadData && this.receiver) {
      this.packetsSinceSack++;
      const r = this.receiver;
      if (
        immediate ||
        this.packetsSinceSack >= 2 ||
        r.hasGaps ||
        r.hasDuplicates ||
        this.state !== 'established'
      ) {
        this.sackNow = true;
      } else if (this.delayedSackAt === undefined) {
        this.delayedSackAt = now + this.options.delayedSackTimeout;
      }
    }
  }

  protected onDataChunk(
    type: number,
    flags: number,
    view: DataView,
    base: number,
    packet: Uint8Array,
    offset: number,
    length: number,
  ): void {
    const r = this.receiver;
    const interleaved = type === ChunkType.I_DATA;
    const headerSize = interleaved ? 20 : 16;
    if (!r || interleaved !== this.peerInterleaving || length <= headerSize || this.state === 'closed') {
      this.stats.dropped.state++;
      return;
    }
    const at = base + offset;
    const tsn = view.getUint32(at + 4);
    const streamId = view.getUint16(at + 8);
    const payload = packet.subarray(offset + headerSize, offset + length);
    if (interleaved) {
      const mid = view.getUint32(at + 12);
      const ppidOrFsn = view.getUint32(at + 16);
      const begin = (flags & 0x02) !== 0;
      r.onData(tsn, flags, streamId, mid, begin ? 0 : ppidOrFsn, begin ? ppidOrFsn : 0, payload);
    } else {
      r.onData(tsn, flags, streamId, view.getUint16(at + 10), tsn, view.getUint32(at + 12), payload);
    }
  }

  /** Returns false to stop processing the rest of the packet. */
  /** `packet[offset, offset + length)` is the whole chunk (only an unknown chunk needs it as bytes). */
  protected onControlChunk(
    now: number,
    type: number,
    body: ByteReader,
    packet: Uint8Array,
    offset: number,
    length: number,
  ): boolean {
    switch (type) {
      case ChunkType.INIT:
        this.onInit(decodeInit(body));
        return false;
      case ChunkType.INIT_ACK:
        this.onInitAck(decodeInit(body));
        return false;
      case ChunkType.COOKIE_ECHO:
        this.onCookieEcho(now, body.bytes(body.remaining));
        return true;
      case ChunkType.COOKIE_ACK:
        if (this.state === 'cookie-echoed') this.establish();
        return true;
      case ChunkType.SACK:
        if (this.sender) this.onSack(now, body);
        return true;
      case ChunkType.FORWARD_TSN:
      case ChunkType.I_FORWARD_TSN:
        if (this.receiver && (type === ChunkType.I_FORWARD_TSN) === this.peerInterleaving) {
          this.receiver.onForwardTsn(decodeForwardTsn(body, type === ChunkType.I_FORWARD_TSN));
          this.sackNow = true;
        }
        return true;
      case ChunkType.HEARTBEAT:
        this.queueControl(encodeHeartbeat(ChunkType.HEARTBEAT_ACK, decodeHeartbeat(body)));
        return true;
      case ChunkType.HEARTBEAT_ACK:
        this.onHeartbeatAck(now, decodeHeartbeat(body));
        return true;
      case ChunkType.ABORT:
        // A User-Initiated Abort cause is how stacks (ours, libwebrtc's dcsctp) end a connection normally.
        this.close(firstCause(body) === ErrorCause.USER_INITIATED_ABORT ? 'peer-close' : 'peer-abort');
        return false;
      case ChunkType.SHUTDOWN:
        this.onShutdown(now, body.u32());
        return true;
      case ChunkType.SHUTDOWN_ACK:
        if (this.state === 'shutdown-sent' || this.state === 'shutdown-ack-sent') {
          this.sendRaw(this.peerTag, encodeSimple(ChunkType.SHUTDOWN_COMPLETE));
          this.close('shutdown');
        }
        return false;
      case ChunkType.SHUTDOWN_COMPLETE:
        if (this.state === 'shutdown-ack-sent') this.close('shutdown');
        return false;
      case ChunkType.ERROR:
        log.debug('peer ERROR chunk');
        return true;
      case ChunkType.RECONFIG:
        if (this.sender && this.receiver) this.reconfig.onChunk(now, body);
        return true;
      default:
        return this.onUnknownChunk(type, packet.subarray(offset, offset + length));
    }
  }

  /** RFC 9260 §3.2: the two high bits of an unknown type say whether to go on and whether to report. */
  protected onUnknownChunk(type: number, raw: Uint8Array): boolean {
    this.stats.unrecognizedChunks++;
    if (type & 0x40 && this.peerTag !== 0) {
      const chunk = encodeSimple(
        ChunkType.ERROR,
        0,
        encodeCause(ErrorCause.UNRECOGNIZED_CHUNK, raw.slice(0, 256)),
      );
      this.queueControl(chunk);
    }
    return (type & 0x80) !== 0;
  }

  protected onSack(now: number, body: ByteReader): void {
    const sender = this.sender!;
    if (sender.onSack(now, decodeSack(body))) this.errorCount = 0;
    this.maybeProgressShutdown();
  }

  // ---- handshake ----

  protected ourInit(cookie: Uint8Array | undefined): InitChunk {
    const o = this.options;
    return {
      initiateTag: this.localTag,
      advertisedReceiverWindow: o.receiveWindow,
      outboundStreams: o.maxOutboundStreams,
      inboundStreams: o.maxInboundStreams,
      initialTsn: this.localInitialTsn,
      stateCookie: cookie,
      forwardTsn: true,
      reconfig: true,
      interleaving: o.interleaving,
      zeroChecksum: o.zeroChecksum,
      unrecognized: [],
    };
  }

  protected onInit(init: InitChunk): void {
    if (init.initiateTag === 0 || init.outboundStreams === 0 || init.inboundStreams === 0) {
      this.stats.dropped.malformed++;
      return;
    }
    if (this.sender) {
      // Established: a restart is not supported; the peer's INIT is ignored.
      this.stats.dropped.state++;
      return;
    }
    const contents: CookieContents = {
      createdAt: this.now,
      localTag: this.localTag,
      peerTag: init.initiateTag,
      localInitialTsn: this.localInitialTsn,
      peerInitialTsn: init.initialTsn,
      peerWindow: init.advertisedReceiverWindow,
      inboundStreams: Math.min(this.options.maxInboundStreams, init.outboundStreams),
      outboundStreams: Math.min(this.options.maxOutboundStreams, init.inboundStreams),
      peerForwardTsn: init.forwardTsn,
      peerReconfig: init.reconfig,
      peerInterleaving: init.interleaving && this.options.interleaving,
      peerZeroChecksum: init.zeroChecksum,
    };
    const ack = this.ourInit(makeCookie(this.secret, contents));
    ack.unrecognized = init.unrecognized;
    this.sendRaw(init.initiateTag, encodeInit(ChunkType.INIT_ACK, ack));
  }

  protected onInitAck(ack: InitChunk): void {
    if (this.state !== 'cookie-wait' || !ack.stateCookie || ack.initiateTag === 0) return;
    if (ack.outboundStreams === 0 || ack.inboundStreams === 0) return;
    this.applyPeer({
      createdAt: this.now,
      localTag: this.localTag,
      peerTag: ack.initiateTag,
      localInitialTsn: this.localInitialTsn,
      peerInitialTsn: ack.initialTsn,
      peerWindow: ack.advertisedReceiverWindow,
      inboundStreams: Math.min(this.options.maxInboundStreams, ack.outboundStreams),
      outboundStreams: Math.min(this.options.maxOutboundStreams, ack.inboundStreams),
      peerForwardTsn: ack.forwardTsn,
      peerReconfig: ack.reconfig,
      peerInterleaving: ack.interleaving && this.options.interleaving,
      peerZeroChecksum: ack.zeroChecksum,
    });
    this.state = 'cookie-echoed';
    this.cookieEcho = encodeSimple(ChunkType.COOKIE_ECHO, 0, Uint8Array.from(ack.stateCookie));
    this.control.push(this.cookieEcho);
    this.t1At = this.now + this.options.rtoInitial;
    this.t1Count = 0;
  }

  protected pendingPeer: CookieContents | undefined;

  protected applyPeer(c: CookieContents): void {
    this.pendingPeer = c;
    this.peerTag = c.peerTag;
    this.inboundStreams = c.inboundStreams;
    this.outboundStreams = c.outboundStreams;
    this.peerForwardTsn = c.peerForwardTsn;
    this.peerReconfig = c.peerReconfig;
    this.peerInterleaving = c.peerInterleaving;
    this.peerZeroChecksum = c.peerZeroChecksum;
  }

  protected onCookieEcho(now: number, cookie: Uint8Array): void {
    const check = openCookie(this.secret, cookie, now, this.options.cookieLifetime);
    if (!check.ok) {
      if (check.reason === 'stale' && this.peerTag !== 0) {
        this.queueControl(
          encodeSimple(ChunkType.ERROR, 0, encodeCause(ErrorCause.STALE_COOKIE, new Uint8Array(4))),
        );
      }
      this.stats.dropped.malformed++;
      return;
    }
    const c = check.contents;
    if (c.localTag !== this.localTag) return;
    if (this.sender) {
      // Our COOKIE-ACK was lost: the same association, answer again (RFC 9260 §5.2.4 case D).
      if (c.peerTag === this.peerTag) this.queueControl(encodeSimple(ChunkType.COOKIE_ACK));
      return;
    }
    this.applyPeer(c);
    this.queueControl(encodeSimple(ChunkType.COOKIE_ACK));
    this.establish();
  }

  protected establish(): void {
    const c = this.pendingPeer!;
    const o = this.options;
    this.t1At = undefined;
    this.cookieEcho = undefined;
    this.state = 'established';
    this.sender = new Sender(
      this.localInitialTsn,
      c.peerWindow,
      {
        mtu: o.mtu,
        rtoInitial: o.rtoInitial,
        rtoMin: o.rtoMin,
        rtoMax: o.rtoMax,
        interleaved: this.peerInterleaving,
      },
      (id) => this.outStreams.get(id),
    );
    this.receiver = new Receiver(
      c.peerInitialTsn,
      o.receiveWindow,
      this.inboundStreams,
      this.peerInterleaving,
      o.maxMessageSize,
      (m) =>
        this.emit({
          type: 'message',
          streamId: m.streamId,
          ppid: m.ppid,
          data: m.data,
          unordered: m.unordered,
        }),
      (streamId) => this.emit({ type: 'message-refused', streamId }),
    );
    if (o.heartbeatInterval > 0) this.heartbeatAt = this.now + o.heartbeatInterval;
    this.emit({ type: 'established' });
  }

  protected onT1(now: number): void {
    if (++this.t1Count > this.options.maxInitRetransmits) {
      this.t1At = undefined;
      this.close('init-failed');
      return;
    }
    const backoff = Math.min(this.options.rtoInitial * 2 ** this.t1Count, this.options.rtoMax);
    this.t1At = now + backoff;
    if (this.state === 'cookie-wait' && this.initChunk) this.sendRaw(0, this.initChunk);
    else if (this.state === 'cookie-echoed' && this.cookieEcho) this.control.push(this.cookieEcho);
  }
}
