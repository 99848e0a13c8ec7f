/**
 * RTCSctpTransport: runs the sans-I/O SCTP association over a DTLS transport (RFC 8261), drives its
 * timers, and maps streams to RTCDataChannels with DCEP (RFC 8832). Output is flushed in a microtask so
 * many `send()` calls in one turn bundle into full packets.
 */

import { copyBytes } from '../common/bytes.js';
import { invalidState, operationError } from '../common/errors.js';
import { type EventHandler, RtcEventTarget } from '../common/events.js';
import { createLogger } from '../common/logger.js';
import type { DtlsTransportLike } from '../common/transport.js';
import { now, WakeTimer } from '../net/clock.js';
import { Association } from '../sctp/association.js';
import type { AssociationEvent, AssociationOptions } from '../sctp/options.js';
import { type DataChannelHost, RTCDataChannel } from './data-channel.js';
import { type DcepOpen, decodeDcep, encodeAck, encodeOpen, PPID } from './dcep.js';
import { RTCError } from './rtc-error.js';

const log = createLogger('datachannel');

export interface RTCSctpCapabilities {
  maxMessageSize: number;
}

export type RTCSctpTransportState = 'new' | 'connecting' | 'connected' | 'closed';

export class RTCDataChannelEvent extends Event {
  readonly channel: RTCDataChannel;
  constructor(type: string, init: { channel: RTCDataChannel }) {
    super(type);
    this.channel = init.channel;
  }
}

export interface RTCSctpTransportEventMap {
  statechange: Event;
  datachannel: RTCDataChannelEvent;
}

/** Tuning for the association underneath (advanced use and tests). */
export type RTCSctpTransportOptions = Omit<AssociationOptions, 'localPort' | 'remotePort'>;

const DEFAULT_MAX_MESSAGE_SIZE = 262_144;

export class RTCSctpTransport extends RtcEventTarget<RTCSctpTransportEventMap> implements DataChannelHost {
  readonly transport: DtlsTransportLike;
  readonly port: number;
  private _state: RTCSctpTransportState = 'new';
  private assoc: Association | undefined;
  private remoteMaxMessageSize: number | undefined;
  private readonly options: RTCSctpTransportOptions;
  private readonly channels = new Map<number, RTCDataChannel>();
  private readonly waiting = new Set<RTCDataChannel>();
  /** Per stream id: which directions have been reset while closing. */
  private readonly closingStreams = new Map<number, { out: boolean; in: boolean }>();
  private timer: WakeTimer | undefined;
  private flushQueued = false;
  private ioFlushQueued = false;

  constructor(transport: DtlsTransportLike, port = 5000, options: RTCSctpTransportOptions = {}) {
    super();
    this.transport = transport;
    this.port = port;
    this.options = options;
  }

  static getCapabilities(): RTCSctpCapabilities {
    return { maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE };
  }

  get state(): RTCSctpTransportState {
    return this._state;
  }

  get onstatechange(): EventHandler<Event> {
    return this.getHandler('statechange');
  }
  set onstatechange(h: EventHandler<Event>) {
    this.setHandler('statechange', h);
  }
  get ondatachannel(): EventHandler<RTCDataChannelEvent> {
    return this.getHandler('datachannel');
  }
  set ondatachannel(h: EventHandler<RTCDataChannelEvent>) {
    this.setHandler('datachannel', h);
  }

  /** Channels that can be open at once: the negotiated stream count, or null before connecting. */
  get maxChannels(): number | null {
    const a = this.assoc;
    return a?.sender ? Math.min(a.outboundStreams, a.inboundStreams) : null;
  }

  /** Largest message `send()` accepts: the peer's advertised limit (0 there means no limit). */
  get maxMessageSize(): number {
    const remote = this.remoteMaxMessageSize;
    if (remote === undefined) return this.options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    return remote === 0 ? Number.POSITIVE_INFINITY : remote;
  }

  /** Start the association once DTLS is connected. Both sides send INIT; collisions are resolved. */
  async start(remoteCaps: RTCSctpCapabilities, remotePort = 5000): Promise<void> {
    if (this._state === 'closed') throw invalidState('RTCSctpTransport is closed');
    if (this.assoc) return;
    this.remoteMaxMessageSize = remoteCaps.maxMessageSize;
    const assoc = new Association({
      maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
      zeroChecksum: true,
      ...this.options,
      localPort: this.port,
      remotePort,
    });
    this.assoc = assoc;
    this.timer = new WakeTimer(
      () => assoc.pollTimeout(),
      (t) => {
        assoc.handleTimeout(t);
        this.flush();
      },
    );
    this.transport.onDatagram = (d) => {
      assoc.handleInput(now(), d);
      this.requestIoFlush();
    };
    this.transport.addEventListener('statechange', this.onDtlsState);
    this.setState('connecting');
    this.onDtlsState();
  }

