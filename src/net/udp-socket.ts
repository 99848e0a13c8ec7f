/** A bound UDP socket with a direct receive callback (no per-datagram Event). */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { TransportAddress } from '../common/engine.js';
import { queueLightMicrotask } from '../common/microtask.js';
import { nativeAddon } from '../common/native.js';
import { nodeClock } from './clock.js';
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

/** The parts of node:dgram's internal UDP handle the native paths use. */
interface DgramHandle {
  fd?: unknown;
  recvStart?: unknown;
  recvStop?: unknown;
}

/**
 * The libuv handle of a bound node:dgram socket (its descriptor, for batched sends and receives through
 * the native addon). Node keeps it behind an internal symbol (reading the `_handle` property would print a
 * deprecation warning in the user's process): found by shape, undefined when this Node version hides it.
 */
function handleOf(socket: Socket): (DgramHandle & { fd: number }) | undefined {
  for (const key of Object.getOwnPropertySymbols(socket)) {
    const state = (socket as unknown as Record<symbol, unknown>)[key] as { handle?: DgramHandle } | undefined;
    const fd = state?.handle?.fd;
    if (typeof fd === 'number' && fd >= 0) return state!.handle as DgramHandle & { fd: number };
  }
  return undefined;
}

/** Datagrams per native receive batch (RECV_BATCH in native/udp_recv.c): 4 meta words each. */
const RECV_BATCH = 32;

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
  private readonly handle: DgramHandle | undefined;
  private readonly family: 4 | 6;
  private pending: Uint8Array[] = [];
  private pendingTo: TransportAddress | undefined;
  private flushQueued = false;
  /** Datagrams that left through batched sends (for tests and the benchmark). */
  batchedDatagrams = 0;
  /** Datagrams that arrived through batched receives (for tests and the benchmark). */
  batchedReceived = 0;
  /** Receive errors reported by the native reader (ICMP errors surfacing on the socket, for instance). */
  receiveErrors = 0;
  /** Stops the native reader; undefined while node:dgram reads. */
  private stopBatchedReceive: (() => void) | undefined;
  private readonly meta = new Int32Array(RECV_BATCH * 4);
  /** Per datagram of a batch: µs it spent in the host before recvmmsg returned (kernel receive stamps). */
  private readonly ages = new Int32Array(RECV_BATCH);
  private lastAddress = '';
  private lastSource: TransportAddress | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly local: TransportAddress,
  ) {
    this.family = local.address.includes(':') ? 6 : 4;
    const addon = nativeAddon();
    this.handle = addon ? handleOf(socket) : undefined;
    const fd = this.handle?.fd as number | undefined;
    this.fd = fd;
    this.batchSend = fd !== undefined ? addon?.udpSendBatch?.bind(addon) : undefined;
  }

  /**
   * With the native addon on Linux, read with recvmmsg(2) while the socket is readable and take a whole
   * batch per JavaScript call, instead of node:dgram's one callback and one Buffer per datagram. Anything
   * missing (addon, descriptor, node:dgram's handle methods) leaves node:dgram reading.
   */
  private startBatchedReceive(): void {
    const start = nativeAddon()?.udpRecvStart;
    const handle = this.handle;
    if (!start || this.fd === undefined || !handle) return;
    if (process.env.TSRTC_NATIVE_RECV === '0') return; // node:dgram reads (to measure one against the other)
    if (typeof handle.recvStop !== 'function' || typeof handle.recvStart !== 'function') return;
    let stop: () => void;
    try {
      stop = start(this.fd, this.meta, this.onBatch, this.ages);
    } catch {
      return;
    }
    // Both readers exist only until this returns: no datagram can arrive in between (one thread).
    if ((handle.recvStop as () => number).call(handle) !== 0) {
      stop();
      return;
    }
    this.stopBatchedReceive = stop;
  }

  /** The native reader's batch: `count` datagrams in `buffer`, described in `meta` (see udp_recv.c). */
  private readonly onBatch = (
    buffer: Buffer | undefined,
    count: number,
    addresses: string[] | boolean | undefined,
  ): void => {
    if (!buffer) {
      this.receiveErrors++;
      if (addresses === true && !this.closed) {
        // The native reader had to stop (it can no longer watch the socket): node:dgram takes over.
        this.stopBatchedReceive = undefined;
        const handle = this.handle;
        try {
          if (handle) (handle.recvStart as () => number).call(handle);
        } catch {
          // the socket is unusable; sends will report errors
        }
      }
      return;
    }
    const meta = this.meta;
    const ages = this.ages;
    // The addon measured each datagram's age when recvmmsg returned, a moment ago: arrival = now − age.
    const batchAt = nodeClock.now();
    const base = buffer.byteOffset;
    const end = buffer.byteLength;
    let next = 0;
    this.batchedReceived += count;
    try {
      for (let i = 0; i < count; i++) {
        const at = i * 4;
        if (meta[at + 3] === 1) this.lastAddress = (addresses as string[])[next++]!;
        const port = meta[at + 2]!;
        const offset = meta[at]!;
        const length = meta[at + 1]!;
        // The C side wrote these; checked again so a wrong word can only drop a datagram, never misread.
        if (offset < 0 || length < 0 || offset > end || length > end - offset) continue;
        let source = this.lastSource;
        if (!source || source.port !== port || source.address !== this.lastAddress)
          source = this.lastSource = { address: this.lastAddress, port };
        const deliver = this.onMessage;
        if (!deliver) return; // closed by an earlier datagram's receiver
        deliver(new Uint8Array(buffer.buffer, base + offset, length), source, batchAt - ages[i]! / 1000);
      }
    } finally {
      // The C side remembers the batch's last source even when a receiver threw part-way through.
      if (Array.isArray(addresses) && addresses.length > 0)
        this.lastAddress = addresses[addresses.length - 1]!;
    }
  };

  /**
   * The receiver for incoming datagrams. `receivedAt` (ms, `nodeClock`) is when the kernel took the
   * datagram in, given by the native reader; node:dgram's path leaves it undefined (the time is now).
   */
  onMessage: ((data: Uint8Array, source: TransportAddress, receivedAt?: number) => void) | undefined;
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
        s.startBatchedReceive();
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
      queueLightMicrotask(this.flush);
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
    this.stopBatchedReceive?.();
    this.stopBatchedReceive = undefined;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
