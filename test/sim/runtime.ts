/**
 * A simulated Runtime (src/net/runtime.ts) over the SimNetwork: virtual clock and timers, sockets that are
 * network participants, and seeded randomness per host. Whole RTCPeerConnections run on it in virtual time,
 * deterministic from the seeds: `await world.run(until, maxMs)` alternates between letting JavaScript settle
 * (promises, queued tasks) and advancing the network to its next event.
 */
import type { TransportAddress } from '../../src/common/engine.js';
import { SeededRandom } from '../../src/common/random.js';
import type { Clock } from '../../src/net/clock.js';
import type { DatagramSocket, NetworkAccess, Runtime, TimerHandle, Timers } from '../../src/net/runtime.js';
import { type Datagram, type LinkConditions, SimNetwork, type SimParticipant } from './network.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Every virtual timer of the world, run by the network as one participant. */
class TimerQueue implements SimParticipant {
  readonly addresses: readonly TransportAddress[] = [];
  private heap: Timer[] = [];
  private seq = 0;

  add(at: number, fn: () => void): Timer {
    const t: Timer = { at, seq: this.seq++, fn, cancelled: false };
    // Sorted insert (timers are few): earliest first, then in creation order.
    let i = this.heap.length;
    while (
      i > 0 &&
      (this.heap[i - 1]!.at > at || (this.heap[i - 1]!.at === at && this.heap[i - 1]!.seq > t.seq))
    )
      i--;
    this.heap.splice(i, 0, t);
    return t;
  }

  deliver(): void {}
  drain(): Datagram[] {
    return [];
  }

  pollTimeout(): number | undefined {
    while (this.heap[0]?.cancelled) this.heap.shift();
    return this.heap[0]?.at;
  }

  /** Timers run at the current virtual time so far (a guard against tasks that queue tasks forever). */
  private runAtNow = 0;
  private lastNow = -1;

  handleTimeout(now: number): void {
    // One timer per step: the world settles microtasks between two, as an event loop does between tasks.
    const t = this.heap[0];
    if (!t || t.at > now) return;
    this.heap.shift();
    if (now !== this.lastNow) {
      this.lastNow = now;
      this.runAtNow = 0;
    }
    if (++this.runAtNow > 100_000)
      throw new Error('TimerQueue: tasks keep queueing tasks without time passing');
    if (!t.cancelled) t.fn();
  }
}

class SimSocket implements DatagramSocket, SimParticipant {
  onMessage: ((data: Uint8Array, source: TransportAddress) => void) | undefined;
  readonly addresses: readonly TransportAddress[];
  closed = false;

  constructor(
    private readonly net: SimNetwork,
    readonly local: TransportAddress,
  ) {
    this.addresses = [local];
  }

  send(data: Uint8Array, destination: TransportAddress): void {
    if (this.closed) return;
    this.net.send({ source: this.local, destination, data });
  }

  close(): void {
    this.closed = true;
    this.onMessage = undefined;
  }

  deliver(_now: number, d: Datagram): void {
    if (!this.closed) this.onMessage?.(d.data, d.source);
  }
  drain(): Datagram[] {
    return [];
  }
  pollTimeout(): number | undefined {
    return undefined;
  }
  handleTimeout(): void {}
}

export interface SimHostOptions {
  /** The host's address (documentation ranges: 192.0.2.x, 198.51.100.x, 203.0.113.x). */
  address: string;
  seed: number;
}

export class SimWorld {
  readonly net: SimNetwork;
  /** Unix milliseconds at virtual time 0. */
  readonly wallTimeAtZero = Date.now();
  private readonly timers = new TimerQueue();
  private nextPort = 50_000;
  /** Real milliseconds spent in run(), to show that simulations run faster than real time. */
  realMs = 0;
  /** Tasks queued and not yet run. */
  private pendingTasks = 0;

  constructor(options: { seed?: number; conditions?: Partial<LinkConditions> } = {}) {
    this.net = new SimNetwork({ seed: options.seed ?? 1, conditions: options.conditions });
    this.net.add(this.timers);
  }

  get now(): number {
    return this.net.now;
  }

  /** The runtime of one simulated host: its address, its own seeded randomness, the world's clock. */
  runtime(host: SimHostOptions): Runtime {
    const net = this.net;
    const clock: Clock = {
      now: () => net.now,
      wallTime: () => this.wallTimeAtZero + net.now,
    };
    const queue = this.timers;
    const timers: Timers = {
      at(at: number, fn: () => void): TimerHandle {
        const t = queue.add(Math.max(at, net.now), fn);
        return {
          cancel: () => {
            t.cancelled = true;
          },
        };
      },
      // A task runs as soon as JavaScript is idle, before virtual time moves on (run() settles them all),
      // one per real immediate so microtasks run between two tasks, as in an event loop.
      task: (fn: () => void): void => {
        this.pendingTasks++;
        setImmediate(() => {
          this.pendingTasks--;
          fn();
        });
      },
    };
    const network: NetworkAccess = {
      hostAddresses: () => [host.address],
      bindUdp: async (address: string, port?: number) => {
        const socket = new SimSocket(net, { address, port: port || this.nextPort++ });
        net.add(socket);
        return socket;
      },
      resolve: async (name: string) => name,
      streams: false,
    };
    return { clock, timers, random: new SeededRandom(host.seed), network };
  }

  /**
   * Run until `until()` holds or `maxMs` of virtual time pass; returns whether it holds. JavaScript settles
   * (microtasks, real immediates) before every virtual event.
   */
  async run(until: () => boolean, maxMs = 60_000): Promise<boolean> {
    const started = performance.now();
    const limit = this.net.now + maxMs;
    try {
      for (;;) {
        await this.settle();
        if (until()) return true;
        if (!this.net.step(limit)) {
          this.net.now = Math.max(this.net.now, limit);
          await this.settle();
          return until();
        }
      }
    } finally {
      this.realMs += performance.now() - started;
    }
  }

  /** Let `ms` of virtual time pass. */
  async runFor(ms: number): Promise<void> {
    await this.run(() => false, ms);
  }

  /** Let pending promise callbacks, immediates and queued tasks run (tasks may queue more tasks). */
  private async settle(): Promise<void> {
    for (let i = 0; i < 2 || (this.pendingTasks > 0 && i < 100_000); i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
