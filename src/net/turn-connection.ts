/**
 * The Node side of one TURN allocation: owns the socket to the server (UDP, TCP or TLS), feeds a sans-I/O
 * TurnClient with bytes and wake-ups, and writes what it asks to send. Failures surface as a rejected
 * `allocate()` (before the allocation exists) or through `onError` (after): never as an unhandled rejection.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';
import { sameAddress, type TransportAddress } from '../common/engine.js';
import { createLogger } from '../common/logger.js';
import { TurnClient } from '../ice/turn/client.js';
import type { TurnClientOptions, TurnClientState } from '../ice/turn/types.js';

const log = createLogger('turn:net');

export interface TurnConnectionOptions extends TurnClientOptions {
  /** TLS server name (SNI and certificate check) when the server address is an IP literal. */
  servername?: string;
  /** Check the server's TLS certificate (default true); tests with a self-signed coturn set false. */
  rejectUnauthorized?: boolean;
  /** Local address to bind (UDP) or connect from (TCP/TLS). */
  localAddress?: string;
  /** TCP/TLS connection setup limit in ms (default 10 s). */
  connectTimeout?: number;
}

/** An allocation failure or a lost allocation; `code` is the STUN error code or 701 (unreachable). */
export class TurnError extends Error {
  override name = 'TurnError';
  constructor(
    readonly code: number,
    message: string,
    readonly url?: string,
  ) {
    super(message);
  }
}

export interface TurnAllocation {
  readonly relayed: TransportAddress;
  readonly mapped: TransportAddress | undefined;
}

type StreamSocket = net.Socket | tls.TLSSocket;

export class TurnConnection {
  /** Application data from a peer (Data indication or ChannelData). */
  onData: ((peer: TransportAddress, data: Uint8Array) => void) | undefined;
  /** The allocation failed after it was made (refresh refused, server gone). */
  onError: ((error: TurnError) => void) | undefined;
  readonly client: TurnClient;
  private readonly options: TurnConnectionOptions;
  private udp: dgram.Socket | undefined;
  private stream: StreamSocket | undefined;
  private streamPeer: TransportAddress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private pendingAllocate:
    | { resolve: (a: TurnAllocation) => void; reject: (e: TurnError) => void }
    | undefined;
  private closed: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  private torn = false;

  constructor(options: TurnConnectionOptions) {
    this.options = options;
    this.client = new TurnClient(options);
  }

  get state(): TurnClientState {
    return this.client.state;
  }
  get relayedAddress(): TransportAddress | undefined {
    return this.client.relayedAddress;
  }
  get mappedAddress(): TransportAddress | undefined {
    return this.client.mappedAddress;
  }

  /** This end of the connection to the server, once the socket is bound or connected. */
  get localAddress(): TransportAddress | undefined {
    try {
      if (this.udp) {
        const a = this.udp.address();
        return { address: a.address, port: a.port };
      }
    } catch {
      return undefined; // not bound yet, or closed
    }
    const s = this.stream;
    return s?.localAddress && s.localPort ? { address: s.localAddress, port: s.localPort } : undefined;
  }

  /** Open the socket and allocate. Rejects with a TurnError (401 bad credentials, 486 quota, 701 …). */
  allocate(): Promise<TurnAllocation> {
    if (this.client.state !== 'new') {
      return Promise.reject(new TurnError(400, `allocate() called in state ${this.client.state}`));
    }
    return new Promise<TurnAllocation>((resolve, reject) => {
      this.pendingAllocate = { resolve, reject };
      this.start().catch((err: unknown) => {
        this.client.transportFailed(performance.now(), `cannot reach TURN server: ${String(err)}`);
        this.flush();
      });
    });
  }

  sendTo(peer: TransportAddress, data: Uint8Array): void {
    this.client.sendTo(performance.now(), peer, data);
    this.flush();
  }

  createPermission(peer: TransportAddress): void {
    this.client.createPermission(performance.now(), peer);
    this.flush();
  }

