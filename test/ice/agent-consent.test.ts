import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimNetwork } from '../sim/network.js';
import { connected, SimIcePeer, signal } from './sim-ice.js';

function connectedPair(seed: number): { net: SimNetwork; a: SimIcePeer; b: SimIcePeer } {
  const net = new SimNetwork({ seed, conditions: { delay: 10 } });
  const a = net.add(new SimIcePeer('a', ['203.0.113.101'], { role: 'controlling', seed: 1 }));
  const b = net.add(new SimIcePeer('b', ['203.0.113.102'], { role: 'controlled', seed: 2 }));
  a.addHostCandidates();
  b.addHostCandidates();
  signal(net, a, b);
  signal(net, b, a);
  assert.ok(net.runUntil(() => connected(a, b), 10_000));
  return { net, a, b };
}

describe('IceAgent consent freshness (RFC 7675)', () => {
  it('keeps an idle connection alive with consent checks every 2.5 s ±20%', () => {
    const { net, a } = connectedPair(31);
    const before = a.agent.getStats().find((s) => s.selected)!.consentRequestsSent;
    net.runFor(60_000);
    const after = a.agent.getStats().find((s) => s.selected)!.consentRequestsSent;
    assert.ok(after - before >= 19 && after - before <= 31, `${after - before} consent checks in 60 s`);
    assert.ok(a.state === 'connected' || a.state === 'completed');
  });

  it('does not flap to disconnected on a 10% lossy path', () => {
    for (const seed of [35, 36, 37]) {
      const { net, a, b } = connectedPair(seed);
      net.conditions.loss = 0.1;
      net.conditions.jitter = 10;
      net.runFor(600_000);
      assert.ok(!a.states.includes('disconnected') && !b.states.includes('disconnected'), `seed ${seed}`);
      assert.ok(connected(a, b));
    }
  });

  it('turns disconnected about 5 s after the peer vanishes, then failed at 15 s, and stops sending', () => {
    const { net, a, b } = connectedPair(32);
    const vanishedAt = net.now;
    net.tap = (d) => d.source.address !== '203.0.113.102' && d.destination.address !== '203.0.113.102';
    assert.ok(
      net.runUntil(() => a.state === 'disconnected', 15_000),
      a.state,
    );
    const disconnectedAt = net.now;
    // The last consent response came at most one interval (3 s) before the peer vanished.
    assert.ok(
      disconnectedAt - vanishedAt >= 2000 && disconnectedAt - vanishedAt <= 5600,
      `disconnected after ${disconnectedAt - vanishedAt} ms`,
    );
    assert.ok(a.sendData(new Uint8Array([0x80])), 'data may still be sent while disconnected');
    assert.ok(
      net.runUntil(() => a.state === 'failed', 40_000),
      a.state,
    );
    const failedAfter = net.now - vanishedAt;
    assert.ok(failedAfter >= 12_000 && failedAfter <= 15_100, `failed after ${failedAfter} ms`);
    assert.equal(a.agent.send(new Uint8Array([0x80])), undefined, 'no sending without consent');
    assert.equal(b.state === 'failed' || b.state === 'disconnected', true);
    // Once failed the agent stays quiet.
    const sent = a.sentLog.length;
    net.runFor(60_000);
    assert.equal(a.sentLog.length, sent);
  });

  it('returns to connected when consent resumes', () => {
    const { net, a } = connectedPair(33);
    net.tap = (d) => d.source.address !== '203.0.113.102';
    assert.ok(net.runUntil(() => a.state === 'disconnected', 15_000));
    net.runFor(5000);
    assert.equal(a.state, 'disconnected');
    net.tap = undefined;
    assert.ok(
      net.runUntil(() => a.state === 'connected', 5000),
      a.state,
    );
    assert.deepEqual(a.states.slice(-2), ['disconnected', 'connected']);
    net.runFor(60_000);
    assert.equal(a.state, 'connected');
  });
});

describe('IceAgent restart', () => {
  it('keeps the old pair usable until checks with new credentials select a new one', () => {
    const { net, a, b } = connectedPair(34);
    const oldA = a.agent.localParameters;
    const newA = a.agent.restart(net.now);
    const newB = b.agent.restart(net.now);
    assert.notEqual(newA.usernameFragment, oldA.usernameFragment);
    assert.notEqual(newA.password, oldA.password);
    assert.deepEqual(a.agent.getRemoteCandidates(), []);
    // Media keeps flowing on the old pair while new checks have not run.
    assert.ok(a.sendData(new Uint8Array([0x80, 1])));
    assert.ok(b.sendData(new Uint8Array([0x80, 2])));
    net.runFor(8000);
    assert.equal(b.received.length, 1);
    assert.equal(a.received.length, 1);
    assert.ok(a.state === 'connected' || a.state === 'disconnected' || a.state === 'completed');
    assert.notEqual(a.state, 'failed');
    const selections = a.events.filter((e) => e.type === 'selectedpairchange').length;
    // New candidates (the same sockets) and new parameters: checks start over.
    signal(net, a, b);
    signal(net, b, a);
    assert.equal(newB.usernameFragment, b.agent.localParameters.usernameFragment);
    assert.ok(
      net.runUntil(() => a.events.filter((e) => e.type === 'selectedpairchange').length > selections, 10_000),
    );
    net.runFor(1000);
    assert.ok(connected(a, b));
    // Consent now runs with the new credentials and stays fresh.
    net.runFor(40_000);
    assert.ok(connected(a, b), `${a.state}/${b.state}`);
    assert.equal(a.agent.counters.unauthorized, 0);
    assert.throws(() => a.agent.restart(net.now, newA), { name: 'InvalidStateError' });
  });
});
