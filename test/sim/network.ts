/**
 * A deterministic simulated network for sans-I/O engines: virtual time, endpoints with addresses,
 * per-link delay, jitter, loss, duplication, reordering, an MTU, and NATs with the RFC 4787 mapping and
 * filtering behaviours. Everything random comes from one seeded PRNG, so a failing run replays exactly.
 */
import { addressKey, type TransportAddress } from '../../src/common/engine.js';
import type { RandomSource } from '../../src/common/random.js';

export interface Datagram {
  readonly source: TransportAddress;
  readonly destination: TransportAddress;
  readonly data: Uint8Array;
}

export interface LinkConditions {
  /** One-way delay in ms. */
  delay: number;
  /** Uniform extra delay in [0, jitter) ms; jitter larger than the packet spacing reorders packets. */
  jitter: number;
  /** Probability [0,1] a datagram is lost. */
  loss: number;
  /** Probability [0,1] a datagram is delivered twice. */
  duplicate: number;
  /** Probability [0,1] a datagram is held back by `reorderDelay` ms, so later ones overtake it. */
  reorder: number;
  reorderDelay: number;
  /** Datagrams larger than this many bytes are dropped (as a path with that MTU would). */
  mtu: number;
}

export const PERFECT_LINK: LinkConditions = {
  delay: 1,
  jitter: 0,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDelay: 0,
  mtu: 65_535,
};

/** Anything the network can drive: an engine adapter that receives datagrams and wants timeouts. */
export interface SimParticipant {
  /** The addresses this participant owns (datagrams to them are delivered to it). */
  readonly addresses: readonly TransportAddress[];
  deliver(now: number, datagram: Datagram): void;
  /** Datagrams it wants sent now. */
  drain(now: number): Datagram[];
  pollTimeout(): number | undefined;
  handleTimeout(now: number): void;
}

/**
 * An element on the path that holds datagrams for a while (a bottleneck link, bottleneck.ts): the datagrams
 * it `claims` go to it instead of straight on the wire, and what it `drain`s continues from there (with the
 * network's delay and loss, without passing the tap again).
 */
export interface SimPathElement extends SimParticipant {
  claims(d: Datagram): boolean;
  enqueue(now: number, d: Datagram): void;
}

/** mulberry32: small, fast, deterministic. */
export class Prng implements RandomSource {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  /** RandomSource: lets engines under test draw from the same seeded stream. */
  fill(target: Uint8Array): Uint8Array {
    for (let i = 0; i < target.length; i++) target[i] = this.int(256);
    return target;
  }
}

export type NatMapping = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
export type NatFiltering = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** A NAT: hosts with `insideAddresses` reach the outside through `publicAddress`. */
export class SimNat {
  private nextPort = 40_000;
  /** mapping key -> public port */
  private readonly outbound = new Map<string, number>();
  /** public port -> inside address and the remote endpoints it has sent to */
  private readonly inbound = new Map<
    number,
    { inside: TransportAddress; sentTo: Set<string>; sentToIp: Set<string> }
  >();

  constructor(
    readonly publicAddress: string,
    readonly insideAddresses: readonly string[],
    readonly mapping: NatMapping = 'endpoint-independent',
    readonly filtering: NatFiltering = 'endpoint-independent',
  ) {}

  isInside(address: string): boolean {
    return this.insideAddresses.includes(address);
  }

  /** Rewrite the source of an outgoing datagram. */
  translateOutbound(d: Datagram): Datagram {
    let key = addressKey(d.source);
    if (this.mapping === 'address-dependent') key += `>${d.destination.address}`;
    if (this.mapping === 'address-and-port-dependent') key += `>${addressKey(d.destination)}`;
    let port = this.outbound.get(key);
    if (port === undefined) {
      port = this.nextPort++;
      this.outbound.set(key, port);
      this.inbound.set(port, { inside: d.source, sentTo: new Set(), sentToIp: new Set() });
    }
    const entry = this.inbound.get(port)!;
    entry.sentTo.add(addressKey(d.destination));
    entry.sentToIp.add(d.destination.address);
    return { source: { address: this.publicAddress, port }, destination: d.destination, data: d.data };
  }

  /** Rewrite the destination of an incoming datagram, or undefined when the NAT drops it. */
  translateInbound(d: Datagram): Datagram | undefined {
    const entry = this.inbound.get(d.destination.port);
    if (!entry) return undefined;
    if (this.filtering === 'address-dependent' && !entry.sentToIp.has(d.source.address)) return undefined;
    if (this.filtering === 'address-and-port-dependent' && !entry.sentTo.has(addressKey(d.source)))
      return undefined;
    return { source: d.source, destination: entry.inside, data: d.data };
  }
}

interface Scheduled {
  at: number;
  seq: number;
  datagram: Datagram;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  tooBig: number;
  unroutable: number;
}

