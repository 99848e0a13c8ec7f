/**
 * WebSocketSignaling: the JSON messages of wire.ts, one per WebSocket text message, on the `ws` package (the
 * ecosystem's standard, an optional dependency loaded only when this channel is used). `role: 'server'` listens
 * on host:port and takes the first peer that upgrades; `role: 'client'` dials ws://host:port/path;
 * `role: 'auto'` (default) follows aiortc's socket rule: the side that sends first serves.
 *
 * `ws` does the protocol: masking, control frames, fragmentation, UTF-8 validation, the size bound (1009) and
 * the close handshake. This file adds what signaling needs: one peer per server (others get 409, plain HTTP
 * 426), text only (binary closes with 1003), no compression, and errors as SignalingError.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { SignalingInbox } from './inbox.js';
import type { Signaling } from './signaling.js';
import type { SignalingRole } from './socket.js';
import {
  BYE,
  MAX_SIGNALING_MESSAGE_BYTES,
  objectToString,
  SignalingError,
  type SignalingObject,
} from './wire.js';

export interface WebSocketSignalingOptions {
  role?: SignalingRole;
  /** Request path the client asks for (default `/`); the server accepts any path. */
  path?: string;
  connectTimeoutMs?: number;
  maxMessageBytes?: number;
}

type WsModule = typeof import('ws');

let loading: Promise<WsModule> | undefined;

/** The optional `ws` package, loaded once; a SignalingError naming it when it is not installed. */
function loadWs(): Promise<WsModule> {
  loading ??= import('ws');
  return loading.catch((error: unknown) => {
    loading = undefined;
    throw new SignalingError(
      `WebSocket signaling needs the optional package 'ws': install it with 'npm install ws' (${String(error)})`,
      'connection',
    );
  });
}

/** RFC 6455 §7.4.1: 1003 refuses a data type, 1000/1001 are the normal ways to end. */
const UNSUPPORTED_DATA = 1003;
const NORMAL_CLOSES = new Set([1000, 1001, 1005, 1006]);

