import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, makeMessages, makePair, sha256 } from './harness.js';

describe('SCTP partial reliability, liveness, shutdown and limits', () => {
  for (const interleaving of [true, false]) {
    it(`maxRetransmits=0 gives up on lost messages and never stalls (${interleaving ? 'I-FORWARD-TSN' : 'FORWARD-TSN'})`, () => {
      const { net, client, server } = makePair(
        { delay: 10, loss: 0.2 },
        3,
        { interleaving, rtoMin: 50 },
        { interleaving },
      );
      assert.equal(connect(net, client, server), true);
      const msgs = makeMessages(5, 200, 3000, 4);
      for (const m of msgs) client.assoc.send(net.now, 1, 53, m, { maxRetransmits: 0 });
      // A reliable message queued afterwards on another stream must still arrive.
      client.assoc.send(net.now, 2, 51, new TextEncoder().encode('reliable tail'));
      const ok = net.runUntil(
        () => server.messages.some((m) => m.streamId === 2) && client.assoc.sender!.outstanding === 0,
        600_000,
      );
      assert.equal(ok, true, 'association kept going');
      const got = server.messages.filter((m) => m.streamId === 1);
      assert.ok(got.length < msgs.length, `some were given up (${got.length}/${msgs.length})`);
      assert.ok(got.length > msgs.length / 3, 'most still arrive');
      assert.ok(client.assoc.sender!.stats.abandoned > 0);
      // What arrived is intact and in order.
      const indexes = got.map((m) => new DataView(m.data.buffer, m.data.byteOffset).getUint32(0));
      assert.deepEqual(
        indexes,
        [...indexes].sort((a, b) => a - b),
      );
      for (const m of got)
        assert.equal(
          sha256([m.data]),
          sha256([msgs[new DataView(m.data.buffer, m.data.byteOffset).getUint32(0)]!]),
        );
    });
  }

  it('maxPacketLifeTime abandons messages that cannot be delivered in time', () => {
    const { net, client, server } = makePair({ delay: 10 }, 4, { rtoMin: 50 });
    assert.equal(connect(net, client, server), true);
    net.tap = () => false; // black hole
    for (let i = 0; i < 20; i++)
      client.assoc.send(net.now, 3, 53, new Uint8Array(1000), { maxPacketLifeTime: 100 });
    net.runFor(400);
    net.tap = undefined;
    client.assoc.send(net.now, 3, 51, new TextEncoder().encode('after'));
    assert.equal(
      net.runUntil(() => server.messages.length > 0, 60_000),
      true,
    );
    assert.deepEqual(
      server.messages.map((m) => m.ppid),
      [51],
      'only the message sent after the outage arrives',
    );
  });

  it('large messages on one stream do not block small ones on another with I-DATA', () => {
    const { net, client, server } = makePair(
      { delay: 5 },
      9,
      { maxMessageSize: 262_144 },
      { maxMessageSize: 262_144 },
    );
    assert.equal(connect(net, client, server), true);
    const big = makeMessages(1, 4, 262_144, 262_144);
    for (const m of big) client.assoc.send(net.now, 0, 53, m);
    for (let i = 0; i < 10; i++) client.assoc.send(net.now, 1, 51, Uint8Array.of(i));
    assert.equal(
      net.runUntil(() => server.messages.length === 14, 120_000),
      true,
    );
    const firstBig = server.messages.findIndex((m) => m.streamId === 0);
    const lastSmall = server.messages.map((m) => m.streamId).lastIndexOf(1);
    assert.ok(
      lastSmall < firstBig + 2,
      `small messages interleave (last small ${lastSmall}, first big ${firstBig})`,
    );
    assert.equal(sha256(server.messages.filter((m) => m.streamId === 0).map((m) => m.data)), sha256(big));
  });

  it('large messages up to the limit and small ones on other streams all arrive intact without I-DATA', () => {
    const opts = { maxMessageSize: 262_144, interleaving: false };
    const { net, client, server } = makePair({ delay: 5, loss: 0.02 }, 10, opts, opts);
    assert.equal(connect(net, client, server), true);
    assert.equal(client.assoc.peerInterleaving, false);
    const big = makeMessages(2, 4, 262_144, 262_144);
    const small = makeMessages(3, 20, 200, 4);
    for (const [i, m] of big.entries()) {
      client.assoc.send(net.now, 0, 53, m);
      for (const s of small.slice(i * 5, i * 5 + 5)) client.assoc.send(net.now, 1, 53, s);
    }
    assert.equal(
      net.runUntil(() => server.messages.length === 24, 300_000),
      true,
    );
    assert.equal(sha256(server.messages.filter((m) => m.streamId === 0).map((m) => m.data)), sha256(big));
    assert.equal(sha256(server.messages.filter((m) => m.streamId === 1).map((m) => m.data)), sha256(small));
  });

  it('detects a dead peer with heartbeats', () => {
    const { net, client, server } = makePair({ delay: 5 }, 2, {
      heartbeatInterval: 1000,
      rtoMax: 2000,
      maxRetransmissions: 4,
    });
    assert.equal(connect(net, client, server), true);
    net.runFor(5000);
    assert.equal(client.assoc.state, 'established', 'heartbeats answered while alive');
    net.tap = (d) => d.source.address !== server.address.address; // the server goes silent
    const dead = net.runUntil(() => client.has('closed'), 120_000);
    assert.equal(dead, true);
    assert.deepEqual(
      client.events.find((e) => e.type === 'closed'),
      { type: 'closed', reason: 'dead-peer' },
    );
  });

  it('shuts down gracefully from either side after delivering queued data', () => {
    for (const side of ['client', 'server'] as const) {
      const { net, client, server } = makePair({ delay: 5, loss: 0.05 }, 12);
      assert.equal(connect(net, client, server), true);
      const [closer, other] = side === 'client' ? [client, server] : [server, client];
      const msgs = makeMessages(3, 50, 4000, 4);
      for (const m of msgs) closer.assoc.send(net.now, 0, 53, m);
      closer.assoc.shutdown(net.now);
      assert.equal(closer.assoc.send(net.now, 0, 53, Uint8Array.of(1)), false, 'no sends after shutdown');
      assert.equal(
        net.runUntil(() => client.assoc.closed && server.assoc.closed, 120_000),
        true,
      );
      assert.equal(sha256(other.messages.map((m) => m.data)), sha256(msgs));
      assert.deepEqual(closer.events.at(-1), { type: 'closed', reason: 'shutdown' });
      assert.deepEqual(other.events.at(-1), { type: 'closed', reason: 'shutdown' });
    }
  });

  it('ABORT closes the peer at once: a user-initiated one as a normal close, others as an abort', () => {
    for (const [reason, seen] of [
      ['abort', 'peer-close'],
      ['dead-peer', 'peer-abort'],
    ] as const) {
      const { net, client, server } = makePair({ delay: 5 });
      assert.equal(connect(net, client, server), true);
      client.assoc.abort(net.now, reason);
      assert.equal(
        net.runUntil(() => server.assoc.closed, 1000),
        true,
      );
      assert.deepEqual(server.events.at(-1), { type: 'closed', reason: seen });
    }
  });

  it('a peer that never acknowledges cannot make us buffer without bound', () => {
    const { net, client, server } = makePair({ delay: 5 }, 1, {
      maxSendBuffer: 1 << 20,
      rtoMax: 1000,
      heartbeatInterval: 0,
    });
    assert.equal(connect(net, client, server), true);
    net.tap = (d) => d.source.address !== server.address.address;
    let accepted = 0;
    for (let i = 0; i < 100; i++)
      if (client.assoc.send(net.now, 0, 53, new Uint8Array(64 * 1024))) accepted++;
    assert.ok(accepted <= 16, `send buffer capped (${accepted} accepted)`);
    net.runFor(60_000);
    assert.ok(client.assoc.sender!.outstanding < 1000);
    assert.equal(client.assoc.closed, true, 'eventually declared dead by retransmission limit');
  });

  it('a zero receive window is probed, not flooded, and the stream resumes', () => {
    const { net, client, server } = makePair({ delay: 5 }, 1, {}, { receiveWindow: 8000 });
    assert.equal(connect(net, client, server), true);
    const msgs = makeMessages(8, 40, 6000, 4);
    for (const m of msgs) client.assoc.send(net.now, 0, 53, m);
    assert.equal(
      net.runUntil(() => server.messages.length === msgs.length, 300_000),
      true,
    );
    assert.equal(sha256(server.messages.map((m) => m.data)), sha256(msgs));
    assert.ok(server.assoc.receiver!.stats.droppedWindow >= 0);
  });

  it('stream reset restarts sequence numbers and is reported on both sides', () => {
    const { net, client, server } = makePair({ delay: 5 });
    assert.equal(connect(net, client, server), true);
    client.assoc.send(net.now, 4, 51, Uint8Array.of(1));
    client.assoc.resetStreams(net.now, [4, 60_000]);
    const resets = () => server.events.flatMap((e) => (e.type === 'incoming-reset' ? e.streams : []));
    const outgoing = () => client.events.flatMap((e) => (e.type === 'outgoing-reset' ? e.streams : []));
    assert.equal(
      net.runUntil(() => outgoing().includes(4) && resets().includes(4), 10_000),
      true,
    );
    assert.deepEqual(resets().sort(), [4, 60_000], 'each stream reset once, after its queued data');
    client.assoc.send(net.now, 4, 51, Uint8Array.of(2));
    assert.equal(
      net.runUntil(() => server.messages.length === 2, 10_000),
      true,
    );
    assert.deepEqual(
      server.messages.map((m) => m.data[0]),
      [1, 2],
    );
  });
});
