import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StunMethod } from '../../src/stun/constants.js';
import { StunMessage } from '../../src/stun/message.js';
import { Prng, SimNetwork } from '../sim/network.js';
import { type MiniTurnOptions, MiniTurnServer } from './turn-server.js';
import { TurnClientNode } from './turn-sim.js';

const SERVER = { address: '203.0.113.101', port: 3478 };
const USERS = { alice: 'wonderland', bob: 'builder' };

function setup(
  serverOptions: Partial<MiniTurnOptions> = {},
  clientOptions: {
    transport?: 'udp' | 'tcp';
    useChannels?: boolean;
    credential?: string;
    lifetime?: number;
  } = {},
  seed = 1,
) {
  const net = new SimNetwork({ seed });
  const server = net.add(
    new MiniTurnServer(net, { address: SERVER, relayIp: '203.0.113.101', users: USERS, ...serverOptions }),
  );
  const client = (name: 'alice' | 'bob', ip: string) =>
    net.add(
      new TurnClientNode(
        { address: ip, port: 40000 },
        {
          server: SERVER,
          transport: clientOptions.transport ?? 'udp',
          username: name,
          credential: clientOptions.credential ?? USERS[name],
          useChannels: clientOptions.useChannels,
          lifetime: clientOptions.lifetime,
          url: 'turn:203.0.113.101:3478',
        },
      ),
    );
  return { net, server, client };
}

/** Allocate two clients and have each send to the other's relayed address every `period` ms. */
function exchange(
  net: SimNetwork,
  a: TurnClientNode,
  b: TurnClientNode,
  rounds: number,
  period: number,
): void {
  const ra = a.client.relayedAddress!;
  const rb = b.client.relayedAddress!;
  for (let i = 0; i < rounds; i++) {
    a.client.sendTo(net.now, rb, Buffer.from(`a${i}`));
    b.client.sendTo(net.now, ra, Buffer.from(`b${i}`));
    net.runFor(period);
  }
}

function allocatePair(net: SimNetwork, a: TurnClientNode, b: TurnClientNode): void {
  a.client.allocate(net.now);
  b.client.allocate(net.now);
  assert.ok(net.runUntil(() => a.client.state === 'allocated' && b.client.state === 'allocated', 10_000));
  // Each lets the other's relay in, as ICE does for remote candidates.
  a.client.createPermission(net.now, b.client.relayedAddress!);
  b.client.createPermission(net.now, a.client.relayedAddress!);
  net.runFor(100);
}

