/**
 * RTCDataChannel (W3C webrtc-pc §6.2) on top of RTCSctpTransport, also constructible directly for ORTC
 * use as in aiortc: `new RTCDataChannel(sctpTransport, { label, ordered, ... })`.
 */
import { copyBytes } from '../common/bytes.js';
import { invalidState, operationError } from '../common/errors.js';
import { type EventHandler, RtcEventTarget } from '../common/events.js';
import { PPID } from './dcep.js';
import { RTCError, RTCErrorEvent } from './rtc-error.js';

export type RTCDataChannelState = 'connecting' | 'open' | 'closing' | 'closed';
export type BinaryType = 'arraybuffer' | 'blob';
export type RTCPriorityType = 'very-low' | 'low' | 'medium' | 'high';

export interface RTCDataChannelParameters {
  label?: string;
  ordered?: boolean;
  maxPacketLifeTime?: number | null;
  maxRetransmits?: number | null;
  protocol?: string;
  negotiated?: boolean;
  id?: number | null;
  priority?: RTCPriorityType;
}

export type DataChannelData = string | Blob | ArrayBuffer | ArrayBufferView;

export interface RTCDataChannelEventMap {
  open: Event;
  message: MessageEvent;
  bufferedamountlow: Event;
  error: RTCErrorEvent;
  closing: Event;
  close: Event;
}

