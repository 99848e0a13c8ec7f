import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransportAddress } from '../../src/common/engine.js';
import { type Datagram, SimNat, SimNetwork, type SimParticipant } from './network.js';

/** Echoes every datagram back; a pinger sends `count` numbered packets every `interval` ms. */
class Echo implements SimParticipant {
  private out: Datagram[] = [];
  received = 0;
  constructor(readonly addresses: TransportAddress[]) {}
  deliver(_now: number, d: Datagram): void {
    this.received++;
    this.out.push({ source: d.destination, destination: d.source, data: d.data });
  }
  drain(): Datagram[] {
    const o = this.out;
    this.out = [];
    return o;
  }
  pollTimeout(): number | undefined {
    return undefined;
  }
  handleTimeout(): void {}
}

class Pinger implements SimParticipant {
  sent = 0;
  replies: number[] = [];
  seenFrom: TransportAddress[] = [];
  private nextAt = 0;
  private out: Datagram[] = [];
  constructor(
    readonly addresses: TransportAddress[],
    private readonly target: TransportAddress,
    private readonly count: number,
    private readonly interval = 10,
    private readonly size = 100,
  ) {}
  deliver(_now: number, d: Datagram): void {
    this.replies.push(new DataView(d.data.buffer, d.data.byteOffset).getUint32(0));
    this.seenFrom.push(d.source);
  }
  drain(): Datagram[] {
    const o = this.out;
    this.out = [];
    return o;
  }
  pollTimeout(): number | undefined {
    return this.sent < this.count ? this.nextAt : undefined;
  }
  handleTimeout(now: number): void {
    if (now < this.nextAt || this.sent >= this.count) return;
    const data = new Uint8Array(this.size);
    new DataView(data.buffer).setUint32(0, this.sent++);
    this.out.push({ source: this.addresses[0]!, destination: this.target, data });
    this.nextAt = now + this.interval;
  }
}

describe('SimNetwork', () => {
  it('delivers everything in order on a perfect link, in virtual time', () => {
    const net = new SimNetwork({ conditions: { delay: 5 } });
    const echo = net.add(new Echo([{ address: '203.0.113.102', port: 1 }]));
    const ping = net.add(
      new Pinger([{ address: '203.0.113.101', port: 1 }], { address: '203.0.113.102', port: 1 }, 50),
    );
    const started = Date.now();
    net.runUntil(() => ping.replies.length === 50);
    assert.equal(echo.received, 50);
    assert.deepEqual(ping.replies, [...Array(50).keys()]);
    // 49 intervals of 10 ms plus a 10 ms round trip.
    assert.equal(net.now, 49 * 10 + 10);
    assert.ok(Date.now() - started < 2000);
  });

  it('is deterministic for a seed and applies loss, duplication and reordering', () => {
    const run = (seed: number) => {
      const net = new SimNetwork({
        seed,
        conditions: { delay: 5, jitter: 30, loss: 0.2, duplicate: 0.1, reorder: 0.2, reorderDelay: 40 },
      });
      net.add(new Echo([{ address: '203.0.113.102', port: 1 }]));
      const ping = net.add(
        new Pinger([{ address: '203.0.113.101', port: 1 }], { address: '203.0.113.102', port: 1 }, 500, 1),
      );
      net.runFor(5_000);
      return { replies: ping.replies, stats: { ...net.stats } };
    };
    const a = run(7);
    const b = run(7);
    const c = run(8);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.replies, c.replies);
    assert.ok(a.stats.lost > 100 && a.stats.lost < 300, `lost ${a.stats.lost}`);
    assert.ok(a.stats.duplicated > 20, `duplicated ${a.stats.duplicated}`);
    const sorted = [...a.replies].sort((x, y) => x - y);
    assert.notDeepEqual(a.replies, sorted, 'jitter and reorder should reorder');
  });

  it('drops datagrams above the MTU', () => {
    const net = new SimNetwork({ conditions: { mtu: 576 } });
    const echo = net.add(new Echo([{ address: '203.0.113.102', port: 1 }]));
    net.add(
      new Pinger([{ address: '203.0.113.101', port: 1 }], { address: '203.0.113.102', port: 1 }, 3, 10, 1200),
    );
    net.runFor(1000);
    assert.equal(echo.received, 0);
    assert.equal(net.stats.tooBig, 3);
  });

  it('translates through a NAT and filters unsolicited inbound traffic', () => {
    const net = new SimNetwork();
    net.addNat(
      new SimNat('203.0.113.1', ['198.51.100.22'], 'endpoint-independent', 'address-and-port-dependent'),
    );
    const echo = net.add(new Echo([{ address: '198.51.100.7', port: 9 }]));
    const ping = net.add(
      new Pinger([{ address: '198.51.100.22', port: 5 }], { address: '198.51.100.7', port: 9 }, 2),
    );
    net.runFor(100);
    assert.equal(echo.received, 2);
    assert.deepEqual(ping.replies, [0, 1]);
    // The echo saw the mapped address; a stranger sending to it is filtered.
    const stranger = net.add(
      new Pinger([{ address: '198.51.100.8', port: 1 }], { address: '203.0.113.1', port: 40_000 }, 1),
    );
    net.runFor(100);
    assert.equal(stranger.sent, 1);
    assert.equal(net.stats.unroutable, 1);
    assert.equal(ping.replies.length, 2);
  });
});
