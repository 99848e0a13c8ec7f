/**
 * The data-channel engine (sans-I/O): one SCTP association plus the channel layer of RFC 8831/8832 — stream
 * ids by DTLS role, DCEP OPEN/ACK, closing by stream reset in both directions. It knows channels only by
 * stream id; RTCSctpTransport maps ids to RTCDataChannel objects. Time is passed in, output is polled, so
 * opening and closing channels runs in virtual time like every other engine.
 */
import { createLogger } from '../common/logger.js';
import type { DtlsRole } from '../common/transport.js';
import { Association } from '../sctp/association.js';
import type { AssociationOptions, CloseReason } from '../sctp/options.js';
import { type DcepOpen, decodeDcep, encodeAck, encodeOpen, PPID } from './dcep.js';

const log = createLogger('datachannel');

/** How a channel delivers (the fields of DCEP OPEN, RFC 8832 §5.1). */
export interface ChannelSettings {
  readonly label: string;
  readonly protocol: string;
  readonly ordered: boolean;
  readonly maxRetransmits: number | null;
  readonly maxPacketLifeTime: number | null;
  /** RFC 8831 §6.4 priority value (128, 256, 512, 1024). */
  readonly priority: number;
  /** Agreed out of band: no DCEP, both sides use the same id. */
  readonly negotiated: boolean;
}

export type ChannelEngineEvent =
  | { type: 'established' }
  /** A channel of ours can carry data now (DCEP OPEN sent, or negotiated). */
  | { type: 'channel-open'; id: number }
  /** The peer opened a channel (its DCEP OPEN was acknowledged). */
  | { type: 'channel-request'; id: number; settings: ChannelSettings }
  | { type: 'message'; id: number; ppid: number; data: Uint8Array }
  | { type: 'buffered-amount'; id: number; amount: number }
  /** The peer started closing the channel (its stream reset arrived first). */
  | { type: 'channel-closing'; id: number }
  /** Both directions of the channel's stream are reset: the id is free again. */
  | { type: 'channel-closed'; id: number }
  | { type: 'channel-error'; id: number; message: string }
  | { type: 'closed'; reason: CloseReason };

type ChannelState = 'pending' | 'open' | 'closing';

interface Channel {
  readonly id: number;
  readonly settings: ChannelSettings;
  state: ChannelState;
  /** DCEP ACK seen (or negotiated/remote-opened): unordered delivery may be used (RFC 8832 §6). */
  acknowledged: boolean;
  resetOut: boolean;
  resetIn: boolean;
}

const MAX_STREAM_ID = 65_534;
const MAX_QUEUED_EVENTS = 65_536;

export class DataChannelEngine {
  readonly association: Association;
  private readonly channels = new Map<number, Channel>();
  private readonly events: ChannelEngineEvent[] = [];
  private dtlsRole: DtlsRole | undefined;
  private established = false;
  /** Events dropped because nobody polled (bounded queue). */
  droppedEvents = 0;

  constructor(options: AssociationOptions, dtlsRole?: DtlsRole) {
    this.association = new Association(options);
    this.dtlsRole = dtlsRole;
  }

  get isEstablished(): boolean {
    return this.established;
  }

  get closed(): boolean {
    return this.association.closed;
  }

  /** Streams usable in each direction once established (null before). */
  get maxChannels(): number | null {
    const a = this.association;
    return this.established ? Math.min(a.outboundStreams, a.inboundStreams) : null;
  }

  /** The DTLS role decides the parity of the ids we allocate (client even, server odd; RFC 8832 §6). */
  setDtlsRole(role: DtlsRole): void {
    this.dtlsRole = role;
  }

  /** The lowest free id of our parity, or undefined when none is free or the role is not known yet. */
  allocateId(): number | undefined {
    if (this.dtlsRole === undefined) return undefined;
    const limit = this.established
      ? Math.min(this.association.outboundStreams - 1, MAX_STREAM_ID)
      : MAX_STREAM_ID;
    for (let id = this.dtlsRole === 'server' ? 1 : 0; id <= limit; id += 2) {
      if (!this.channels.has(id)) return id;
    }
    return undefined;
  }

  isIdInUse(id: number): boolean {
    return this.channels.has(id);
  }

  // ---- commands

  connect(now: number): void {
    this.association.connect(now);
  }

  /** Abort the association (as aiortc and browsers do on close). */
  abort(now: number): void {
    if (!this.association.closed) this.association.abort(now);
  }

  /**
   * Open a channel of ours on `id` (from allocateId(), or the application's for negotiated channels).
   * It opens at once when the association is up, else when it comes up.
   */
  openChannel(now: number, id: number, settings: ChannelSettings): void {
    if (this.channels.has(id)) throw new RangeError(`stream id ${id} is in use`);
    const channel: Channel = {
      id,
      settings,
      state: 'pending',
      acknowledged: settings.negotiated,
      resetOut: false,
      resetIn: false,
    };
    this.channels.set(id, channel);
    if (this.established) this.startChannel(now, channel);
  }

  /** Queue a user message; false when the association's send buffer is full or the channel cannot send. */
  send(now: number, id: number, ppid: number, data: Uint8Array): boolean {
    const ch = this.channels.get(id);
    if (ch?.state !== 'open') return false;
    const s = ch.settings;
    return this.association.send(now, id, ppid, data, {
      unordered: !s.ordered && ch.acknowledged,
      maxRetransmits: s.maxRetransmits ?? undefined,
      maxPacketLifeTime: s.maxPacketLifeTime ?? undefined,
    });
  }

  bufferedAmount(id: number): number {
    return this.association.bufferedAmount(id);
  }

