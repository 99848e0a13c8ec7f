/**
 * WebSocketSignaling: the JSON messages of wire.ts, one per WebSocket text message, over the minimal RFC 6455
 * endpoint in websocket-connection.ts (Node 20 has no WebSocket without a flag, and no ws package is installed).
 * `role: 'server'` listens on host:port and takes the first peer that upgrades; `role: 'client'` dials
 * ws://host:port/path; `role: 'auto'` (default) follows aiortc's socket rule: the side that sends first serves.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { SignalingInbox } from './inbox.js';
import type { Signaling } from './signaling.js';
import type { SignalingRole } from './socket.js';
import { acceptKey, WebSocketConnection } from './websocket-connection.js';
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

export class WebSocketSignaling implements Signaling {
  private connection: WebSocketConnection | undefined;
  private server: Server | undefined;
  private connecting: Promise<void> | undefined;
  private readonly inbox: SignalingInbox;
  private readonly maxBytes: number;
  private closed = false;

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
    const connection = this.connection;
    if (!connection?.isOpen) throw new SignalingError('signaling WebSocket is closed', 'connection');
    await connection.sendText(objectToString(obj));
  }

  async receive(): Promise<SignalingObject> {
    await this.ensureConnected(false);
    return this.inbox.receive();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const connection = this.connection;
    if (connection?.isOpen && !this.inbox.isEnded) {
      try {
        await connection.sendText(objectToString(BYE));
      } catch {
        // The peer is gone already.
      }
    }
    connection?.close();
    this.closeServer();
    this.inbox.end();
  }

  private listening: Promise<void> | undefined;

  private ensureConnected(asServer: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new SignalingError('signaling is closed', 'connection'));
    this.connecting ??= asServer ? this.listen() : this.dial();
    return this.connecting;
  }

  private attach(socket: Duplex, head: Buffer, role: 'server' | 'client'): void {
    if (head.byteLength > 0) socket.unshift(head);
    this.connection = new WebSocketConnection(socket, {
      role,
      maxMessageBytes: this.maxBytes,
      onMessage: (text) => this.inbox.pushText(text),
      onClose: (code, reason) => {
        if (code !== 1000 && code !== 1001)
          this.inbox.pushError(
            new SignalingError(`signaling WebSocket closed: ${code} ${reason}`, 'connection'),
          );
        this.inbox.end();
      },
    });
  }

  private listen(): Promise<void> {
    let accepted: () => void = () => undefined;
    const connected = new Promise<void>((resolve) => {
      accepted = resolve;
    });
    const server = createServer((_req, res) => {
      res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end('WebSocket only\n');
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const key = validUpgrade(req);
      if (this.connection || key === undefined) {
        socket.end(
          `HTTP/1.1 ${key === undefined ? '400 Bad Request' : '409 Conflict'}\r\nConnection: close\r\n\r\n`,
        );
        return;
      }
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
      );
      this.attach(socket, head, 'server');
      this.closeServer();
      accepted();
    });
    this.server = server;
    this.listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    return this.listening.then(() => connected);
  }

  private async dial(): Promise<void> {
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? 30_000);
    for (;;) {
      try {
        const { socket, head } = await this.dialOnce();
        this.attach(socket, head, 'client');
        return;
      } catch (e) {
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

  private dialOnce(): Promise<{ socket: Duplex; head: Buffer }> {
    const key = randomBytes(16).toString('base64');
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.host,
        port: this.port,
        path: this.options.path ?? '/',
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': key,
          'Sec-WebSocket-Version': '13',
        },
      });
      req.once('error', reject);
      req.once('response', (res) => {
        res.resume();
        reject(new Error(`server answered HTTP ${res.statusCode} instead of upgrading`));
      });
      req.once('upgrade', (res, socket, head) => {
        if (res.headers['sec-websocket-accept'] !== acceptKey(key)) {
          socket.destroy();
          reject(new Error('server sent a wrong Sec-WebSocket-Accept'));
          return;
        }
        resolve({ socket, head });
      });
      req.end();
    });
  }

  private closeServer(): void {
    this.server?.close();
    this.server = undefined;
  }
}

/** The Sec-WebSocket-Key of a valid RFC 6455 §4.2.1 upgrade request, or undefined. */
function validUpgrade(req: IncomingMessage): string | undefined {
  const key = req.headers['sec-websocket-key'];
  const upgrade = req.headers.upgrade?.toLowerCase();
  const connection = req.headers.connection?.toLowerCase() ?? '';
  if (req.method !== 'GET' || upgrade !== 'websocket' || !connection.includes('upgrade')) return undefined;
  if (req.headers['sec-websocket-version'] !== '13') return undefined;
  if (typeof key !== 'string' || Buffer.from(key, 'base64').byteLength !== 16) return undefined;
  return key;
}
