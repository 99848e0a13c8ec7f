import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimNat, SimNetwork } from '../sim/network.js';
import { connected, SimIcePeer, SimStunServer, samePath, signal } from './sim-ice.js';

function pairOfPeers(
  net: SimNetwork,
  aOptions: ConstructorParameters<typeof SimIcePeer>[2] = {},
  bOptions: ConstructorParameters<typeof SimIcePeer>[2] = {},
): [SimIcePeer, SimIcePeer] {
  const a = net.add(
    new SimIcePeer('a', ['203.0.113.101', '203.0.113.201'], { role: 'controlling', seed: 1, ...aOptions }),
  );
  const b = net.add(
    new SimIcePeer('b', ['203.0.113.102', '203.0.113.202'], { role: 'controlled', seed: 2, ...bOptions }),
  );
  a.addHostCandidates();
  b.addHostCandidates();
  a.agent.setLocalCandidatesComplete();
  b.agent.setLocalCandidatesComplete();
  return [a, b];
}

function exchangeData(net: SimNetwork, a: SimIcePeer, b: SimIcePeer): void {
  for (let i = 0; i < 20; i++) {
    assert.ok(a.sendData(new Uint8Array([0x80, i])));
    assert.ok(b.sendData(new Uint8Array([0x81, i])));
  }
  net.runFor(200);
}