  /** Start the closing procedure (RFC 8831 §6.7): reset our outgoing stream; the peer resets its own. */
  closeChannel(now: number, id: number): void {
    const ch = this.channels.get(id);
    if (!ch || ch.state === 'closing') return;
    const a = this.association;
    if (ch.state === 'pending' || !this.established || a.closed || !a.peerReconfig) {
      // Nothing to tell the peer (never opened, or it cannot reset streams): the id is free at once.
      this.channels.delete(id);
      this.emit({ type: 'channel-closed', id });
      return;
    }
    ch.state = 'closing';
    a.resetStreams(now, [id]);
  }

  handleInput(now: number, packet: Uint8Array): void {
    this.association.handleInput(now, packet);
    this.drainAssociation(now);
  }

  handleTimeout(now: number): void {
    this.association.handleTimeout(now);
    this.drainAssociation(now);
  }

  pollTimeout(): number | undefined {
    return this.association.pollTimeout();
  }

  pollTransmit(): Uint8Array | undefined {
    return this.association.pollTransmit();
  }

  /** Channel events; association events are translated as they are drained (call after every command). */
  pollEvent(now: number): ChannelEngineEvent | undefined {
    this.drainAssociation(now);
    return this.events.shift();
  }

  // ---- internals

  private emit(e: ChannelEngineEvent): void {
    if (this.events.length >= MAX_QUEUED_EVENTS) {
      this.events.shift();
      this.droppedEvents++;
    }
    this.events.push(e);
  }

  private drainAssociation(now: number): void {
    for (let e = this.association.pollEvent(); e; e = this.association.pollEvent()) {
      switch (e.type) {
        case 'message':
          if (e.ppid === PPID.DCEP) this.onDcep(now, e.streamId, e.data);
          else if (this.channels.get(e.streamId)?.state !== 'pending')
            this.emit({ type: 'message', id: e.streamId, ppid: e.ppid, data: e.data });
          break;
        case 'buffered-amount':
          this.emit({ type: 'buffered-amount', id: e.streamId, amount: e.amount });
          break;
        case 'established':
          this.established = true;
          this.emit({ type: 'established' });
          for (const ch of this.channels.values()) if (ch.state === 'pending') this.startChannel(now, ch);
          break;
        case 'outgoing-reset':
        case 'incoming-reset':
          for (const id of e.streams) this.onStreamReset(now, id, e.type === 'outgoing-reset');
          break;
        case 'message-refused':
          if (this.channels.has(e.streamId)) {
            this.emit({
              type: 'channel-error',
              id: e.streamId,
              message: 'incoming message exceeds maxMessageSize',
            });
            this.closeChannel(now, e.streamId);
          }
          break;
        case 'streams-added':
          break;
        case 'closed':
          this.channels.clear();
          this.emit({ type: 'closed', reason: e.reason });
          break;
      }
    }
  }

  private startChannel(now: number, ch: Channel): void {
    if (ch.id >= this.association.outboundStreams) {
      this.channels.delete(ch.id);
      this.emit({
        type: 'channel-error',
        id: ch.id,
        message: `stream id ${ch.id} is beyond the ${this.association.outboundStreams} negotiated streams`,
      });
      this.emit({ type: 'channel-closed', id: ch.id });
      return;
    }
    ch.state = 'open';
    if (!ch.settings.negotiated) {
      const s = ch.settings;
      const open = encodeOpen({
        ordered: s.ordered,
        reliability:
          s.maxRetransmits !== null ? 'rexmit' : s.maxPacketLifeTime !== null ? 'timed' : 'reliable',
        reliabilityParameter: s.maxRetransmits ?? s.maxPacketLifeTime ?? 0,
        priority: s.priority,
        label: s.label,
        protocol: s.protocol,
      });
      this.association.send(now, ch.id, PPID.DCEP, open);
    }
    this.emit({ type: 'channel-open', id: ch.id });
  }

  private onStreamReset(now: number, id: number, outgoing: boolean): void {
    const ch = this.channels.get(id);
    if (!ch) return;
    if (ch.state !== 'closing') {
      // The peer started closing: reset our side too (RFC 8831 §6.7).
      ch.state = 'closing';
      this.emit({ type: 'channel-closing', id });
      this.association.resetStreams(now, [id]);
    }
    if (outgoing) ch.resetOut = true;
    else ch.resetIn = true;
    if (ch.resetOut && ch.resetIn) {
      this.channels.delete(id);
      this.emit({ type: 'channel-closed', id });
    }
  }

  private onDcep(now: number, id: number, data: Uint8Array): void {
    let msg: ReturnType<typeof decodeDcep>;
    try {
      msg = decodeDcep(data);
    } catch (e) {
      log.debug('malformed DCEP message', e);
      return;
    }
    if (msg.type === 'ack') {
      const ch = this.channels.get(id);
      if (ch) ch.acknowledged = true;
      return;
    }
    // An OPEN for an id in use (or ours to allocate while it closes) is ignored.
    if (this.channels.has(id)) return;
    this.acceptRemote(now, id, msg);
  }

  private acceptRemote(now: number, id: number, open: DcepOpen): void {
    const settings: ChannelSettings = {
      label: open.label,
      protocol: open.protocol,
      ordered: open.ordered,
      maxRetransmits: open.reliability === 'rexmit' ? open.reliabilityParameter : null,
      maxPacketLifeTime: open.reliability === 'timed' ? open.reliabilityParameter : null,
      priority: open.priority,
      negotiated: false,
    };
    this.channels.set(id, {
      id,
      settings,
      state: 'open',
      acknowledged: true,
      resetOut: false,
      resetIn: false,
    });
    this.association.send(now, id, PPID.DCEP, encodeAck());
    this.emit({ type: 'channel-request', id, settings });
  }
}
