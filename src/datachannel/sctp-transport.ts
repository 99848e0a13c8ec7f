/**
 * RTCSctpTransport: drives the sans-I/O data-channel engine (SCTP association + DCEP, channel-engine.ts)
 * over a DTLS transport (RFC 8261) with the runtime's clock and timer, and maps stream ids to
 * RTCDataChannel objects. Output is flushed in a microtask so many `send()` calls in one turn bundle into
 * full packets, and after a burst of input so one SACK covers the burst.
 */

import { invalidState, operationError } from '../common/errors.js';
import { type EventHandler, type EventInit, RtcEventTarget } from '../common/events.js';
import { queueLightMicrotask } from '../common/microtask.js';
import { ByteSlab } from '../common/slab.js';
import type { DtlsTransportLike } from '../common/transport.js';
import { nodeRuntime, type Runtime, type RuntimeOptions } from '../net/runtime.js';
import { type WakeRegistration, WakeScheduler } from '../net/wake-scheduler.js';
import type { AssociationOptions } from '../sctp/options.js';
import { type ChannelEngineEvent, type ChannelSettings, DataChannelEngine } from './channel-engine.js';
import { type DataChannelHost, RTCDataChannel, type RTCPriorityType } from './data-channel.js';
import { PPID } from './dcep.js';
import { RTCError } from './rtc-error.js';

export interface RTCSctpCapabilities {
  maxMessageSize: number;
}

export type RTCSctpTransportState = 'new' | 'connecting' | 'connected' | 'closed';

export interface RTCDataChannelEventInit extends EventInit {
  channel: RTCDataChannel;
}

/** The `datachannel` event (W3C §6.3): `channel` is a required RTCDataChannel. */
export class RTCDataChannelEvent extends Event {
  readonly channel: RTCDataChannel;
  constructor(type: string, eventInitDict: RTCDataChannelEventInit) {
    if (eventInitDict === null || typeof eventInitDict !== 'object') {
      throw new TypeError('RTCDataChannelEvent needs an init dictionary with a channel');
    }
    if (!(eventInitDict.channel instanceof RTCDataChannel)) {
      throw new TypeError('RTCDataChannelEventInit.channel must be an RTCDataChannel');
    }
    super(type, eventInitDict);
    this.channel = eventInitDict.channel;
  }
}

export interface RTCSctpTransportEventMap {
  statechange: Event;
  datachannel: RTCDataChannelEvent;
}

/** Tuning for the association underneath (advanced use and tests). */
export type RTCSctpTransportOptions = Omit<AssociationOptions, 'localPort' | 'remotePort' | 'random'> &
  RuntimeOptions;

const DEFAULT_MAX_MESSAGE_SIZE = 262_144;
/** The SCTP error cause of a user-initiated ABORT (RFC 4960 section 3.3.10, cause 12). */
const USER_INITIATED_ABORT = 12;