  private readonly onDtlsState = (): void => {
    const s = this.transport.state;
    if (s === 'connected' && this.assoc?.state === 'closed' && !this.assoc.closed) {
      this.assoc.connect(now());
      this.flush();
    } else if ((s === 'closed' || s === 'failed') && this._state !== 'closed') {
      this.shutdownLocal(s === 'failed');
    }
  };

  /** Abort the association (as aiortc does) and close every channel. */
  async stop(): Promise<void> {
    if (this._state === 'closed') return;
    if (this.assoc && !this.assoc.closed) {
      this.assoc.abort(now());
      this.flush();
    }
    this.shutdownLocal(false);
  }

  private shutdownLocal(failed: boolean): void {
    this.timer?.close();
    this.transport.removeEventListener('statechange', this.onDtlsState);
    for (const ch of [...this.channels.values(), ...this.waiting]) {
      if (failed) ch.fail(new RTCError({ errorDetail: 'sctp-failure' }, 'SCTP association failed'));
      ch.setState('closed');
    }
    this.channels.clear();
    this.waiting.clear();
    this.setState('closed');
  }

  private setState(s: RTCSctpTransportState): void {
    if (this._state === s) return;
    this._state = s;
    this.dispatchEvent(new Event('statechange'));
  }

  // ---- DataChannelHost ----

  register(channel: RTCDataChannel): void {
    if (this._state === 'closed') throw invalidState('RTCSctpTransport is closed');
    if (channel.negotiated) {
      const id = channel.id!;
      if (this.channels.has(id)) throw operationError(`data channel id ${id} is in use`);
      this.channels.set(id, channel);
    } else if (channel.id !== null) {
      if (this.channels.has(channel.id)) throw operationError(`data channel id ${channel.id} is in use`);
      this.channels.set(channel.id, channel);
    }
    if (this._state === 'connected') this.openLocal(channel);
    else this.waiting.add(channel);
  }

  sendMessage(channel: RTCDataChannel, ppid: number, data: Uint8Array): boolean {
    const assoc = this.assoc;
    if (!assoc || channel.id === null) return false;
    // The caller may reuse its buffer after send() returns (W3C), so the engine gets its own copy.
    const bytes =
      ppid === PPID.STRING || ppid === PPID.STRING_EMPTY || ppid === PPID.BINARY_EMPTY
        ? data
        : copyBytes(data);
    const ok = assoc.send(now(), channel.id, ppid, bytes, {
      unordered: !channel.ordered && channel.acknowledged,
      maxRetransmits: channel.maxRetransmits ?? undefined,
      maxPacketLifeTime: channel.maxPacketLifeTime ?? undefined,
    });
    if (ok) this.requestFlush();
    return ok;
  }

  closeChannel(channel: RTCDataChannel): void {
    this.waiting.delete(channel);
    const id = channel.id;
    const assoc = this.assoc;
    if (
      id === null ||
      !assoc?.sender ||
      assoc.closed ||
      !assoc.peerReconfig ||
      this.channels.get(id) !== channel
    ) {
      if (id !== null && this.channels.get(id) === channel) this.channels.delete(id);
      queueMicrotask(() => channel.setState('closed'));
      return;
    }
    const entry = this.closingStreams.get(id) ?? { out: false, in: false };
    this.closingStreams.set(id, entry);
    assoc.resetStreams(now(), [id]);
    this.requestFlush();
  }

  // ---- engine driving ----

  /**
   * After input, flush once the socket's queued datagrams have all been read (setImmediate runs after
   * the poll phase): one SACK then covers a whole burst instead of every second packet.
   */
  private requestIoFlush(): void {
    if (this.ioFlushQueued) return;
    this.ioFlushQueued = true;
    setImmediate(this.ioFlush);
  }

  private readonly ioFlush = (): void => {
    this.ioFlushQueued = false;
    this.flush();
  };

