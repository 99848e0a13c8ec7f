/** Drives an SCTP Association on the simulated network (one SimParticipant per endpoint). */
import { createHash } from 'node:crypto';
import type { TransportAddress } from '../../src/common/engine.js';
import { Association } from '../../src/sctp/association.js';
import type { AssociationEvent, AssociationOptions } from '../../src/sctp/options.js';
import { type Datagram, type LinkConditions, Prng, SimNetwork, type SimParticipant } from '../sim/network.js';

export class SctpPeer implements SimParticipant {
  readonly addresses: TransportAddress[];
  readonly events: AssociationEvent[] = [];
  readonly messages: { streamId: number; ppid: number; data: Uint8Array; unordered: boolean }[] = [];
  onEvent: ((e: AssociationEvent) => void) | undefined;
  /** Called around each datagram handed to the association (e.g. to watch cwnd per SACK). */
  onDeliver: ((phase: 'before' | 'after', now: number) => void) | undefined;
  /**
   * When set, act as the Node runtime does: take in every datagram that arrives at one instant (at most
   * `readBurst`, as libuv hands over at most 32 per read event) and only then flush output, so one SACK
   * covers the whole burst. Unset: flush after every datagram.
   */
  readBurst: number | undefined;
  private held = 0;
  private releaseAt: number | undefined;

  constructor(
    readonly assoc: Association,
    readonly address: TransportAddress,
    readonly peer: TransportAddress,
  ) {
    this.addresses = [address];
  }

  deliver(now: number, d: Datagram): void {
    this.onDeliver?.('before', now);
    this.assoc.handleInput(now, d.data);
    this.onDeliver?.('after', now);
    if (this.readBurst !== undefined) {
      this.held++;
      this.releaseAt = now;
    }
    this.drainEvents();
  }

  drain(): Datagram[] {
    const out: Datagram[] = [];
    if (this.readBurst !== undefined && this.held > 0 && this.held < this.readBurst) return out;
    this.held = 0;
    this.releaseAt = undefined;
    for (let p = this.assoc.pollTransmit(); p; p = this.assoc.pollTransmit()) {
      out.push({ source: this.address, destination: this.peer, data: p });
    }
    this.drainEvents();
    return out;
  }

  pollTimeout(): number | undefined {
    const t = this.assoc.pollTimeout();
    if (this.releaseAt === undefined) return t;
    return t === undefined ? this.releaseAt : Math.min(t, this.releaseAt);
  }

  handleTimeout(now: number): void {
    // The end of a read burst: the network has delivered everything due at this instant.
    if (this.releaseAt !== undefined && now >= this.releaseAt) this.held = this.readBurst ?? 0;
    this.assoc.handleTimeout(now);
    this.drainEvents();
  }

  private drainEvents(): void {
    for (let e = this.assoc.pollEvent(); e; e = this.assoc.pollEvent()) {
      if (e.type === 'message') this.messages.push(e);
      else this.events.push(e);
      this.onEvent?.(e);
    }
  }

  has(type: AssociationEvent['type']): boolean {
    return this.events.some((e) => e.type === type);
  }
}

export function makePair(
  conditions: Partial<LinkConditions> = {},
  seed = 1,
  a: AssociationOptions = {},
  b: AssociationOptions = {},
): { net: SimNetwork; client: SctpPeer; server: SctpPeer } {
  const net = new SimNetwork({ seed, conditions });
  const ca = { address: '203.0.113.101', port: 5000 };
  const sa = { address: '203.0.113.102', port: 5000 };
  const client = net.add(new SctpPeer(new Association(a), ca, sa));
  const server = net.add(new SctpPeer(new Association(b), sa, ca));
  return { net, client, server };
}

/** Connect both sides (both send INIT, as WebRTC peers do) and run until established. */
export function connect(
  net: SimNetwork,
  client: SctpPeer,
  server: SctpPeer,
  bothInit = true,
  maxTime = 60_000,
): boolean {
  client.assoc.connect(net.now);
  if (bothInit) server.assoc.connect(net.now);
  return net.runUntil(
    () => client.assoc.state === 'established' && server.assoc.state === 'established',
    maxTime,
  );
}

export function sha256(parts: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Deterministic messages of varied sizes. */
export function makeMessages(seed: number, count: number, maxSize: number, minSize = 1): Uint8Array[] {
  const rng = new Prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const size = minSize + rng.int(maxSize - minSize + 1);
    const m = new Uint8Array(size);
    for (let j = 0; j < size; j++) m[j] = (rng.next() * 256) | 0;
    if (size >= 4) new DataView(m.buffer).setUint32(0, i);
    out.push(m);
  }
  return out;
}