/** What a channel needs from its transport (RTCSctpTransport implements it). */
export interface DataChannelHost {
  readonly maxMessageSize: number;
  register(channel: RTCDataChannel): void;
  /** Queue a message; false when the send buffer is full. */
  sendMessage(channel: RTCDataChannel, ppid: number, data: Uint8Array): boolean;
  closeChannel(channel: RTCDataChannel): void;
  /** The W3C "queue a task" of the runtime the channel lives on. */
  queueTask(fn: () => void): void;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const ONE_ZERO = Uint8Array.of(0);

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export class RTCDataChannel extends RtcEventTarget<RTCDataChannelEventMap> {
  readonly label: string;
  readonly ordered: boolean;
  readonly maxPacketLifeTime: number | null;
  readonly maxRetransmits: number | null;
  readonly protocol: string;
  readonly negotiated: boolean;
  readonly priority: RTCPriorityType;
  readonly transport: DataChannelHost;
  private _id: number | null;
  private _readyState: RTCDataChannelState = 'connecting';
  private _binaryType: BinaryType = 'blob';
  private _bufferedAmountLowThreshold = 0;
  /** Bytes the transport has not yet handed to the network. */
  private engineBuffered = 0;
  /** Blobs being read, and what was queued behind them (send order is kept). */
  private blobQueue: { data: Blob | Uint8Array; ppid: number }[] = [];
  private blobBytes = 0;
  /** The underlying transport closed (the `close` event may still be queued). */
  private transportGone = false;
  /** DCEP ACK seen (or negotiated): unordered delivery may be used (RFC 8832 §6). */
  acknowledged: boolean;

  constructor(transport: DataChannelHost, parameters: RTCDataChannelParameters = {}, register = true) {
    super();
    const p = parameters;
    if (p.maxPacketLifeTime != null && p.maxRetransmits != null) {
      throw new TypeError('maxPacketLifeTime and maxRetransmits cannot both be set');
    }
    if (p.negotiated && (p.id == null || p.id < 0 || p.id > 65_534)) {
      throw new TypeError('a negotiated channel needs an id between 0 and 65534');
    }
    const label = p.label ?? '';
    const protocol = p.protocol ?? '';
    if (utf8.encode(label).byteLength > 65_535) throw new TypeError('label longer than 65535 bytes');
    if (utf8.encode(protocol).byteLength > 65_535) throw new TypeError('protocol longer than 65535 bytes');
    this.label = label;
    this.ordered = p.ordered ?? true;
    this.maxPacketLifeTime = p.maxPacketLifeTime ?? null;
    this.maxRetransmits = p.maxRetransmits ?? null;
    this.protocol = protocol;
    this.negotiated = p.negotiated ?? false;
    this.priority = p.priority ?? 'low';
    this._id = p.negotiated ? (p.id ?? null) : (p.id ?? null);
    this.transport = transport;
    this.acknowledged = this.negotiated;
    if (register) transport.register(this);
  }

  /** Counters for the W3C data-channel stats (getStats). */
  messagesSent = 0;
  bytesSent = 0;
  messagesReceived = 0;
  bytesReceived = 0;

  get id(): number | null {
    return this._id;
  }
  get readyState(): RTCDataChannelState {
    return this._readyState;
  }
  get bufferedAmount(): number {
    return this.engineBuffered + this.blobBytes;
  }
  get bufferedAmountLowThreshold(): number {
    return this._bufferedAmountLowThreshold;
  }
  set bufferedAmountLowThreshold(v: number) {
    if (!Number.isFinite(v) || v < 0 || v > 0xffffffff) throw new RangeError('threshold must be 0..2^32-1');
    this._bufferedAmountLowThreshold = Math.floor(v);
  }
  get binaryType(): BinaryType {
    return this._binaryType;
  }
  /** WebIDL enum attribute: an unknown value is ignored (only a Symbol throws, in the string conversion). */
  set binaryType(v: BinaryType) {
    if (typeof v === 'symbol') throw new TypeError('binaryType cannot be set to a Symbol');
    const s = `${v}`;
    if (s === 'arraybuffer' || s === 'blob') this._binaryType = s;
  }

  get onopen(): EventHandler<Event> {
    return this.getHandler('open');
  }
  set onopen(h: EventHandler<Event>) {
    this.setHandler('open', h);
  }
  get onmessage(): EventHandler<MessageEvent> {
    return this.getHandler('message');
  }
  set onmessage(h: EventHandler<MessageEvent>) {
    this.setHandler('message', h);
  }
  get onbufferedamountlow(): EventHandler<Event> {
    return this.getHandler('bufferedamountlow');
  }
  set onbufferedamountlow(h: EventHandler<Event>) {
    this.setHandler('bufferedamountlow', h);
  }
  get onerror(): EventHandler<RTCErrorEvent> {
    return this.getHandler('error');
  }
  set onerror(h: EventHandler<RTCErrorEvent>) {
    this.setHandler('error', h);
  }
  get onclosing(): EventHandler<Event> {
    return this.getHandler('closing');
  }
  set onclosing(h: EventHandler<Event>) {
    this.setHandler('closing', h);
  }
  get onclose(): EventHandler<Event> {
    return this.getHandler('close');
  }
  set onclose(h: EventHandler<Event>) {
    this.setHandler('close', h);
  }

  /**
   * Send a string, Blob, ArrayBuffer or view. Throws InvalidStateError unless open, TypeError when the
   * message is larger than the peer accepts, OperationError when the send buffer is full.
   */
  send(data: DataChannelData): void {
    // WebIDL overload resolution: a Blob, an ArrayBuffer or a view is sent as bytes; any other value is
    // converted to a USVString (send(12345) sends "12345"), before the state is checked.
    let bytes: Uint8Array = ONE_ZERO;
    let ppid: number = PPID.BINARY;
    let blob: Blob | undefined;
    if (data instanceof Blob) blob = data;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      bytes = bytesOf(data);
      ppid = bytes.byteLength === 0 ? PPID.BINARY_EMPTY : PPID.BINARY;
    } else {
      if (typeof data === 'symbol') throw new TypeError('send() cannot send a Symbol');
      // TextEncoder writes U+FFFD for a lone surrogate: the USVString conversion.
      bytes = utf8.encode(`${data as string}`);
      ppid = bytes.byteLength === 0 ? PPID.STRING_EMPTY : PPID.STRING;
    }
    if (this._readyState !== 'open') throw invalidState(`RTCDataChannel is ${this._readyState}`);
    if (blob) {
      this.checkSize(blob.size);
      this.queueBlob(blob);
      return;
    }
    this.checkSize(bytes.byteLength);
    if (this.blobQueue.length > 0) {
      this.blobQueue.push({ data: bytes, ppid });
      this.blobBytes += bytes.byteLength;
      return;
    }
    this.transmit(ppid, bytes);
  }

  private checkSize(size: number): void {
    const max = this.transport.maxMessageSize;
    if (max > 0 && size > max) throw new TypeError(`message of ${size} bytes exceeds maxMessageSize ${max}`);
  }

  private transmit(ppid: number, bytes: Uint8Array): void {
    if (this.transportGone) return; // closed underneath; the close event is queued
    // RFC 8831 §6.6: empty messages go out as one zero byte with the "empty" PPID.
    const wire = bytes.byteLength === 0 ? ONE_ZERO : bytes;
    if (!this.transport.sendMessage(this, ppid, wire)) throw operationError('send buffer is full');
    this.engineBuffered += bytes.byteLength;
    this.messagesSent++;
    this.bytesSent += bytes.byteLength;
  }

  private queueBlob(blob: Blob): void {
    const first = this.blobQueue.length === 0;
    this.blobQueue.push({ data: blob, ppid: blob.size === 0 ? PPID.BINARY_EMPTY : PPID.BINARY });
    this.blobBytes += blob.size;
    if (first) void this.drainBlobs();
  }