describe('IceAgent on the simulated network', () => {
  for (const [loss, seed] of [
    [0, 11],
    [0.1, 12],
    [0.3, 13],
  ] as const) {
    it(`connects at ${loss * 100}% loss with reordering and passes data both ways`, () => {
      for (let run = 0; run < 3; run++) {
        const net = new SimNetwork({
          seed: seed * 10 + run,
          conditions: { delay: 10, jitter: 20, loss, reorder: 0.2, reorderDelay: 30, duplicate: 0.05 },
        });
        const [a, b] = pairOfPeers(net);
        signal(net, a, b);
        signal(net, b, a);
        assert.ok(
          net.runUntil(() => connected(a, b), 30_000),
          `run ${run}: ${a.state}/${b.state}`,
        );
        assert.ok(samePath(a, b), 'both sides select the same path');
        assert.equal(a.agent.role, 'controlling');
        assert.equal(b.agent.role, 'controlled');
        if (loss === 0) {
          // Without loss nomination completes the check lists on both sides.
          net.runFor(3000);
          assert.equal(a.state, 'completed');
          assert.equal(b.state, 'completed');
          net.conditions.loss = 0;
          exchangeData(net, a, b);
          assert.ok(a.received.length >= 20 && b.received.length >= 20);
        }
      }
    });
  }

  it('connects with either side controlling and starts in checking', () => {
    for (const roles of [
      ['controlled', 'controlling'],
      ['controlling', 'controlled'],
    ] as const) {
      const net = new SimNetwork({ seed: 5, conditions: { delay: 5 } });
      const [a, b] = pairOfPeers(net, { role: roles[0] }, { role: roles[1] });
      signal(net, a, b);
      signal(net, b, a);
      assert.ok(net.runUntil(() => connected(a, b), 10_000));
      assert.equal(a.states[0], 'checking');
      assert.ok(a.states.includes('connected'));
      assert.equal(a.agent.role, roles[0]);
      assert.ok(a.agent.getStats().some((s) => s.nominated && s.selected));
    }
  });

  it('regular nomination nominates exactly one pair, the best valid one', () => {
    const net = new SimNetwork({ seed: 8, conditions: { delay: 5 } });
    const [a, b] = pairOfPeers(net, { nomination: 'regular' });
    signal(net, a, b);
    signal(net, b, a);
    assert.ok(net.runUntil(() => connected(a, b), 10_000));
    net.runFor(2000);
    const nominated = a.agent.getStats().filter((s) => s.nominated);
    assert.equal(nominated.length, 1);
    const best = a.agent.getStats().filter((s) => s.state === 'succeeded')[0]!;
    assert.equal(nominated[0]!.id, best.id);
    // The controlling side's selected pair is the highest-priority one: host 0 to host 0.
    assert.equal(a.agent.getSelectedPair()!.local.address, '203.0.113.101');
    assert.equal(a.agent.getSelectedPair()!.remote.address, '203.0.113.102');
    assert.equal(b.agent.getSelectedPair()!.remote.address, '203.0.113.101');
  });

  it('aggressive nomination selects on the first successful check', () => {
    const net = new SimNetwork({ seed: 9, conditions: { delay: 5 } });
    const [a, b] = pairOfPeers(net, { nomination: 'aggressive' });
    signal(net, a, b);
    signal(net, b, a);
    assert.ok(net.runUntil(() => connected(a, b), 10_000));
    // With aggressive nomination the first success already nominates: no extra USE-CANDIDATE round trip.
    const firstSelection = a.events.findIndex((e) => e.type === 'selectedpairchange');
    assert.ok(firstSelection >= 0);
    assert.ok(net.now < 200, `connected at ${net.now} ms`);
    net.runFor(2000);
    assert.ok(samePath(a, b));
    assert.ok(b.agent.getStats().some((s) => s.nominated));
  });

  it('learns peer-reflexive candidates when one side never gets the other’s candidates', () => {
    const net = new SimNetwork({ seed: 10, conditions: { delay: 5 } });
    const [a, b] = pairOfPeers(net);
    // a learns b's parameters but no candidates; b learns everything.
    signal(net, b, a, { candidates: false, endOfCandidates: true });
    signal(net, a, b);
    assert.ok(net.runUntil(() => connected(a, b), 10_000));
    const learned = a.events.filter((e) => e.type === 'remotecandidate');
    assert.ok(learned.length >= 1);
    for (const e of learned) if (e.type === 'remotecandidate') assert.equal(e.candidate.type, 'prflx');
    assert.equal(a.agent.getSelectedPair()!.remote.type, 'prflx');
    assert.ok(a.agent.getRemoteCandidates().every((c) => c.type === 'prflx'));
  });

  it('trickles late candidates in both directions and completes on end-of-candidates', () => {
    const net = new SimNetwork({ seed: 14, conditions: { delay: 5 } });
    const a = net.add(new SimIcePeer('a', ['203.0.113.101'], { role: 'controlling', seed: 1 }));
    const b = net.add(
      new SimIcePeer('b', ['203.0.113.250', '203.0.113.102'], { role: 'controlled', seed: 2 }),
    );
    // Parameters first, no candidates yet on either side.
    a.agent.setRemoteParameters(net.now, b.agent.localParameters);
    b.agent.setRemoteParameters(net.now, a.agent.localParameters);
    net.runFor(1000);
    assert.equal(a.state, 'new');
    a.addHostCandidates();
    for (const c of a.agent.getLocalCandidates()) b.agent.addRemoteCandidate(net.now, c);
    net.runFor(500);
    // b's first socket sits on an unroutable address: its candidate arrives first and fails.
    const [unreachable, good] = b.addHostCandidates();
    a.agent.addRemoteCandidate(net.now, unreachable!);
    net.runFor(300);
    a.agent.addRemoteCandidate(net.now, good!);
    assert.ok(net.runUntil(() => connected(a, b), 10_000));
    assert.notEqual(a.state, 'completed', 'no completion before end-of-candidates');
    a.agent.setLocalCandidatesComplete();
    b.agent.setLocalCandidatesComplete();
    a.agent.addRemoteCandidate(net.now, null);
    b.agent.addRemoteCandidate(net.now, null);
    net.runFor(20_000);
    assert.equal(a.state, 'completed');
    assert.equal(b.state, 'completed');
  });

  it('connects through NATs with server-reflexive candidates', () => {
    const net = new SimNetwork({ seed: 15, conditions: { delay: 10 } });
    net.addNat(
      new SimNat('198.51.100.1', ['198.51.100.30'], 'endpoint-independent', 'address-and-port-dependent'),
    );
    net.addNat(
      new SimNat('198.51.100.2', ['198.51.100.40'], 'endpoint-independent', 'address-and-port-dependent'),
    );
    const stun = net.add(new SimStunServer({ address: '198.51.100.200', port: 3478 }));
    const a = net.add(new SimIcePeer('a', ['198.51.100.30'], { role: 'controlling', seed: 1 }));
    const b = net.add(new SimIcePeer('b', ['198.51.100.40'], { role: 'controlled', seed: 2 }));
    a.addHostCandidates();
    b.addHostCandidates();
    a.querySrflx(stun.address);
    b.querySrflx(stun.address);
    net.runFor(200);
    assert.ok(a.agent.getLocalCandidates().some((c) => c.type === 'srflx' && c.address === '198.51.100.1'));
    signal(net, a, b);
    signal(net, b, a);
    assert.ok(
      net.runUntil(() => connected(a, b), 15_000),
      `${a.state}/${b.state}`,
    );
    const sel = a.agent.getSelectedPair()!;
    // Checks go out of the host base; the peer sees (and the valid pair names) the NAT's mapping.
    assert.equal(sel.local.type, 'srflx');
    assert.equal(sel.local.address, '198.51.100.1');
    assert.equal(sel.remote.address, '198.51.100.2');
    assert.ok(
      a.agent.getStats().every((s) => s.id.startsWith('a-sock0|')),
      'srflx is paired through its base',
    );
    assert.ok(a.sendData(new Uint8Array([0x80, 1])));
    net.runFor(100);
    assert.equal(b.received.length, 1);
  });

  it('learns a local peer-reflexive candidate behind a NAT without a STUN server', () => {
    const net = new SimNetwork({ seed: 18, conditions: { delay: 10 } });
    net.addNat(new SimNat('198.51.100.1', ['198.51.100.30'], 'endpoint-independent', 'endpoint-independent'));
    const a = net.add(new SimIcePeer('a', ['198.51.100.30'], { role: 'controlling', seed: 1 }));
    const b = net.add(new SimIcePeer('b', ['198.51.100.7'], { role: 'controlled', seed: 2 }));
    a.addHostCandidates();
    b.addHostCandidates();
    signal(net, a, b);
    signal(net, b, a);
    assert.ok(
      net.runUntil(() => connected(a, b), 15_000),
      `${a.state}/${b.state}`,
    );
    const local = a.agent.getSelectedPair()!.local;
    assert.equal(local.type, 'prflx');
    assert.equal(local.address, '198.51.100.1');
    assert.equal(local.relatedAddress, '198.51.100.30');
    assert.equal(b.agent.getSelectedPair()!.remote.type, 'prflx', 'b learned the same address from checks');
    assert.ok(
      a.agent.getLocalCandidates().every((c) => c.type === 'host'),
      'prflx locals are not announced',
    );
  });

  it('pairs IPv6 with IPv6 and IPv4 with IPv4 only', () => {
    const net = new SimNetwork({ seed: 17, conditions: { delay: 5 } });
    const a = net.add(new SimIcePeer('a', ['fd00::1', '203.0.113.101'], { role: 'controlling', seed: 1 }));
    const b = net.add(new SimIcePeer('b', ['fd00::2'], { role: 'controlled', seed: 2 }));
    a.addHostCandidates();
    b.addHostCandidates();
    signal(net, a, b);
    signal(net, b, a);
    assert.ok(net.runUntil(() => connected(a, b), 10_000));
    const stats = a.agent.getStats();
    assert.equal(stats.length, 1, 'the IPv4 host has no IPv6 partner');
    assert.equal(a.agent.getSelectedPair()!.remote.address, 'fd00::2');
    assert.ok(b.sendData(new Uint8Array([0x80])));
    net.runFor(50);
    assert.equal(a.received.length, 1);
  });

  it('fails when no pair works and both sides signalled end-of-candidates', () => {
    const net = new SimNetwork({ seed: 16, conditions: { delay: 5, loss: 1 } });
    const [a, b] = pairOfPeers(net);
    signal(net, a, b);
    signal(net, b, a);
    assert.ok(net.runUntil(() => a.state === 'failed' && b.state === 'failed', 60_000));
    assert.equal(a.agent.send(new Uint8Array([1])), undefined);
    assert.deepEqual(a.states, ['checking', 'failed']);
  });
});
