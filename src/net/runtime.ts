/**
 * The runtime: everything a connection takes from the world — time, timers, randomness and the network —
 * behind one injectable object. `nodeRuntime` is the real one (performance.now, setTimeout/setImmediate,
 * node:crypto, node:dgram, node:dns); tests pass a simulated one so that whole RTCPeerConnections run in
 * virtual time over a simulated network, reproducibly from a seed. Engines never see it: the runtime
 * objects (ORTC transports, the peer connection) read it and pass `now` and bytes in.
 */
import { lookup } from 'node:dns/promises';
import type { TransportAddress } from '../common/engine.js';
import { isIpAddress } from '../common/ip.js';
import { cryptoRandom, type RandomSource } from '../common/random.js';
import { type Clock, nodeClock } from './clock.js';
import { type HostAddressOptions, hostAddresses } from './interfaces.js';
import { UdpSocket } from './udp-socket.js';
import type { WakeScheduler } from './wake-scheduler.js';

export type { Clock };

export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  /**
   * Run `fn` once the clock reaches `at` (monotonic ms). A time already reached runs as a task. Pending
   * timers never keep the process alive on their own.
   */
  at(at: number, fn: () => void): TimerHandle;
  /** Run `fn` as a task of its own, after pending I/O (the W3C "queue a task"). */
  task(fn: () => void): void;
}

/** A bound datagram socket with a direct receive callback (no Event per datagram). */
export interface DatagramSocket {
  readonly local: TransportAddress;
  /**
   * `receivedAt` (ms, on the runtime's clock) is when the datagram reached the host, where the socket knows
   * it (kernel receive stamps through the native addon); undefined means "now".
   */
  onMessage: ((data: Uint8Array, source: TransportAddress, receivedAt?: number) => void) | undefined;
  /** Sends synchronously (no deferred address lookup), so a send right before close() still leaves. */
  send(data: Uint8Array, destination: TransportAddress): void;
  close(): void;
}

export interface NetworkAccess {
  /** Addresses to gather host candidates on. */
  hostAddresses(options: HostAddressOptions): string[];
  bindUdp(address: string, port?: number): Promise<DatagramSocket>;
  /** An IP literal for a host name (STUN/TURN servers), or undefined when it cannot be resolved. */
  resolve(host: string): Promise<string | undefined>;
  /** False where only UDP exists (the simulated network): TURN over TCP/TLS is then refused. */
  readonly streams: boolean;
}

export interface Runtime {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: RandomSource;
  readonly network: NetworkAccess;
}

const nodeTimers: Timers = {
  at(at: number, fn: () => void): TimerHandle {
    const delay = Math.ceil(at - nodeClock.now());
    if (delay <= 0) {
      // A due timer on setImmediate: setTimeout(0) costs about a millisecond each time.
      const immediate = setImmediate(fn);
      immediate.unref();
      return { cancel: () => clearImmediate(immediate) };
    }
    const timer = setTimeout(fn, delay);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  task(fn: () => void): void {
    setImmediate(fn);
  },
};

const nodeNetwork: NetworkAccess = {
  hostAddresses: (options) => hostAddresses(options),
  bindUdp: (address, port) => UdpSocket.bind(address, port),
  async resolve(host: string): Promise<string | undefined> {
    if (isIpAddress(host)) return host;
    try {
      return (await lookup(host)).address;
    } catch {
      return undefined;
    }
  },
  streams: true,
};

/** The real runtime: Node's clock, timers, CSPRNG and sockets. */
export const nodeRuntime: Runtime = {
  clock: nodeClock,
  timers: nodeTimers,
  random: cryptoRandom,
  network: nodeNetwork,
};

/** What a runtime object (ORTC transport, gatherer) accepts to join a connection's runtime and timer. */
export interface RuntimeOptions {
  /** The clock, timers, randomness and network to use (default: the real ones). */
  readonly runtime?: Runtime;
  /** The connection's single timer (default: shared with the layer below, or a new one). */
  readonly wakes?: WakeScheduler;
}
