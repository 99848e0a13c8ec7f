/** Drives a TurnClient on the simulated network and records what it reports. */
import type { TransportAddress } from '../../src/common/engine.js';
import { TurnClient } from '../../src/ice/turn/client.js';
import type { TurnClientEvent, TurnClientOptions } from '../../src/ice/turn/types.js';
import type { Datagram, SimParticipant } from '../sim/network.js';

export class TurnClientNode implements SimParticipant {
  readonly addresses: TransportAddress[];
  readonly client: TurnClient;
  readonly events: TurnClientEvent[] = [];
  readonly received: { peer: TransportAddress; text: string }[] = [];

  constructor(
    readonly address: TransportAddress,
    options: TurnClientOptions,
  ) {
    this.addresses = [address];
    this.client = new TurnClient(options);
  }

  deliver(now: number, d: Datagram): void {
    this.client.handleInput(now, d.data);
    this.collect();
  }

  drain(): Datagram[] {
    this.collect();
    const out: Datagram[] = [];
    for (let t = this.client.pollTransmit(); t; t = this.client.pollTransmit()) {
      out.push({ source: this.address, destination: t.destination, data: t.data });
    }
    return out;
  }

  pollTimeout(): number | undefined {
    return this.client.pollTimeout();
  }

  handleTimeout(now: number): void {
    this.client.handleTimeout(now);
    this.collect();
  }

  private collect(): void {
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) {
      this.events.push(e);
      if (e.type === 'data') this.received.push({ peer: e.peer, text: Buffer.from(e.data).toString() });
    }
  }

  has(type: TurnClientEvent['type']): boolean {
    return this.events.some((e) => e.type === type);
  }

  error(): { code: number; reason: string } | undefined {
    const e = this.events.find((x) => x.type === 'error');
    return e?.type === 'error' ? e : undefined;
  }
}
