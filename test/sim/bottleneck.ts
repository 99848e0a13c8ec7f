/**
 * A bottleneck link for the simulated network: the datagrams it claims (one direction of one or more
 * flows) wait in a drop-tail queue of a given size (bytes, or ms at the current rate) and leave one at a
 * time at the link's rate, which a test may change at any moment; optional random loss before the queue.
 * Propagation delay is the network's (`conditions.delay`) after the link. It records what a test asserts
 * on: each datagram's queueing delay and when it left (for throughput), and the drops.
 */
import { Fifo } from '../../src/rtp/fifo.js';
import { type Datagram, Prng, type SimPathElement } from './network.js';

export interface BottleneckOptions {
  /** Bits per second. */
  rateBps: number;
  /** Queue limit in bytes; or `queueMs` of the current rate (default 300 ms). */
  queueBytes?: number;
  queueMs?: number;
  /** Bytes each datagram counts on the wire beyond its UDP payload (IPv4 + UDP: 28, the default). */
  overheadBytes?: number;
  /** Probability [0,1] a datagram is lost before the queue. */
  loss?: number;
  seed?: number;
  /** Which datagrams cross this link. */
  claims: (d: Datagram) => boolean;
}

interface Queued {
  datagram: Datagram;
  wireBytes: number;
  enqueuedAt: number;
}

export interface LinkSample {
  /** When it left the link. */
  at: number;
  /** Time spent queued and in transmission (ms). */
  queueDelay: number;
  wireBytes: number;
  /** Source address of the datagram (which flow). */
  source: string;
}

export class BottleneckLink implements SimPathElement {
  readonly addresses = [];
  readonly samples: LinkSample[] = [];
  readonly drops = { queue: 0, random: 0 };
  private rateBps: number;
  private readonly options: BottleneckOptions;
  private readonly queue = new Fifo<Queued>();
  private queuedBytes = 0;
  /** When the datagram at the head of the queue has left, undefined while idle. */
  private headLeavesAt: number | undefined;
  private readonly out: Datagram[] = [];
  private readonly rng: Prng;

  constructor(options: BottleneckOptions) {
    this.options = options;
    this.rateBps = options.rateBps;
    this.rng = new Prng(options.seed ?? 99);
  }

  get rate(): number {
    return this.rateBps;
  }

  /** Change the rate from now on (the datagram being sent finishes at the old one). */
  setRate(bps: number): void {
    this.rateBps = bps;
  }

  /** Change the random loss probability. */
  setLoss(loss: number): void {
    this.options.loss = loss;
  }

  claims(d: Datagram): boolean {
    return this.options.claims(d);
  }

  enqueue(now: number, d: Datagram): void {
    if ((this.options.loss ?? 0) > 0 && this.rng.next() < this.options.loss!) {
      this.drops.random++;
      return;
    }
    const wireBytes = d.data.byteLength + (this.options.overheadBytes ?? 28);
    if (this.queuedBytes + wireBytes > this.limitBytes()) {
      this.drops.queue++;
      return;
    }
    this.queue.push({ datagram: d, wireBytes, enqueuedAt: now });
    this.queuedBytes += wireBytes;
    if (this.headLeavesAt === undefined) this.headLeavesAt = now + this.transmitMs(wireBytes);
  }

  pollTimeout(): number | undefined {
    return this.headLeavesAt;
  }

  handleTimeout(now: number): void {
    while (this.headLeavesAt !== undefined && this.headLeavesAt <= now) {
      const left = this.headLeavesAt;
      const q = this.queue.shift()!;
      this.queuedBytes -= q.wireBytes;
      this.out.push(q.datagram);
      this.samples.push({
        at: left,
        queueDelay: left - q.enqueuedAt,
        wireBytes: q.wireBytes,
        source: q.datagram.source.address,
      });
      const next = this.peek();
      this.headLeavesAt = next ? left + this.transmitMs(next.wireBytes) : undefined;
    }
  }

  drain(): Datagram[] {
    return this.out.splice(0);
  }

  deliver(): void {
    // nothing is addressed to the link itself
  }

  /** Bits per second that left the link in [from, to), optionally of one source address. */
  throughput(from: number, to: number, source?: string): number {
    let bytes = 0;
    for (const s of this.samples)
      if (s.at >= from && s.at < to && (source === undefined || s.source === source)) bytes += s.wireBytes;
    return (bytes * 8000) / (to - from);
  }

  /** Queueing delays (ms) of the datagrams that left in [from, to). */
  queueDelays(from: number, to: number): number[] {
    return this.samples.filter((s) => s.at >= from && s.at < to).map((s) => s.queueDelay);
  }

  private limitBytes(): number {
    return this.options.queueBytes ?? (this.rateBps * (this.options.queueMs ?? 300)) / 8000;
  }

  private transmitMs(wireBytes: number): number {
    return (wireBytes * 8000) / this.rateBps;
  }

  private peek(): Queued | undefined {
    return this.queue.peek();
  }
}