  private async drainBlobs(): Promise<void> {
    while (this.blobQueue.length > 0) {
      const item = this.blobQueue[0]!;
      const bytes = item.data instanceof Blob ? new Uint8Array(await item.data.arrayBuffer()) : item.data;
      this.blobQueue.shift();
      this.blobBytes -= bytes.byteLength;
      if (this._readyState !== 'open') continue;
      try {
        this.transmit(item.ppid, bytes);
      } catch (e) {
        this.fail(new RTCError({ errorDetail: 'data-channel-failure' }, String(e)));
      }
    }
  }

  /** Start the closing procedure. No `closing` event here: that announces a close the peer started (W3C). */
  close(): void {
    if (this._readyState === 'closing' || this._readyState === 'closed') return;
    this._readyState = 'closing';
    this.transport.closeChannel(this);
  }

  // ---- called by the transport. Every event is a task of its own (W3C "queue a task"), so code that
  // awaits between two events sees each; the state changes in the same task the event fires in. ----

  /** @internal */
  assignId(id: number): void {
    this._id = id;
  }

  /** @internal The underlying transport can carry data: `open` in a task (W3C "announce open"). */
  transportOpened(): void {
    this.transport.queueTask(() => {
      if (this._readyState !== 'connecting' && this._readyState !== 'open') return;
      this._readyState = 'open';
      this.dispatchEvent(new Event('open'));
    });
  }

  /**
   * @internal A channel the peer opened: `open` already while its `datachannel` event fires (so the handler
   * may send at once); the `open` event follows in a task of its own.
   */
  openedByPeer(): void {
    this._readyState = 'open';
  }

  /** @internal The peer started the closing procedure: `closing` in a task. */
  transportClosing(): void {
    this.transport.queueTask(() => {
      if (this._readyState !== 'open' && this._readyState !== 'connecting') return;
      this._readyState = 'closing';
      this.dispatchEvent(new Event('closing'));
    });
  }

  /**
   * @internal The underlying transport is closed: `error` (when it closed with one) and `close` in one task.
   * Nothing is sent from here on, even before that task runs.
   */
  transportClosed(error?: RTCError): void {
    this.transportGone = true;
    this.blobQueue = [];
    this.blobBytes = 0;
    this.transport.queueTask(() => {
      if (this._readyState === 'closed') return;
      this._readyState = 'closed';
      if (error) this.dispatchEvent(new RTCErrorEvent('error', { error }));
      this.dispatchEvent(new Event('close'));
    });
  }

  /** @internal RTCPeerConnection.close(): `closed` at once and without events (W3C). */
  closeSilently(): void {
    this.transportGone = true;
    this.blobQueue = [];
    this.blobBytes = 0;
    this._readyState = 'closed';
  }

  /** @internal An error that does not close the channel by itself (e.g. a message too large). */
  fail(error: RTCError): void {
    this.transport.queueTask(() => {
      if (this._readyState === 'closed') return;
      this.dispatchEvent(new RTCErrorEvent('error', { error }));
    });
  }

  /** @internal An incoming user message: a `message` event in a task, if the channel is still open then. */
  deliver(ppid: number, data: Uint8Array): void {
    this.messagesReceived++;
    if (ppid !== PPID.STRING_EMPTY && ppid !== PPID.BINARY_EMPTY) this.bytesReceived += data.byteLength;
    this.transport.queueTask(() => {
      if (this._readyState !== 'open') return;
      this.dispatchEvent(new MessageEvent('message', { data: this.payloadOf(ppid, data) }));
    });
  }

  /** The message as `binaryType` says at the time it is delivered. */
  private payloadOf(ppid: number, data: Uint8Array): string | ArrayBuffer | Blob {
    if (ppid === PPID.STRING || ppid === PPID.STRING_PARTIAL) return utf8Decoder.decode(data);
    if (ppid === PPID.STRING_EMPTY) return '';
    const empty = ppid === PPID.BINARY_EMPTY;
    if (this._binaryType === 'blob') return new Blob(empty ? [] : [data]);
    if (empty) return new ArrayBuffer(0);
    if (
      data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength &&
      data.buffer instanceof ArrayBuffer
    ) {
      return data.buffer;
    }
    return copyBytes(data).buffer;
  }

  /** @internal The transport's count of this channel's unsent bytes went down. */
  updateBufferedAmount(amount: number): void {
    const before = this.bufferedAmount;
    this.engineBuffered = amount;
    const threshold = this._bufferedAmountLowThreshold;
    if (before > threshold && this.bufferedAmount <= threshold) {
      this.transport.queueTask(() => {
        if (this._readyState !== 'closed') this.dispatchEvent(new Event('bufferedamountlow'));
      });
    }
  }
}
