/**
 * A minimal RFC 6455 endpoint over an already-upgraded socket: text messages (fragmented or not) with a size
 * bound, automatic pong, and the close handshake. Binary messages are refused with 1003 (signaling is text),
 * invalid UTF-8 with 1007. Any protocol violation closes the connection; nothing throws to the caller.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  CLOSE_CODE,
  closePayload,
  encodeFrame,
  OPCODE,
  type WebSocketFrame,
  WebSocketFrameParser,
} from './websocket-frame.js';

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + HANDSHAKE_GUID)
    .digest('base64');
}

export interface WebSocketConnectionOptions {
  role: 'server' | 'client';
  /** Largest message (after reassembly) and frame accepted; bigger closes with 1009. */
  maxMessageBytes: number;
  onMessage: (text: string) => void;
  onClose: (code: number, reason: string) => void;
}

export class WebSocketConnection {
  private readonly parser: WebSocketFrameParser;
  private fragments: Uint8Array[] = [];
  private fragmentBytes = 0;
  private inMessage = false;
  private closeSent = false;
  private closed = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly socket: Duplex,
    private readonly options: WebSocketConnectionOptions,
  ) {
    this.parser = new WebSocketFrameParser(
      { expectMasked: options.role === 'server', maxFrameBytes: options.maxMessageBytes },
      (frame) => this.onFrame(frame),
      (code, reason) => this.fail(code, reason),
    );
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk));
    socket.on('error', () => this.finish(CLOSE_CODE.goingAway, 'socket error'));
    socket.on('close', () => this.finish(CLOSE_CODE.goingAway, 'socket closed'));
  }

  get isOpen(): boolean {
    return !this.closeSent && !this.closed;
  }

  sendText(text: string): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error('WebSocket is closed'));
    return this.write(OPCODE.text, new TextEncoder().encode(text));
  }

  ping(data: Uint8Array = new Uint8Array(0)): Promise<void> {
    return this.write(OPCODE.ping, data.subarray(0, 125));
  }

  /** Start the close handshake; the socket ends when the peer answers (or after 2 s without an answer). */
  close(code: number = CLOSE_CODE.normal, reason = ''): void {
    if (this.closeSent || this.closed) return;
    this.closeSent = true;
    void this.write(OPCODE.close, closePayload(code, reason)).catch(() => undefined);
    const timer = setTimeout(() => this.socket.destroy(), 2000);
    timer.unref();
  }

  private write(opcode: number, payload: Uint8Array): Promise<void> {
    const mask = this.options.role === 'client' ? randomBytes(4) : undefined;
    const frame = encodeFrame(opcode, payload, mask);
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error('WebSocket is closed'));
      this.socket.write(frame, (err) => (err ? reject(err) : resolve()));
    });
  }

  private onFrame(frame: WebSocketFrame): void {
    if (this.closed) return;
    switch (frame.opcode) {
      case OPCODE.ping:
        if (this.isOpen) void this.write(OPCODE.pong, frame.payload).catch(() => undefined);
        return;
      case OPCODE.pong:
        return;
      case OPCODE.close: {
        this.onCloseFrame(frame.payload);
        return;
      }
      case OPCODE.binary: {
        this.fail(CLOSE_CODE.unsupportedData, 'binary messages are not signaling');
        return;
      }
      case OPCODE.text:
        if (this.inMessage) {
          this.fail(CLOSE_CODE.protocolError, 'new message inside a fragmented one');
          return;
        }
        this.inMessage = true;
        break;
      default: // continuation
        if (!this.inMessage) {
          this.fail(CLOSE_CODE.protocolError, 'continuation without a message');
          return;
        }
    }
    this.fragmentBytes += frame.payload.byteLength;
    if (this.fragmentBytes > this.options.maxMessageBytes) {
      this.fail(CLOSE_CODE.tooBig, 'message too big');
      return;
    }
    this.fragments.push(frame.payload);
    if (!frame.fin) return;
    const whole = Buffer.concat(this.fragments);
    this.fragments = [];
    this.fragmentBytes = 0;
    this.inMessage = false;
    let text: string;
    try {
      text = this.decoder.decode(whole);
    } catch {
      this.fail(CLOSE_CODE.invalidPayload, 'text message is not UTF-8');
      return;
    }
    this.options.onMessage(text);
  }

  private onCloseFrame(payload: Uint8Array): void {
    let code: number = CLOSE_CODE.normal;
    let reason = '';
    if (payload.byteLength === 1) {
      this.fail(CLOSE_CODE.protocolError, 'close payload of 1 byte');
      return;
    }
    if (payload.byteLength >= 2) {
      code = ((payload[0] as number) << 8) | (payload[1] as number);
      try {
        reason = this.decoder.decode(payload.subarray(2));
      } catch {
        this.fail(CLOSE_CODE.invalidPayload, 'close reason is not UTF-8');
        return;
      }
    }
    if (!this.closeSent) {
      this.closeSent = true;
      void this.write(OPCODE.close, payload.subarray(0, 2)).catch(() => undefined);
    }
    this.socket.end();
    this.finish(code, reason);
  }

  private fail(code: number, reason: string): void {
    this.close(code, reason);
    this.finish(code, reason);
    // Nothing more from a peer that broke the protocol: stop reading and let the close frame flush.
    this.socket.end();
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onClose(code, reason);
  }
}
