/**
 * RTCDataChannel (W3C webrtc-pc §6.2) on top of RTCSctpTransport, also constructible directly for ORTC
 * use as in aiortc: `new RTCDataChannel(sctpTransport, { label, ordered, ... })`.
 */
import { copyBytes } from '../common/bytes.js';
import { invalidState, operationError, syntaxError } from '../common/errors.js';
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
  private _binaryType: BinaryType = 'arraybuffer';
  private _bufferedAmountLowThreshold = 0;
  /** Bytes the transport has not yet handed to the network. */
  private engineBuffered = 0;
  /** Blobs being read, and what was queued behind them (send order is kept). */
  private blobQueue: { data: Blob | Uint8Array; ppid: number }[] = [];
  private blobBytes = 0;
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
  set binaryType(v: BinaryType) {
    if (v !== 'arraybuffer' && v !== 'blob')
      throw syntaxError(`binaryType must be "arraybuffer" or "blob", not ${v}`);
    this._binaryType = v;
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
    if (this._readyState !== 'open') throw invalidState(`RTCDataChannel is ${this._readyState}`);
    let bytes: Uint8Array;
    let ppid: number;
    if (typeof data === 'string') {
      bytes = utf8.encode(data);
      ppid = bytes.byteLength === 0 ? PPID.STRING_EMPTY : PPID.STRING;
    } else if (data instanceof Blob) {
      this.checkSize(data.size);
      this.queueBlob(data);
      return;
    } else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      bytes = bytesOf(data);
      ppid = bytes.byteLength === 0 ? PPID.BINARY_EMPTY : PPID.BINARY;
    } else {
      throw new TypeError('send() takes a string, Blob, ArrayBuffer or ArrayBufferView');
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

  close(): void {
    if (this._readyState === 'closing' || this._readyState === 'closed') return;
    this.setState('closing');
    this.transport.closeChannel(this);
  }

  // ---- called by the transport ----

  /** @internal */
  assignId(id: number): void {
    this._id = id;
  }

  /** @internal `silent` changes the state without firing (the caller fires later). */
  setState(state: RTCDataChannelState, silent = false): void {
    if (this._readyState === state || this._readyState === 'closed') return;
    this._readyState = state;
    if (silent) return;
    if (state === 'open') this.dispatchEvent(new Event('open'));
    else if (state === 'closing') this.dispatchEvent(new Event('closing'));
    else if (state === 'closed') {
      this.blobQueue = [];
      this.blobBytes = 0;
      this.dispatchEvent(new Event('close'));
    }
  }

  /** @internal Fire `open` for a channel already marked open, if it still is. */
  announceOpen(): void {
    if (this._readyState === 'open') this.dispatchEvent(new Event('open'));
  }

  /** @internal */
  fail(error: RTCError): void {
    if (this._readyState === 'closed') return;
    this.dispatchEvent(new RTCErrorEvent('error', { error }));
  }

  /** @internal An incoming user message. */
  deliver(ppid: number, data: Uint8Array): void {
    if (this._readyState !== 'open' && this._readyState !== 'closing') return;
    this.messagesReceived++;
    if (ppid !== PPID.STRING_EMPTY && ppid !== PPID.BINARY_EMPTY) this.bytesReceived += data.byteLength;
    let payload: string | ArrayBuffer | Blob;
    if (ppid === PPID.STRING || ppid === PPID.STRING_PARTIAL) payload = utf8Decoder.decode(data);
    else if (ppid === PPID.STRING_EMPTY) payload = '';
    else {
      const empty = ppid === PPID.BINARY_EMPTY;
      if (this._binaryType === 'blob') payload = new Blob(empty ? [] : [data]);
      else if (empty) payload = new ArrayBuffer(0);
      else if (
        data.byteOffset === 0 &&
        data.byteLength === data.buffer.byteLength &&
        data.buffer instanceof ArrayBuffer
      ) {
        payload = data.buffer;
      } else payload = copyBytes(data).buffer;
    }
    this.dispatchEvent(new MessageEvent('message', { data: payload }));
  }

  /** @internal The transport's count of this channel's unsent bytes went down. */
  updateBufferedAmount(amount: number): void {
    const before = this.bufferedAmount;
    this.engineBuffered = amount;
    const threshold = this._bufferedAmountLowThreshold;
    if (before > threshold && this.bufferedAmount <= threshold)
      this.dispatchEvent(new Event('bufferedamountlow'));
  }
}