export class SimNetwork {
  now: number;
  readonly rng: Prng;
  conditions: LinkConditions;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, tooBig: 0, unroutable: 0 };
  private readonly participants: SimParticipant[] = [];
  private readonly byAddress = new Map<string, SimParticipant>();
  private readonly nats: SimNat[] = [];
  private readonly pathElements: SimPathElement[] = [];
  private queue: Scheduled[] = [];
  private seq = 0;
  /** Optional tap that sees every datagram put on the wire (after NAT); return false to drop it. */
  tap: ((d: Datagram, now: number) => boolean) | undefined;

  constructor(options: { seed?: number; conditions?: Partial<LinkConditions>; start?: number } = {}) {
    this.rng = new Prng(options.seed ?? 1);
    this.conditions = { ...PERFECT_LINK, ...options.conditions };
    this.now = options.start ?? 0;
  }

  add<P extends SimParticipant>(participant: P): P {
    this.participants.push(participant);
    for (const a of participant.addresses) this.byAddress.set(addressKey(a), participant);
    return participant;
  }

  /** Register an address for a participant after it was added (e.g. a relayed or newly bound port). */
  bind(participant: SimParticipant, address: TransportAddress): void {
    this.byAddress.set(addressKey(address), participant);
  }

  /** Put an element (a bottleneck link) on the path of the datagrams it claims. */
  addPathElement<E extends SimPathElement>(element: E): E {
    this.pathElements.push(element);
    this.participants.push(element);
    return element;
  }

  addNat(nat: SimNat): SimNat {
    this.nats.push(nat);
    return nat;
  }

  /**
   * Put a datagram on the wire now, applying NAT and link conditions. `from` is the participant that sent
   * it; datagrams a path element releases skip NAT, the tap and the elements (they passed them already).
   */
  send(d: Datagram, from?: SimParticipant): void {
    const c = this.conditions;
    if (!(from && this.pathElements.includes(from as SimPathElement))) {
      this.stats.sent++;
      const srcNat = this.nats.find((n) => n.isInside(d.source.address));
      const dstNat = this.nats.find((n) => n.isInside(d.destination.address));
      // Hosts behind the same NAT talk directly; otherwise the source NAT rewrites.
      if (srcNat && srcNat !== dstNat) d = srcNat.translateOutbound(d);
      if (this.tap && !this.tap(d, this.now)) {
        this.stats.lost++;
        return;
      }
      if (d.data.byteLength > c.mtu) {
        this.stats.tooBig++;
        return;
      }
      const element = this.pathElements.find((e) => e.claims(d));
      if (element) {
        element.enqueue(this.now, { ...d, data: d.data.slice() });
        return;
      }
    }
    if (c.loss > 0 && this.rng.next() < c.loss) {
      this.stats.lost++;
      return;
    }
    const copies = c.duplicate > 0 && this.rng.next() < c.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let at = this.now + c.delay + (c.jitter > 0 ? this.rng.next() * c.jitter : 0);
      if (c.reorder > 0 && this.rng.next() < c.reorder) at += c.reorderDelay;
      // Copy the bytes: the sender may reuse its buffer, as a real socket allows.
      this.schedule({ at, seq: this.seq++, datagram: { ...d, data: d.data.slice() } });
    }
  }

  private schedule(s: Scheduled): void {
    // Binary insertion keeps the queue ordered by (at, seq).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const q = this.queue[mid]!;
      if (q.at < s.at || (q.at === s.at && q.seq < s.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, s);
  }

  private route(d: Datagram): void {
    const nat = this.nats.find((n) => n.publicAddress === d.destination.address);
    if (nat) {
      const inside = nat.translateInbound(d);
      if (!inside) {
        this.stats.unroutable++;
        return;
      }
      d = inside;
    }
    const p = this.byAddress.get(addressKey(d.destination));
    if (!p) {
      this.stats.unroutable++;
      return;
    }
    this.stats.delivered++;
    p.deliver(this.now, d);
  }

  private flush(): void {
    // Drain until quiet: a participant may produce output in response to another's.
    for (let round = 0; round < 1000; round++) {
      let any = false;
      for (const p of this.participants) {
        for (const d of p.drain(this.now)) {
          any = true;
          this.send(d, p);
        }
      }
      if (!any) return;
    }
    throw new Error('SimNetwork: participants keep producing datagrams without time passing');
  }

  /** Process one event (a delivery or a timeout). Returns false when nothing is left before `limit`. */
  step(limit = Number.POSITIVE_INFINITY): boolean {
    this.flush();
    let nextTimer = Number.POSITIVE_INFINITY;
    let timerOwner: SimParticipant | undefined;
    for (const p of this.participants) {
      const t = p.pollTimeout();
      if (t !== undefined && t < nextTimer) {
        nextTimer = t;
        timerOwner = p;
      }
    }
    const nextDelivery = this.queue.length > 0 ? this.queue[0]!.at : Number.POSITIVE_INFINITY;
    const next = Math.min(nextTimer, nextDelivery);
    if (next === Number.POSITIVE_INFINITY || next > limit) return false;
    this.now = Math.max(this.now, next);
    if (nextDelivery <= nextTimer) {
      const s = this.queue.shift()!;
      this.route(s.datagram);
    } else {
      timerOwner!.handleTimeout(this.now);
    }
    this.flush();
    return true;
  }

  /** Run until `done()` is true or virtual time passes `maxTime` ms from now. Returns whether done() held. */
  runUntil(done: () => boolean, maxTime = 60_000): boolean {
    const limit = this.now + maxTime;
    for (;;) {
      if (done()) return true;
      if (!this.step(limit)) {
        this.now = Math.max(this.now, limit);
        return done();
      }
    }
  }

  /** Advance virtual time by `ms`, processing everything due. */
  runFor(ms: number): void {
    const limit = this.now + ms;
    while (this.step(limit)) {
      /* keep going */
    }
    this.now = Math.max(this.now, limit);
  }
}
