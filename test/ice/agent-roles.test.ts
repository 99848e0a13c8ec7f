import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, type TransportAddress } from '../../src/common/engine.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { candidatePriority } from '../../src/ice/priority.js';
import { StunMethod } from '../../src/stun/constants.js';
import { shortTermKey } from '../../src/stun/integrity.js';
import { StunMessage } from '../../src/stun/message.js';
import { type Datagram, SimNetwork, type SimParticipant } from '../sim/network.js';
import { connected, SimIcePeer, samePath, signal } from './sim-ice.js';

describe('IceAgent roles', () => {
  for (const role of ['controlling', 'controlled'] as const) {
    it(`repairs a role conflict when both start ${role} (tie-breaker and 487)`, () => {
      const net = new SimNetwork({ seed: 21, conditions: { delay: 5, jitter: 3 } });
      const a = net.add(new SimIcePeer('a', ['203.0.113.101'], { role, tieBreaker: 1000n, seed: 1 }));
      const b = net.add(new SimIcePeer('b', ['203.0.113.102'], { role, tieBreaker: 2000n, seed: 2 }));
      a.addHostCandidates();
      b.addHostCandidates();
      signal(net, a, b);
      signal(net, b, a);
      assert.ok(
        net.runUntil(() => connected(a, b), 10_000),
        `${a.state}/${b.state}`,
      );
      // The larger tie-breaker controls.
      assert.equal(b.agent.role, 'controlling');
      assert.equal(a.agent.role, 'controlled');
      const switched = role === 'controlling' ? a : b;
      assert.ok(switched.events.some((e) => e.type === 'rolechange'));
      assert.ok(a.agent.counters.roleConflicts + b.agent.counters.roleConflicts >= 1);
      assert.ok(samePath(a, b));
    });
  }

  it('a 487 response makes the agent switch role and retry the pair', () => {
    const net = new SimNetwork({ seed: 22, conditions: { delay: 5 } });
    const a = net.add(
      new SimIcePeer('a', ['203.0.113.101'], { role: 'controlling', tieBreaker: 5n, seed: 1 }),
    );
    const b = net.add(
      new SimIcePeer('b', ['203.0.113.102'], { role: 'controlling', tieBreaker: 9n, seed: 2 }),
    );
    a.addHostCandidates();
    b.addHostCandidates();
    // Only a checks at first (b has no candidates for a): a's request meets b's larger tie-breaker → 487.
    signal(net, b, a);
    b.agent.setRemoteParameters(net.now, a.agent.localParameters);
    net.runFor(100);
    assert.equal(a.agent.role, 'controlled');
    assert.equal(b.agent.role, 'controlling');
    assert.deepEqual(
      a.events.filter((e) => e.type === 'rolechange'),
      [{ type: 'rolechange', role: 'controlled' }],
    );
    assert.ok(net.runUntil(() => connected(a, b), 10_000));
  });

  it('becomes controlling against an ICE-lite peer and connects with it', () => {
    const net = new SimNetwork({ seed: 23, conditions: { delay: 5, loss: 0.1 } });
    const full = net.add(new SimIcePeer('full', ['203.0.113.101'], { role: 'controlled', seed: 1 }));
    const lite = net.add(
      new LiteResponder({ address: '203.0.113.109', port: 3000 }, 'liteufrag', 'lite-password-0123456789'),
    );
    full.addHostCandidates();
    full.agent.setRemoteParameters(net.now, {
      usernameFragment: 'liteufrag',
      password: lite.password,
      iceLite: true,
    });
    assert.equal(full.agent.role, 'controlling');
    full.agent.addRemoteCandidate(net.now, lite.candidate());
    full.agent.addRemoteCandidate(net.now, null);
    assert.ok(
      net.runUntil(() => connected(full), 10_000),
      full.state,
    );
    net.runFor(100);
    assert.deepEqual(
      full.events.filter((e) => e.type === 'rolechange'),
      [{ type: 'rolechange', role: 'controlling' }],
    );
    assert.ok(lite.nominated, 'the full agent nominated with USE-CANDIDATE');
    assert.ok(lite.sawControlling, 'checks carry ICE-CONTROLLING');
    assert.equal(full.agent.getSelectedPair()!.remote.port, 3000);
    assert.ok(full.sendData(new Uint8Array([0x80])));
    net.runFor(50);
    assert.equal(lite.data, 1);
  });
});

/** A minimal ICE-lite agent: answers authenticated Binding requests, never checks, notes nomination. */
class LiteResponder implements SimParticipant {
  nominated = false;
  sawControlling = false;
  data = 0;
  private readonly outbox: Datagram[] = [];
  constructor(
    readonly address: TransportAddress,
    readonly ufrag: string,
    readonly password: string,
  ) {}
  get addresses(): TransportAddress[] {
    return [this.address];
  }
  candidate(): RTCIceCandidate {
    return new RTCIceCandidate({
      foundation: '1',
      component: 1,
      priority: candidatePriority('host'),
      address: this.address.address,
      port: this.address.port,
      type: 'host',
    });
  }
  deliver(_now: number, d: Datagram): void {
    if (d.data[0]! >= 4) {
      this.data++;
      return;
    }
    const msg = StunMessage.tryParse(d.data);
    if (msg?.messageClass !== 'request' || msg.method !== StunMethod.Binding) return;
    const key = shortTermKey(this.password);
    if (!msg.username?.startsWith(`${this.ufrag}:`) || !msg.verifyIntegrity(key)) return;
    if (msg.iceControlling !== undefined) this.sawControlling = true;
    if (msg.useCandidate) this.nominated = true;
    const res = msg.createResponse('success').setXorMappedAddress(d.source);
    this.outbox.push({
      source: this.address,
      destination: d.source,
      data: res.serialize({ integrityKey: key, fingerprint: true }),
    });
  }
  drain(): Datagram[] {
    return this.outbox.splice(0);
  }
  pollTimeout(): number | undefined {
    return undefined;
  }
  handleTimeout(): void {}
  toString(): string {
    return addressKey(this.address);
  }
}
