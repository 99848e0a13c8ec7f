/**
 * The Node side of one TURN allocation: owns the socket to the server (UDP, TCP or TLS), feeds a sans-I/O
 * TurnClient with bytes and wake-ups, and writes what it asks to send. Failures surface as a rejected
 * `allocate()` (before the allocation exists) or through `onError` (after): never as an unhandled rejection.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { sameAddress, type TransportAddress } from '../common/engine.js';
import { createLogger } from '../common/logger.js';
import { TurnClient } from '../ice/turn/client.js';
import type { TurnClientOptions, TurnClientState } from '../ice/turn/types.js';
import { type DatagramSocket, nodeRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { type WakeRegistration, WakeScheduler } from './wake-scheduler.js';

const log = createLogger('turn:net');

export interface TurnConnectionOptions extends TurnClientOptions, RuntimeOptions {
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
  private udp: DatagramSocket | undefined;
  private stream: StreamSocket | undefined;
  private streamPeer: TransportAddress | undefined;
  private readonly runtime: Runtime;
  private readonly timer: WakeRegistration;
  private pendingAllocate:
    | { resolve: (a: TurnAllocation) => void; reject: (e: TurnError) => void }
    | undefined;
  private closed: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  private torn = false;

  constructor(options: TurnConnectionOptions) {
    this.options = options;
    this.runtime = options.runtime ?? nodeRuntime;
    this.client = new TurnClient({ ...options, random: options.random ?? this.runtime.random });
    this.timer = (options.wakes ?? new WakeScheduler(this.runtime)).register(
      () => (this.torn ? undefined : this.client.pollTimeout()),
      (now) => {
        this.client.handleTimeout(now);
        this.flush();
      },
    );
  }

  private now(): number {
    return this.runtime.clock.now();
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
      if (this.udp) return this.udp.local;
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
        this.client.transportFailed(this.now(), `cannot reach TURN server: ${String(err)}`);
        this.flush();
      });
    });
  }

  sendTo(peer: TransportAddress, data: Uint8Array): void {
    this.client.sendTo(this.now(), peer, data);
    this.flush();
  }

  createPermission(peer: TransportAddress): void {
    this.client.createPermission(this.now(), peer);
    this.flush();
  }

  /** Deallocate and close the socket. Resolves once done (or given up); never rejects. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = new Promise<void>((resolve) => {
        this.resolveClosed = resolve;
      });
      // A failed client still moves to 'closed'; a live one sends Refresh(0) first.
      this.client.close(this.now());
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
    if (this.options.transport === 'udp') await this.openUdp();
    this.client.allocate(this.now());
    this.flush();
  }

  private async openUdp(): Promise<void> {
    const any = net.isIPv6(this.client.server.address) ? '::' : '0.0.0.0';
    const socket = await this.runtime.network.bindUdp(this.options.localAddress ?? any, 0);
    if (this.torn) {
      socket.close();
      return;
    }
    this.udp = socket;
    socket.onMessage = (msg, from) => {
      if (!sameAddress(from, this.client.server)) return; // only the server speaks to us on this socket
      this.client.handleInput(this.now(), msg);
      this.flush();
    };
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
      this.client.handleInput(this.now(), chunk);
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
    this.client.transportFailed(this.now(), reason);
    this.flush();
  }

  /** Write what the client wants sent, act on its events, and re-arm the timer. */
  private flush(): void {
    for (let t = this.client.pollTransmit(); t; t = this.client.pollTransmit()) {
      if (this.torn) break;
      if (this.udp) {
        this.udp.send(t.data, t.destination);
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
    this.timer.schedule();
  }

  private teardown(): void {
    if (this.torn) return;
    this.torn = true;
    this.timer.close();
    this.udp?.close();
    this.stream?.end();
    this.stream = undefined;
    this.resolveClosed?.();
  }
}
