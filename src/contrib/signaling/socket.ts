/**
 * TcpSocketSignaling and UnixSocketSignaling, with aiortc's role rule: nothing happens on `connect()`; the side
 * whose first act is `send()` listens and waits for the peer, the side whose first act is `receive()` dials.
 * Messages are newline-delimited JSON. Unlike aiortc, dialing retries until `connectTimeoutMs` (the two
 * processes start in any order), and end of stream reads as BYE instead of None.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { LineSplitter, oversizeError, SignalingInbox } from './inbox.js';
import type { Signaling } from './signaling.js';
import {
  BYE,
  MAX_SIGNALING_MESSAGE_BYTES,
  objectToString,
  SignalingError,
  type SignalingObject,
} from './wire.js';

export type SignalingRole = 'auto' | 'server' | 'client';

export interface SocketSignalingOptions {
  /** `auto` (aiortc's rule), or force listening / dialing. */
  role?: SignalingRole;
  /** How long the dialing side keeps retrying a refused connection (default 30 s). */
  connectTimeoutMs?: number;
  maxMessageBytes?: number;
}

type Endpoint = { host: string; port: number } | { path: string };

const RETRY_MS = 100;

abstract class StreamSocketSignaling implements Signaling {
  private socket: Socket | undefined;
  private server: Server | undefined;
  private connecting: Promise<void> | undefined;
  private readonly inbox: SignalingInbox;
  private readonly maxBytes: number;
  private closed = false;
  /** Rejects the listen() still waiting for its peer: close() came first. */
  private abandonListen: (() => void) | undefined;

  protected constructor(
    private readonly endpoint: Endpoint,
    private readonly options: SocketSignalingOptions,
  ) {
    this.maxBytes = options.maxMessageBytes ?? MAX_SIGNALING_MESSAGE_BYTES;
    this.inbox = new SignalingInbox(this.maxBytes);
  }

  /** The port actually listened on (useful with port 0), once this side became the server. */
  get listeningPort(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  async connect(): Promise<void> {
    const role = this.options.role ?? 'auto';
    if (role !== 'auto') await this.ensureConnected(role === 'server');
  }

  async send(obj: SignalingObject): Promise<void> {
    await this.ensureConnected(true);
    await this.write(obj);
  }

  async receive(): Promise<SignalingObject> {
    await this.ensureConnected(false);
    return this.inbox.receive();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    if (socket && !socket.destroyed && !this.inbox.isEnded) {
      // Straight to the socket: send() refuses once closed is set (that once swallowed every BYE).
      try {
        await this.write(BYE);
      } catch {
        // The peer is gone already; nothing to say goodbye to.
      }
    }
    if (socket && !socket.destroyed) {
      // Let the BYE flush, but never hang on a peer that stopped reading.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => socket.end(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 1000);
        }),
      ]);
      clearTimeout(timer);
    }
    socket?.destroy();
    this.closeServer();
    // A connect()/send() still waiting for the peer to dial in rejects instead of waiting forever.
    this.abandonListen?.();
    this.abandonListen = undefined;
    this.inbox.end();
  }

  private async write(obj: SignalingObject): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) throw new SignalingError('signaling socket is closed', 'connection');
    const line = `${objectToString(obj)}\n`;
    await new Promise<void>((resolve, reject) =>
      socket.write(line, (err) => (err ? reject(err) : resolve())),
    );
  }

  protected abstract prepareListen(): void;
  protected abstract cleanupListen(): void;

  private ensureConnected(asServer: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new SignalingError('signaling is closed', 'connection'));
    this.connecting ??= (asServer ? this.listen() : this.dial()).then((socket) => this.attach(socket));
    return this.connecting;
  }

  private listen(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      this.prepareListen();
      const server = createServer({ pauseOnConnect: false }, (socket) => {
        // One peer per channel: stop listening as soon as it is here.
        this.closeServer();
        this.abandonListen = undefined;
        if (this.closed)
          socket.destroy(); // a peer that came in as close() ran: nobody will read it
        else resolve(socket);
      });
      this.abandonListen = () => reject(new SignalingError('signaling is closed', 'connection'));
      this.server = server;
      server.once('error', reject);
      if ('path' in this.endpoint) server.listen(this.endpoint.path);
      else server.listen(this.endpoint.port, this.endpoint.host);
    });
  }

  private async dial(): Promise<Socket> {
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? 30_000);
    for (;;) {
      // close() while still dialing ends the dialing: a connection made after it would outlive the channel.
      if (this.closed) throw new SignalingError('signaling is closed', 'connection');
      let socket: Socket;
      try {
        socket = await this.dialOnce();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const retriable = code === 'ECONNREFUSED' || code === 'ENOENT';
        if (!retriable || this.closed || Date.now() >= deadline)
          throw new SignalingError(`signaling connect failed: ${(e as Error).message}`, 'connection');
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      if (this.closed) {
        socket.destroy();
        throw new SignalingError('signaling is closed', 'connection');
      }
      return socket;
    }
  }

  private dialOnce(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket =
        'path' in this.endpoint
          ? netConnect(this.endpoint.path)
          : netConnect(this.endpoint.port, this.endpoint.host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
    });
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    const splitter = new LineSplitter(
      (line) => this.inbox.pushText(line),
      () => this.inbox.pushError(oversizeError(this.maxBytes)),
      this.maxBytes,
    );
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', () => this.inbox.end());
    socket.on('close', () => {
      splitter.flush();
      this.inbox.end();
    });
  }

  private closeServer(): void {
    if (!this.server) return;
    this.server.close();
    this.server = undefined;
    this.cleanupListen();
  }
}

export class TcpSocketSignaling extends StreamSocketSignaling {
  constructor(
    readonly host: string,
    readonly port: number,
    options: SocketSignalingOptions = {},
  ) {
    super({ host, port }, options);
  }
  protected prepareListen(): void {}
  protected cleanupListen(): void {}
}

export class UnixSocketSignaling extends StreamSocketSignaling {
  constructor(
    readonly path: string,
    options: SocketSignalingOptions = {},
  ) {
    super({ path }, options);
  }

  /** Like asyncio's start_unix_server: a stale socket file from an earlier run is removed first. */
  protected prepareListen(): void {
    if (existsSync(this.path) && lstatSync(this.path).isSocket()) unlinkSync(this.path);
  }

  protected cleanupListen(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}