  private requestFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const assoc = this.assoc;
    if (!assoc) return;
    for (let rounds = 0; rounds < 64; rounds++) {
      let any = false;
      for (let p = assoc.pollTransmit(); p; p = assoc.pollTransmit()) {
        any = true;
        this.transport.send(p);
      }
      for (let e = assoc.pollEvent(); e; e = assoc.pollEvent()) {
        any = true;
        this.onEvent(e);
      }
      if (!any) break;
    }
    this.timer?.schedule();
  };

  private onEvent(e: AssociationEvent): void {
    switch (e.type) {
      case 'message':
        if (e.ppid === PPID.DCEP) this.onDcep(e.streamId, e.data);
        else this.channels.get(e.streamId)?.deliver(e.ppid, e.data);
        break;
      case 'buffered-amount':
        this.channels.get(e.streamId)?.updateBufferedAmount(e.amount);
        break;
      case 'established':
        this.setState('connected');
        for (const ch of this.waiting) this.openLocal(ch);
        this.waiting.clear();
        break;
      case 'outgoing-reset':
      case 'incoming-reset':
        for (const id of e.streams) this.onStreamReset(id, e.type === 'outgoing-reset');
        break;
      case 'message-refused': {
        const ch = this.channels.get(e.streamId);
        if (ch) {
          ch.fail(
            new RTCError({ errorDetail: 'data-channel-failure' }, 'incoming message exceeds maxMessageSize'),
          );
          ch.close();
        }
        break;
      }
      case 'streams-added':
        break;
      case 'closed':
        this.shutdownLocal(
          e.reason === 'peer-abort' || e.reason === 'dead-peer' || e.reason === 'init-failed',
        );
        break;
    }
  }

  private onStreamReset(id: number, outgoing: boolean): void {
    const ch = this.channels.get(id);
    let entry = this.closingStreams.get(id);
    if (!entry) {
      // The peer started closing: reset our side too (RFC 8831 §6.7).
      entry = { out: false, in: false };
      this.closingStreams.set(id, entry);
      if (ch) ch.setState('closing');
      this.assoc?.resetStreams(now(), [id]);
    }
    if (outgoing) entry.out = true;
    else entry.in = true;
    if (entry.out && entry.in) {
      this.closingStreams.delete(id);
      if (ch && this.channels.get(id) === ch) this.channels.delete(id);
      ch?.setState('closed');
    }
  }

  /** A channel created here is ready to use: allocate its id, send DCEP OPEN unless negotiated. */
  private openLocal(ch: RTCDataChannel): void {
    if (ch.readyState !== 'connecting') return;
    const assoc = this.assoc!;
    if (!ch.negotiated && ch.id === null) {
      const id = this.allocateId();
      if (id === undefined) {
        ch.fail(new RTCError({ errorDetail: 'data-channel-failure' }, 'no free stream id'));
        ch.setState('closed');
        return;
      }
      ch.assignId(id);
      this.channels.set(id, ch);
    }
    if (ch.id! >= assoc.outboundStreams) {
      this.channels.delete(ch.id!);
      ch.fail(
        new RTCError(
          { errorDetail: 'data-channel-failure' },
          `stream id ${ch.id} beyond ${assoc.outboundStreams}`,
        ),
      );
      ch.setState('closed');
      return;
    }
    if (!ch.negotiated) {
      const open = encodeOpen({
        ordered: ch.ordered,
        reliability:
          ch.maxRetransmits !== null ? 'rexmit' : ch.maxPacketLifeTime !== null ? 'timed' : 'reliable',
        reliabilityParameter: ch.maxRetransmits ?? ch.maxPacketLifeTime ?? 0,
        priority: PRIORITY[ch.priority],
        label: ch.label,
        protocol: ch.protocol,
      });
      assoc.send(now(), ch.id!, PPID.DCEP, open);
      this.requestFlush();
    }
    // Announce asynchronously, so handlers attached right after construction see it.
    queueMicrotask(() => ch.setState('open'));
  }

  /** The lowest free id of our parity (client even, server odd, RFC 8832 §6). */
  private allocateId(): number | undefined {
    const limit = Math.min(this.assoc!.outboundStreams, 65_535);
    for (let id = this.transport.dtlsRole === 'server' ? 1 : 0; id < limit; id += 2) {
      if (!this.channels.has(id) && !this.closingStreams.has(id)) return id;
    }
    return undefined;
  }

  private onDcep(streamId: number, data: Uint8Array): void {
    let msg: ReturnType<typeof decodeDcep>;
    try {
      msg = decodeDcep(data);
    } catch (e) {
      log.debug('malformed DCEP message', e);
      return;
    }
    if (msg.type === 'ack') {
      const ch = this.channels.get(streamId);
      if (ch) ch.acknowledged = true;
      return;
    }
    if (this.channels.has(streamId) || this.closingStreams.has(streamId)) return;
    this.acceptRemote(streamId, msg);
  }

  private acceptRemote(streamId: number, open: DcepOpen): void {
    const ch = new RTCDataChannel(
      this,
      {
        label: open.label,
        protocol: open.protocol,
        ordered: open.ordered,
        maxRetransmits: open.reliability === 'rexmit' ? open.reliabilityParameter : null,
        maxPacketLifeTime: open.reliability === 'timed' ? open.reliabilityParameter : null,
        id: streamId,
        priority: priorityName(open.priority),
      },
      false,
    );
    ch.acknowledged = true;
    this.channels.set(streamId, ch);
    this.assoc!.send(now(), streamId, PPID.DCEP, encodeAck());
    this.requestFlush();
    // W3C: readyState is already "open" during the datachannel event; `open` fires after it.
    ch.setState('open', true);
    this.dispatchEvent(new RTCDataChannelEvent('datachannel', { channel: ch }));
    queueMicrotask(() => ch.announceOpen());
  }
}

/** RFC 8831 §6.4 priority values. */
const PRIORITY = { 'very-low': 128, low: 256, medium: 512, high: 1024 } as const;

function priorityName(p: number): 'very-low' | 'low' | 'medium' | 'high' {
  if (p <= 128) return 'very-low';
  if (p <= 256) return 'low';
  if (p <= 512) return 'medium';
  return 'high';
}