  /** Deallocate and close the socket. Resolves once done (or given up); never rejects. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = new Promise<void>((resolve) => {
        this.resolveClosed = resolve;
      });
      // A failed client still moves to 'closed'; a live one sends Refresh(0) first.
      this.client.close(performance.now());
      this.flush();
      if (this.torn) this.resolveClosed?.();
    }
    return this.closed;
  }

  private async start(): Promise<void> {
    if (!net.isIP(this.options.server.address)) {
      throw new Error(
        `server address "${this.options.server.address}" is not an IP literal (resolve it first)`,
      );
    }
    if (this.options.transport === 'udp') this.openUdp();
    this.client.allocate(performance.now());
    this.flush();
  }

  private openUdp(): void {
    const family = net.isIPv6(this.client.server.address) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type: family });
    this.udp = socket;
    socket.on('message', (msg, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      if (!sameAddress(from, this.client.server)) return; // only the server speaks to us on this socket
      this.client.handleInput(performance.now(), msg);
      this.flush();
    });
    socket.on('error', (err) => this.lost(`TURN UDP socket error: ${err.message}`));
    socket.bind({ port: 0, address: this.options.localAddress });
  }

  private openStream(destination: TransportAddress): StreamSocket {
    this.stream?.destroy();
    const { localAddress, connectTimeout = 10_000 } = this.options;
    const base = { host: destination.address, port: destination.port, localAddress };
    const socket =
      this.options.transport === 'tls'
        ? tls.connect({
            ...base,
            rejectUnauthorized: this.options.rejectUnauthorized ?? true,
            servername:
              this.options.servername && !net.isIP(this.options.servername)
                ? this.options.servername
                : undefined,
          })
        : net.connect(base);
    socket.setNoDelay(true);
    socket.setTimeout(connectTimeout, () => {
      socket.destroy();
      this.lost(`TURN ${this.options.transport.toUpperCase()} connection to the server timed out`);
    });
    socket.once(this.options.transport === 'tls' ? 'secureConnect' : 'connect', () => socket.setTimeout(0));
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.stream) return;
      this.client.handleInput(performance.now(), chunk);
      this.flush();
    });
    socket.on('error', (err) => {
      if (socket === this.stream)
        this.lost(`TURN ${this.options.transport.toUpperCase()} error: ${err.message}`);
    });
    socket.on('close', () => {
      if (socket === this.stream) this.lost('TURN server closed the connection');
    });
    this.stream = socket;
    this.streamPeer = destination;
    return socket;
  }

  private lost(reason: string): void {
    if (this.torn) return;
    log.debug(reason);
    this.client.transportFailed(performance.now(), reason);
    this.flush();
  }

  /** Write what the client wants sent, act on its events, and re-arm the timer. */
  private flush(): void {
    for (let t = this.client.pollTransmit(); t; t = this.client.pollTransmit()) {
      if (this.torn) break;
      if (this.udp) {
        this.udp.send(t.data, t.destination.port, t.destination.address);
      } else {
        // A 300 Try-Alternate moves a stream allocation to another server: reconnect there.
        const socket =
          this.stream && this.streamPeer && sameAddress(this.streamPeer, t.destination)
            ? this.stream
            : this.openStream(t.destination);
        socket.write(t.data);
      }
    }
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) {
      switch (e.type) {
        case 'allocated':
          this.pendingAllocate?.resolve({ relayed: e.relayed, mapped: e.mapped });
          this.pendingAllocate = undefined;
          break;
        case 'data':
          this.onData?.(e.peer, e.data);
          break;
        case 'error': {
          const error = new TurnError(e.code, e.reason, e.url);
          if (this.pendingAllocate) this.pendingAllocate.reject(error);
          else this.onError?.(error);
          this.pendingAllocate = undefined;
          this.teardown();
          break;
        }
        case 'closed':
          this.pendingAllocate?.reject(new TurnError(0, 'TURN connection closed before allocation'));
          this.pendingAllocate = undefined;
          this.teardown();
          break;
        default:
          break;
      }
    }
    this.arm();
  }

  private arm(): void {
    const at = this.torn ? undefined : this.client.pollTimeout();
    if (at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = undefined;
        this.client.handleTimeout(performance.now());
        this.flush();
      },
      Math.max(0, at - performance.now()),
    );
  }

  private teardown(): void {
    if (this.torn) return;
    this.torn = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
    try {
      this.udp?.close();
    } catch {
      // already closed
    }
    this.stream?.end();
    this.stream = undefined;
    this.resolveClosed?.();
  }
}