/** `D`: the DTLS transport underneath (an `RTCDtlsTransport<RTCIceTransport>` when an RTCPeerConnection made it). */
export class RTCSctpTransport<D extends DtlsTransportLike = DtlsTransportLike>
  extends RtcEventTarget<RTCSctpTransportEventMap>
  implements DataChannelHost
{
  readonly transport: D;
  readonly port: number;
  readonly runtime: Runtime;
  private _state: RTCSctpTransportState = 'new';
  private engine: DataChannelEngine | undefined;
  private remoteMaxMessageSize: number | undefined;
  private readonly options: RTCSctpTransportOptions;
  /** Channels by stream id, once they have one. */
  private readonly channels = new Map<number, RTCDataChannel>();
  /** Channels registered before the engine could give them an id (no DTLS role yet). */
  private readonly waiting = new Set<RTCDataChannel>();
  private readonly wakes: WakeScheduler;
  private timer: WakeRegistration | undefined;
  private detachDtls: (() => void) | undefined;
  private flushQueued = false;
  private ioFlushQueued = false;

  constructor(transport: D, port = 5000, options: RTCSctpTransportOptions = {}) {
    super();
    this.transport = transport;
    this.port = port;
    this.options = options;
    this.runtime = options.runtime ?? transport.runtime ?? nodeRuntime;
    this.wakes = options.wakes ?? transport.wakes ?? new WakeScheduler(this.runtime);
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
    return this.engine?.maxChannels ?? null;
  }

  /** Largest message `send()` accepts: the peer's advertised limit (0 there means no limit). */
  get maxMessageSize(): number {
    const remote = this.remoteMaxMessageSize;
    if (remote === undefined) return this.options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    return remote === 0 ? Number.POSITIVE_INFINITY : remote;
  }

  private now(): number {
    return this.runtime.clock.now();
  }

  /** Start the association once DTLS is connected. Both sides send INIT; collisions are resolved. */
  async start(remoteCaps: RTCSctpCapabilities, remotePort = 5000): Promise<void> {
    if (this._state === 'closed') throw invalidState('RTCSctpTransport is closed');
    if (this.engine) return;
    this.remoteMaxMessageSize = remoteCaps.maxMessageSize;
    const { runtime: _runtime, wakes: _wakes, ...tuning } = this.options;
    const engine = new DataChannelEngine(
      {
        maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
        zeroChecksum: true,
        ...tuning,
        localPort: this.port,
        remotePort,
        random: this.runtime.random,
      },
      this.transport.dtlsRole,
    );
    this.engine = engine;
    this.timer = this.wakes.register(
      () => engine.pollTimeout(),
      (t) => {
        engine.handleTimeout(t);
        this.flush();
      },
    );
    this.detachDtls = this.transport.attach((d) => {
      engine.handleInput(this.now(), d);
      this.requestIoFlush();
    });
    this.transport.addEventListener('statechange', this.onDtlsState);
    this.setState('connecting');
    for (const ch of [...this.waiting]) this.assignAndOpen(ch);
    this.onDtlsState();
  }

  private readonly onDtlsState = (): void => {
    const s = this.transport.state;
    const engine = this.engine;
    if (!engine) return;
    if (s === 'connected' && !engine.isEstablished && !engine.closed) {
      const role = this.transport.dtlsRole;
      if (role) engine.setDtlsRole(role);
      for (const ch of [...this.waiting]) this.assignAndOpen(ch);
      engine.connect(this.now());
      this.flush();
    } else if ((s === 'closed' || s === 'failed') && this._state !== 'closed') {
      // What arrived just before (the peer's ABORT ahead of its close_notify) is handled first.
      this.flush();
      if (this.state !== 'closed') this.shutdownLocal(s === 'failed');
    }
  };

  /** Abort the association (as aiortc does) and close every channel. The ABORT leaves before this returns. */
  async stop(): Promise<void> {
    this.stopNow();
  }

  /**
   * @internal Synchronous stop for RTCPeerConnection: close() (channels close quietly) or a failed
   * connection (`failed`: channels get an error event first).
   */
  stopNow(failed = false): void {
    if (this._state === 'closed') return;
    const engine = this.engine;
    this.shutdownLocal(failed);
    if (engine && !engine.closed) {
      engine.abort(this.now());
      for (let p = engine.pollTransmit(); p; p = engine.pollTransmit()) this.transport.send(p);
    }
  }

  /** Close every channel; `failed` closes them with an `sctp-failure` error (and the cause code, if known). */
  private shutdownLocal(failed: boolean, sctpCauseCode: number | null = null): void {
    this.timer?.close();
    this.detachDtls?.();
    this.detachDtls = undefined;
    this.transport.removeEventListener('statechange', this.onDtlsState);
    for (const ch of [...this.channels.values(), ...this.waiting]) {
      ch.transportClosed(
        failed
          ? new RTCError({ errorDetail: 'sctp-failure', sctpCauseCode }, 'SCTP association failed')
          : undefined,
      );
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
    const id = channel.id;
    if (id !== null && (this.channels.has(id) || this.engine?.isIdInUse(id))) {
      throw operationError(`data channel id ${id} is in use`);
    }
    if (id !== null) this.channels.set(id, channel);
    this.waiting.add(channel);
    if (this.engine) this.assignAndOpen(channel);
  }

  /** Give a waiting channel its id (when the DTLS role allows) and open it in the engine. */
  private assignAndOpen(channel: RTCDataChannel): void {
    const engine = this.engine!;
    if (channel.readyState !== 'connecting') {
      this.waiting.delete(channel);
      return;
    }
    if (channel.id === null) {
      const role = this.transport.dtlsRole;
      if (!role) return; // not yet: the role decides the parity
      engine.setDtlsRole(role);
      // An id the engine freed may still have its channel-closed event queued: handle it before reuse.
      for (let e = engine.pollEvent(this.now()); e; e = engine.pollEvent(this.now())) this.onEvent(e);
      const id = engine.allocateId();
      if (id === undefined) {
        this.waiting.delete(channel);
        channel.transportClosed(new RTCError({ errorDetail: 'data-channel-failure' }, 'no free stream id'));
        return;
      }
      channel.assignId(id);
      this.channels.set(id, channel);
    }
    this.waiting.delete(channel);
    engine.openChannel(this.now(), channel.id!, settingsOf(channel));
    this.requestFlush();
  }

  sendMessage(channel: RTCDataChannel, ppid: number, data: Uint8Array): boolean {
    const engine = this.engine;
    if (!engine || channel.id === null) return false;
    // The caller may reuse its buffer after send() returns (W3C), so the engine gets its own copy:
    // small messages in a shared slab (one view object instead of an ArrayBuffer and a view).
    const bytes =
      ppid === PPID.STRING || ppid === PPID.STRING_EMPTY || ppid === PPID.BINARY_EMPTY ? data : copyOut(data);
    const ok = engine.send(this.now(), channel.id, ppid, bytes);
    if (ok) this.requestFlush();
    return ok;
  }

  closeChannel(channel: RTCDataChannel): void {
    const id = channel.id;
    if (this.waiting.delete(channel) || id === null || !this.engine || this.channels.get(id) !== channel) {
      if (id !== null && this.channels.get(id) === channel) this.channels.delete(id);
      channel.transportClosed();
      return;
    }
    this.engine.closeChannel(this.now(), id);
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

  /**
   * Messages delivered by this input get their `message` events in tasks of their own; what SCTP has to
   * send (the SACK) then waits for a task queued behind them, so a reply sent from a message handler
   * leaves in the same packet as the SACK (one datagram and one wake-up of the peer instead of two). Input
   * that delivers no message is answered at once.
   */
  private readonly ioFlush = (): void => {
    this.ioFlushQueued = false;
    const engine = this.engine;
    if (!engine) return;
    const now = this.now();
    let delivered = false;
    for (let e = engine.pollEvent(now); e; e = engine.pollEvent(now)) {
      if (e.type === 'message') delivered = true;
      this.onEvent(e);
    }
    if (!delivered) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      this.queueTask(this.flush);
    }
  };

  private requestFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueLightMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const engine = this.engine;
    if (!engine) return;
    const now = this.now();
    for (let rounds = 0; rounds < 64; rounds++) {
      let any = false;
      for (let p = engine.pollTransmit(); p; p = engine.pollTransmit()) {
        any = true;
        this.transport.send(p);
      }
      for (let e = engine.pollEvent(now); e; e = engine.pollEvent(now)) {
        any = true;
        this.onEvent(e);
      }
      if (!any) break;
    }
    this.timer?.schedule();
  };

  private onEvent(e: ChannelEngineEvent): void {
    switch (e.type) {
      case 'message':
        this.channels.get(e.id)?.deliver(e.ppid, e.data);
        break;
      case 'buffered-amount':
        this.channels.get(e.id)?.updateBufferedAmount(e.amount);
        break;
      case 'established':
        this.setState('connected');
        break;
      case 'channel-open':
        this.channels.get(e.id)?.transportOpened();
        break;
      case 'channel-request':
        this.acceptRemote(e.id, e.settings);
        break;
      case 'channel-closing':
        this.channels.get(e.id)?.transportClosing();
        break;
      case 'channel-closed': {
        const ch = this.channels.get(e.id);
        this.channels.delete(e.id);
        ch?.transportClosed();
        break;
      }
      case 'channel-error':
        this.channels.get(e.id)?.fail(new RTCError({ errorDetail: 'data-channel-failure' }, e.message));
        break;
      case 'closed':
        // Only our own shutdown is a normal close. A peer's ABORT, even a user-initiated one (how browsers
        // end a connection on close()), closes the channels with an sctp-failure error, as Chromium does.
        this.shutdownLocal(
          e.reason !== 'shutdown' && e.reason !== 'abort',
          e.reason === 'peer-close' ? USER_INITIATED_ABORT : null,
        );
        break;
    }
  }

  private acceptRemote(id: number, s: ChannelSettings): void {
    const ch = new RTCDataChannel(
      this,
      {
        label: s.label,
        protocol: s.protocol,
        ordered: s.ordered,
        // DCEP carries 32 bits; the W3C attributes are unsigned short, so larger values are clamped.
        maxRetransmits: s.maxRetransmits === null ? null : Math.min(s.maxRetransmits, 65_535),
        maxPacketLifeTime: s.maxPacketLifeTime === null ? null : Math.min(s.maxPacketLifeTime, 65_535),
        id,
        priority: priorityName(s.priority),
      },
      false,
    );
    this.channels.set(id, ch);
    // W3C: the datachannel event is a task; readyState is already "open" while it fires, and the `open`
    // event follows in a task of its own. Messages that arrived meanwhile are queued behind it.
    this.queueTask(() => {
      if (this._state === 'closed' || ch.readyState !== 'connecting') return;
      ch.openedByPeer();
      this.dispatchEvent(new RTCDataChannelEvent('datachannel', { channel: ch }));
      ch.transportOpened();
    });
  }

  /** The W3C "queue a task" on this transport's runtime. */
  queueTask(fn: () => void): void {
    this.runtime.timers.task(fn);
  }
}

/** RFC 8831 §6.4 priority values. */
const PRIORITY = { 'very-low': 128, low: 256, medium: 512, high: 1024 } as const;

function priorityName(p: number): RTCPriorityType {
  if (p <= 128) return 'very-low';
  if (p <= 256) return 'low';
  if (p <= 512) return 'medium';
  return 'high';
}

function settingsOf(ch: RTCDataChannel): ChannelSettings {
  return {
    label: ch.label,
    protocol: ch.protocol,
    ordered: ch.ordered,
    maxRetransmits: ch.maxRetransmits,
    maxPacketLifeTime: ch.maxPacketLifeTime,
    priority: PRIORITY[ch.priority],
    negotiated: ch.negotiated,
  };
}

/** Copies of outgoing messages: views never handed out twice, kept by SCTP until acknowledged. */
const outgoing = new ByteSlab();

function copyOut(data: Uint8Array): Uint8Array {
  const copy = outgoing.take(data.byteLength);
  copy.set(data);
  return copy;
}