export class WebSocketSignaling implements Signaling {
  private socket: WebSocket | undefined;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private connecting: Promise<void> | undefined;
  private listening: Promise<void> | undefined;
  private readonly inbox: SignalingInbox;
  private readonly maxBytes: number;
  private closed = false;
  /** Rejects the listen() still waiting for its peer: close() came first. */
  private abandonListen: (() => void) | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: WebSocketSignalingOptions = {},
  ) {
    this.maxBytes = options.maxMessageBytes ?? MAX_SIGNALING_MESSAGE_BYTES;
    this.inbox = new SignalingInbox(this.maxBytes);
  }

  /** The port the server side listens on (useful with port 0). */
  get listeningPort(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** With role `server`, resolves once listening (not once the peer is here), so a client may be started. */
  async connect(): Promise<void> {
    const role = this.options.role ?? 'auto';
    if (role === 'server') {
      if (!this.connecting) {
        this.connecting = this.listen();
        // A listen failure surfaces through `listening` below; do not also leave this one unhandled.
        this.connecting.catch(() => undefined);
      }
      await this.listening;
    } else if (role === 'client') await this.ensureConnected(false);
  }

  async send(obj: SignalingObject): Promise<void> {
    await this.ensureConnected(true);
    await this.write(objectToString(obj));
  }

  async receive(): Promise<SignalingObject> {
    await this.ensureConnected(false);
    return this.inbox.receive();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    if (socket?.readyState === 1 && !this.inbox.isEnded) {
      try {
        await this.write(objectToString(BYE));
      } catch {
        // The peer is gone already.
      }
    }
    // The close handshake; ws destroys the socket if the peer does not answer within its close timeout.
    socket?.close(1000);
    this.closeServer();
    // A connect()/send() still waiting for the peer to upgrade rejects instead of waiting forever.
    this.abandonListen?.();
    this.abandonListen = undefined;
    this.inbox.end();
  }

  private write(text: string): Promise<void> {
    const socket = this.socket;
    if (socket?.readyState !== 1) {
      return Promise.reject(new SignalingError('signaling WebSocket is closed', 'connection'));
    }
    return new Promise((resolve, reject) => {
      socket.send(text, (error) => (error ? reject(error) : resolve()));
    });
  }

  private ensureConnected(asServer: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new SignalingError('signaling is closed', 'connection'));
    this.connecting ??= asServer ? this.listen() : this.dial();
    return this.connecting;
  }

  private attach(socket: WebSocket): void {
    this.socket = socket;
    let failed = false;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        failed = true;
        this.inbox.pushError(
          new SignalingError('signaling WebSocket closed: binary messages are not signaling', 'connection'),
        );
        socket.close(UNSUPPORTED_DATA, 'binary messages are not signaling');
        return;
      }
      this.inbox.pushText(rawText(data));
    });
    // A protocol violation (bad frame, invalid UTF-8, a message over the bound): ws has sent the close frame.
    socket.on('error', (error: Error & { code?: string }) => {
      if (failed) return;
      failed = true;
      this.inbox.pushError(new SignalingError(`signaling WebSocket closed: ${error.message}`, 'connection'));
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (!failed && !NORMAL_CLOSES.has(code)) {
        this.inbox.pushError(
          new SignalingError(`signaling WebSocket closed: ${code} ${reason.toString('utf8')}`, 'connection'),
        );
      }
      this.inbox.end();
    });
  }

  /** Listen (`this.listening` settles once the port is bound), then resolve when the peer is in. */
  private listen(): Promise<void> {
    let accepted: () => void = () => undefined;
    let abandoned: () => void = () => undefined;
    const connected = new Promise<void>((resolve, reject) => {
      accepted = resolve;
      abandoned = () => reject(new SignalingError('signaling is closed', 'connection'));
    });
    this.listening = (async () => {
      const { WebSocketServer } = await loadWs();
      // close() while ws was loading: this side is gone before it listened, so it never listens.
      if (this.closed) throw new SignalingError('signaling is closed', 'connection');
      const wss = new WebSocketServer({
        noServer: true,
        maxPayload: this.maxBytes,
        perMessageDeflate: false,
      });
      const server = createServer((_req, res) => {
        res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end('WebSocket only\n');
      });
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        // One peer per channel: a second one is turned away (ws answers a malformed upgrade with 400 itself).
        if (this.socket || this.closed) {
          socket.end('HTTP/1.1 409 Conflict\r\nConnection: close\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          this.abandonListen = undefined;
          this.attach(ws);
          this.closeServer();
          accepted();
        });
      });
      this.server = server;
      this.wss = wss;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, this.host, () => resolve());
      });
      // close() while the port was being bound found nothing listening yet: close the listener now.
      if (this.closed) {
        server.close();
        wss.close();
        throw new SignalingError('signaling is closed', 'connection');
      }
      // Listening: from here a close() before the peer is in must settle `connected` (set only now, so a
      // listen that failed never leaves `connected` rejected with nobody awaiting it).
      this.abandonListen = abandoned;
    })();
    return this.listening.then(() => connected);
  }

  private async dial(): Promise<void> {
    const { WebSocket } = await loadWs();
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? 30_000);
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    const url = `ws://${host}:${this.port}${this.options.path ?? '/'}`;
    for (;;) {
      // close() while still dialing ends the dialing: a connection made after it would outlive the channel.
      if (this.closed) throw new SignalingError('signaling is closed', 'connection');
      try {
        await this.dialOnce(WebSocket, url);
        return;
      } catch (e) {
        if (e instanceof SignalingError) throw e;
        const retriable = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED';
        if (!retriable || this.closed || Date.now() >= deadline)
          throw new SignalingError(
            `signaling WebSocket connect failed: ${(e as Error).message}`,
            'connection',
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private dialOnce(WebSocketClass: WsModule['WebSocket'], url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocketClass(url, { maxPayload: this.maxBytes, perMessageDeflate: false });
      socket.once('error', reject);
      socket.once('open', () => {
        socket.off('error', reject);
        if (this.closed) {
          socket.on('error', () => undefined); // a socket being discarded: its closing handshake may fail
          socket.close(1000);
          reject(new SignalingError('signaling is closed', 'connection'));
          return;
        }
        // Attach in the open event itself: a message sent right after the upgrade arrives with the 101 and is
        // emitted before any promise continuation would run.
        this.attach(socket);
        resolve();
      });
    });
  }

  private closeServer(): void {
    this.server?.close();
    this.server = undefined;
    this.wss?.close();
    this.wss = undefined;
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
