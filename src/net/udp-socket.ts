/** A bound UDP socket with a direct receive callback (no per-datagram Event). */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { TransportAddress } from '../common/engine.js';
import { nativeAddon } from '../common/native.js';
import type { DatagramSocket } from './runtime.js';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * node:dgram resolves every destination with dns.lookup before sending, which defers even an IP literal to a
 * later tick: a send right before close() is then lost, and every send costs a tick. IP literals (all ICE
 * ever sends to) are answered at once, so send() hands the datagram to the kernel synchronously.
 */
function immediateLookup(hostname: string, options: unknown, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dnsLookup(hostname, options as object, callback as never);
}

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The descriptor libuv owns for a bound node:dgram socket, for batched sends through the native addon.
 * Node keeps it behind an internal symbol (reading the `_handle` property would print a deprecation
 * warning in the user's process): found by shape, undefined when this Node version hides it otherwise.
 */
function descriptorOf(socket: Socket): number | undefined {
  for (const key of Object.getOwnPropertySymbols(socket)) {
    const state = (socket as unknown as Record<symbol, unknown>)[key] as
      | { handle?: { fd?: unknown } }
      | undefined;
    const fd = state?.handle?.fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  return undefined;
}

type BatchSend = (
  fd: number,
  family: 4 | 6,
  address: string,
  port: number,
  datagrams: Uint8Array[],
) => number;

export class UdpSocket implements DatagramSocket {
  /**
   * With the native addon on Linux, datagrams sent in one turn of the event loop (an SCTP flush, a pacer
   * burst) leave in one sendmmsg(2) at the end of the turn instead of one node:dgram send each.
   */
  private readonly batchSend: BatchSend | undefined;
  private readonly fd: number | undefined;
  private readonly family: 4 | 6;
  private pending: Uint8Array[] = [];
  private pendingTo: TransportAddress | undefined;
  private flushQueued = false;
  /** Datagrams that left through batched sends (for tests and the benchmark). */
  batchedDatagrams = 0;

  private constructor(
    private readonly socket: Socket,
    readonly local: TransportAddress,
  ) {
    this.family = local.address.includes(':') ? 6 : 4;
    const addon = nativeAddon();
    const fd = addon?.udpSendBatch ? descriptorOf(socket) : undefined;
    this.fd = fd;
    this.batchSend = fd !== undefined ? addon?.udpSendBatch?.bind(addon) : undefined;
  }

  /** The receiver for incoming datagrams. */
  onMessage: ((data: Uint8Array, source: TransportAddress) => void) | undefined;
  /** Count of sends that failed synchronously or asynchronously (unreachable, closed). */
  sendErrors = 0;
  private closed = false;

  static bind(address: string, port = 0): Promise<UdpSocket> {
    const socket = createSocket({
      type: address.includes(':') ? 'udp6' : 'udp4',
      ipv6Only: address.includes(':'),
      lookup: immediateLookup as never,
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        // The default ~208 KiB receive buffer overflows under a data-channel burst, and every loss halves
        // SCTP's window; 4 MiB (or what the kernel allows) keeps bulk transfers at speed.
        for (const set of [socket.setRecvBufferSize, socket.setSendBufferSize]) {
          try {
            set.call(socket, SOCKET_BUFFER_BYTES);
          } catch {
            // the kernel limit applies
          }
        }
        const a = socket.address();
        const s = new UdpSocket(socket, { address: a.address, port: a.port });
        socket.on('message', (msg, rinfo) => {
          s.onMessage?.(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), {
            address: rinfo.address,
            port: rinfo.port,
          });
        });
        // ICMP errors surface here; a network error must never crash the process.
        socket.on('error', () => {
          s.sendErrors++;
        });
        resolve(s);
      });
    });
  }

  send(data: Uint8Array, destination: TransportAddress): void {
    if (this.closed) return;
    if (!this.batchSend) {
      this.sendNow(data, destination);
      return;
    }
    const to = this.pendingTo;
    if (to && (to.port !== destination.port || to.address !== destination.address)) this.flush();
    this.pendingTo = destination;
    this.pending.push(data);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  private sendNow(data: Uint8Array, destination: TransportAddress): void {
    try {
      // No per-datagram callback (a closure per packet on the hot path): send errors arrive as 'error'.
      this.socket.send(data, destination.port, destination.address);
    } catch {
      this.sendErrors++;
    }
  }

  /** Send what waits: one sendmmsg, and node:dgram (which queues) for what a full socket refused. */
  private readonly flush = (): void => {
    this.flushQueued = false;
    const to = this.pendingTo;
    const batch = this.pending;
    if (!to || batch.length === 0) return;
    this.pending = [];
    this.pendingTo = undefined;
    let handled = 0;
    if (this.batchSend && this.fd !== undefined && !this.closed) {
      try {
        handled = this.batchSend(this.fd, this.family, to.address, to.port, batch);
        this.batchedDatagrams += handled;
      } catch {
        handled = 0; // an address the addon cannot parse: node:dgram takes them all
      }
    }
    for (let i = handled; i < batch.length; i++) this.sendNow(batch[i]!, to);
  };

  close(): void {
    if (this.closed) return;
    // Datagrams of this turn (a goodbye before close()) still leave.
    this.flush();
    this.closed = true;
    this.onMessage = undefined;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