describe('TurnClient on the simulated network', () => {
  it('answers the 401 challenge with long-term credentials and allocates', () => {
    const { net, server, client } = setup();
    const a = client('alice', '198.51.100.22');
    a.client.allocate(net.now);
    assert.ok(net.runUntil(() => a.has('allocated'), 5_000));
    const ev = a.events.find((e) => e.type === 'allocated');
    assert.ok(ev?.type === 'allocated');
    assert.equal(ev.relayed.address, '203.0.113.101');
    assert.deepEqual(ev.mapped, { address: '198.51.100.22', port: 40000 });
    assert.equal(ev.lifetime, 600);
    assert.equal(server.counts.unauthorized, 1);
    assert.equal(server.counts.allocate, 1);
    assert.equal(a.client.state, 'allocated');
  });

  it('reports 401 with the URL on a wrong credential and leaves no allocation', () => {
    const { net, server, client } = setup({}, { credential: 'wrong' });
    const a = client('alice', '198.51.100.22');
    a.client.allocate(net.now);
    net.runFor(5_000);
    const err = a.error();
    assert.equal(err?.code, 401);
    assert.match(err?.reason ?? '', /username or credential/);
    assert.equal(
      a.events.find((e) => e.type === 'error' && e.url === 'turn:203.0.113.101:3478')?.type,
      'error',
    );
    assert.equal(a.client.state, 'failed');
    assert.equal(server.allocations.size, 0);
    assert.equal(server.counts.unauthorized, 2, 'one challenge, one refusal: no retry loop');
  });

  it('relays data both ways, moving from Send indications to ChannelData', () => {
    const { net, server, client } = setup();
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    allocatePair(net, a, b);
    exchange(net, a, b, 20, 50);
    assert.deepEqual(
      b.received.map((r) => r.text),
      Array.from({ length: 20 }, (_, i) => `a${i}`),
    );
    assert.deepEqual(
      a.received.map((r) => r.text),
      Array.from({ length: 20 }, (_, i) => `b${i}`),
    );
    assert.deepEqual(b.received[0]!.peer, a.client.relayedAddress);
    assert.ok(server.counts.sendIndications >= 2, 'first datagrams go as Send indications');
    assert.ok(server.counts.channelDataIn >= 30, 'later ones as ChannelData');
    assert.ok(server.counts.channelDataOut >= 30);
    assert.equal(a.client.channelFor(b.client.relayedAddress!), 0x4000);
  });

  it('uses only Send/Data indications when channels are off', () => {
    const { net, server, client } = setup({}, { useChannels: false });
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    allocatePair(net, a, b);
    exchange(net, a, b, 10, 50);
    assert.equal(b.received.length, 10);
    assert.equal(a.received.length, 10);
    assert.equal(server.counts.channelBind, 0);
    assert.equal(server.counts.channelDataIn, 0);
    assert.equal(server.counts.dataIndicationsOut, 20);
  });

  it('stays on Send indications when the server refuses ChannelBind', () => {
    const { net, server, client } = setup({ refuseChannels: true });
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    allocatePair(net, a, b);
    exchange(net, a, b, 20, 50);
    assert.equal(b.received.length, 20);
    assert.equal(a.received.length, 20);
    assert.equal(server.counts.channelBind, 2, 'one refused attempt per client, no retry storm');
    assert.equal(a.client.channelFor(b.client.relayedAddress!), undefined);
  });

  it('still understands a channel whose ChannelBind answer was lost', () => {
    const { net, client } = setup();
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    allocatePair(net, a, b);
    // Every ChannelBind success to Alice is lost: the server binds, Alice never hears it.
    net.tap = (d) => {
      const msg = StunMessage.tryParse(d.data);
      return !(
        msg?.method === StunMethod.ChannelBind &&
        msg.messageClass === 'success' &&
        d.destination.address === '198.51.100.22'
      );
    };
    a.client.sendTo(net.now, b.client.relayedAddress!, Buffer.from('hello'));
    net.runFor(60_000); // the ChannelBind transaction times out
    assert.equal(a.client.channelFor(b.client.relayedAddress!), undefined);
    // Bob's data reaches Alice as ChannelData on the channel the server bound.
    b.client.sendTo(net.now, a.client.relayedAddress!, Buffer.from('via channel'));
    net.runFor(1_000);
    assert.deepEqual(
      a.received.map((r) => r.text),
      ['via channel'],
    );
    assert.equal(a.client.stats.unknownChannel, 0);
    // Alice keeps sending with indications.
    a.client.sendTo(net.now, b.client.relayedAddress!, Buffer.from('again'));
    net.runFor(1_000);
    assert.deepEqual(
      b.received.map((r) => r.text),
      ['hello', 'again'],
    );
  });

  it('queues data until the permission is granted, with a bound', () => {
    const { net, client } = setup({}, { useChannels: false });
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    allocatePair(net, a, b);
    const peer = { address: '203.0.113.177', port: 55555 }; // nobody: only the queue matters here
    for (let i = 0; i < 100; i++) a.client.sendTo(net.now, peer, Buffer.from(`q${i}`));
    assert.equal(a.client.stats.droppedSends, 36, 'at most 64 wait for a permission');
    net.runFor(1_000);
    assert.ok(a.client.hasPermission('203.0.113.177'));
  });

  it('holds permissions and data asked for before the allocation exists', () => {
    const { net, client } = setup();
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    b.client.allocate(net.now);
    assert.ok(net.runUntil(() => b.client.state === 'allocated'));
    b.client.createPermission(net.now, { address: '203.0.113.101', port: 1 });
    // Alice asks for a permission and sends before she has an allocation: both wait for it.
    a.client.createPermission(net.now, b.client.relayedAddress!);
    a.client.sendTo(net.now, b.client.relayedAddress!, Buffer.from('early'));
    assert.equal(a.client.pollTransmit(), undefined, 'nothing goes out before allocate()');
    a.client.allocate(net.now);
    assert.ok(net.runUntil(() => b.received.length === 1, 5_000));
    assert.equal(b.received[0]!.text, 'early');
    assert.deepEqual(b.received[0]!.peer, a.client.relayedAddress);
  });

  it('refreshes allocation, permissions and channels over 25 minutes of traffic', () => {
    const { net, server, client } = setup({ maxLifetime: 120 });
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    allocatePair(net, a, b);
    exchange(net, a, b, 150, 10_000); // 25 minutes, a datagram each way every 10 s
    assert.equal(b.received.length, 150, 'nothing lost to an expired permission, channel or allocation');
    assert.equal(a.received.length, 150);
    assert.equal(a.client.state, 'allocated');
    assert.equal(a.client.lifetime, 120);
    // 120 s lifetime → refresh every 60 s; permission every 240 s; channel every 540 s.
    assert.ok(server.counts.refresh >= 2 * 24, `refreshes: ${server.counts.refresh}`);
    assert.ok(server.counts.createPermission >= 2 * 6, `permissions: ${server.counts.createPermission}`);
    assert.ok(server.counts.channelBind >= 2 * 3, `channel binds: ${server.counts.channelBind}`);
    assert.ok(a.events.filter((e) => e.type === 'refreshed').length >= 24);
  });

  it('retries a refresh whose whole transaction was lost, until the allocation expires', () => {
    const { net, server, client } = setup();
    const a = client('alice', '198.51.100.22');
    a.client.allocate(net.now);
    assert.ok(net.runUntil(() => a.client.state === 'allocated'));
    // Black-hole every Refresh for 45 s from the first one (at 540 s): longer than one transaction (39.5 s).
    let blackHoleUntil = Number.POSITIVE_INFINITY;
    net.tap = (d, now) => {
      const msg = StunMessage.tryParse(d.data);
      if (msg?.method !== StunMethod.Refresh || msg.messageClass !== 'request') return true;
      if (blackHoleUntil === Number.POSITIVE_INFINITY) blackHoleUntil = now + 45_000;
      return now >= blackHoleUntil;
    };
    net.runFor(600_000);
    assert.equal(a.client.state, 'allocated', JSON.stringify(a.error()));
    assert.ok(a.has('refreshed'));
    assert.equal(server.allocations.size, 1);
  });

  it('recovers from 438 Stale Nonce on every kind of request', () => {
    const { net, server, client } = setup({ nonceLifetime: 30_000, maxLifetime: 100 });
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    allocatePair(net, a, b);
    exchange(net, a, b, 70, 10_000); // nonces go stale every 30 s
    assert.ok(server.counts.stale >= 10, `438s: ${server.counts.stale}`);
    assert.equal(b.received.length, 70);
    assert.equal(a.received.length, 70);
    assert.equal(a.client.state, 'allocated');
    assert.equal(a.error(), undefined);
  });

  it('follows 300 Try-Alternate to the other server', () => {
    const net = new SimNetwork({ seed: 3 });
    const alternate = { address: '203.0.113.109', port: 3478 };
    net.add(new MiniTurnServer(net, { address: SERVER, relayIp: '203.0.113.101', users: USERS, alternate }));
    const real = net.add(
      new MiniTurnServer(net, { address: alternate, relayIp: '203.0.113.109', users: USERS }),
    );
    const a = net.add(
      new TurnClientNode(
        { address: '198.51.100.22', port: 40000 },
        { server: SERVER, transport: 'udp', username: 'alice', credential: USERS.alice },
      ),
    );
    a.client.allocate(net.now);
    assert.ok(net.runUntil(() => a.client.state === 'allocated', 5_000));
    assert.equal(a.client.relayedAddress?.address, '203.0.113.109');
    assert.deepEqual(a.client.server, alternate);
    assert.ok(a.events.some((e) => e.type === 'redirected'));
    assert.equal(real.allocations.size, 1);
  });

  it('gives up on a redirect loop with 300', () => {
    const net = new SimNetwork({ seed: 3 });
    net.add(
      new MiniTurnServer(net, { address: SERVER, relayIp: '203.0.113.101', users: USERS, alternate: SERVER }),
    );
    const a = net.add(
      new TurnClientNode(
        { address: '198.51.100.22', port: 40000 },
        { server: SERVER, transport: 'udp', username: 'alice', credential: USERS.alice },
      ),
    );
    a.client.allocate(net.now);
    net.runFor(5_000);
    assert.equal(a.error()?.code, 300);
  });

  it('reports 486 when the quota is reached, and close() frees the allocation', () => {
    const { net, server, client } = setup({ maxAllocations: 1 });
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    a.client.allocate(net.now);
    assert.ok(net.runUntil(() => a.client.state === 'allocated', 5_000));
    b.client.allocate(net.now);
    net.runFor(5_000);
    assert.equal(b.error()?.code, 486);
    a.client.close(net.now);
    assert.ok(net.runUntil(() => a.has('closed'), 5_000));
    assert.equal(a.client.state, 'closed');
    assert.equal(server.counts.deallocated, 1);
    assert.equal(server.allocations.size, 0);
    const c = client('bob', '198.51.100.24');
    c.client.allocate(net.now);
    assert.ok(net.runUntil(() => c.client.state === 'allocated', 5_000));
  });

  it('reports 701 when the server never answers', () => {
    const net = new SimNetwork({ seed: 4 });
    const a = net.add(
      new TurnClientNode(
        { address: '198.51.100.22', port: 40000 },
        { server: SERVER, transport: 'udp', username: 'alice', credential: 'x', timing: { maxSends: 3 } },
      ),
    );
    a.client.allocate(net.now);
    net.runFor(60_000);
    assert.equal(a.error()?.code, 701);
    assert.equal(a.client.state, 'failed');
    assert.equal(a.client.pollTimeout(), undefined, 'no timers left behind');
  });

  it('allocates and relays under 20% loss with reordering and duplication', () => {
    const { net, client } = setup({}, {}, 7);
    net.conditions = {
      ...net.conditions,
      loss: 0.2,
      duplicate: 0.1,
      reorder: 0.2,
      reorderDelay: 30,
      jitter: 5,
    };
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    a.client.allocate(net.now);
    b.client.allocate(net.now);
    assert.ok(
      net.runUntil(() => a.client.state === 'allocated' && b.client.state === 'allocated', 60_000),
      `states ${a.client.state} ${b.client.state} ${JSON.stringify([a.error(), b.error()])}`,
    );
    a.client.createPermission(net.now, b.client.relayedAddress!);
    b.client.createPermission(net.now, a.client.relayedAddress!);
    assert.ok(
      net.runUntil(() => a.client.hasPermission('203.0.113.101') && b.client.hasPermission('203.0.113.101')),
      'permissions granted despite loss',
    );
    exchange(net, a, b, 100, 100);
    // Relayed data is unreliable: most of it arrives, none of it is corrupted, none is invented.
    assert.ok(b.received.length >= 40, `received ${b.received.length}`);
    assert.ok(b.received.every((r) => /^a\d+$/.test(r.text)));
    assert.equal(a.client.stats.integrityFailures, 0);
  });

  it('works over a TCP stream cut into random chunks (RFC 8656 §11.5 framing)', () => {
    const { net, server, client } = setup({ stream: new Prng(11) }, { transport: 'tcp' });
    const a = client('alice', '198.51.100.22');
    const b = client('bob', '198.51.100.23');
    allocatePair(net, a, b);
    exchange(net, a, b, 30, 20);
    assert.equal(b.received.length, 30);
    assert.equal(a.received.length, 30);
    assert.deepEqual(b.received.map((r) => r.text).slice(-3), ['a27', 'a28', 'a29']);
    assert.ok(server.counts.channelDataOut > 20, 'padded ChannelData over the stream');
    assert.equal(a.client.stats.malformed, 0);
  });

  it('drops a success response whose MESSAGE-INTEGRITY is wrong', () => {
    const { net, client } = setup();
    const a = client('alice', '198.51.100.22');
    // Intercept the authenticated Allocate and answer it first with a forged success.
    let forged = 0;
    net.tap = (d) => {
      const msg = StunMessage.tryParse(d.data);
      if (msg?.method === StunMethod.Allocate && msg.messageClass === 'request' && msg.username && !forged) {
        forged++;
        const res = msg.createResponse('success').setXorRelayedAddress({ address: '192.0.2.66', port: 666 });
        a.client.handleInput(net.now, res.serialize({ integrityKey: new Uint8Array(16), fingerprint: true }));
      }
      return true;
    };
    a.client.allocate(net.now);
    assert.ok(net.runUntil(() => a.client.state === 'allocated', 5_000));
    assert.equal(forged, 1);
    assert.equal(a.client.stats.integrityFailures, 1);
    assert.equal(a.client.relayedAddress?.address, '203.0.113.101');
  });
});
