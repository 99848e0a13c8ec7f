import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Transmit } from '../../src/common/engine.js';
import { IceAgent, type IceTransmitMeta } from '../../src/ice/agent.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { candidatePriority } from '../../src/ice/priority.js';
import { credentials } from '../../src/ice/stun-checks.js';
import { StunAttr, StunMethod } from '../../src/stun/constants.js';
import { StunMessage } from '../../src/stun/message.js';

const LOCAL = { usernameFragment: 'LOCL', password: 'local-password-0123456789' };
const REMOTE = { usernameFragment: 'REMO', password: 'remote-password-012345678' };
const localCreds = credentials(LOCAL.usernameFragment, LOCAL.password);
const remoteCreds = credentials(REMOTE.usernameFragment, REMOTE.password);
const SOURCE = { address: '203.0.113.102', port: 6000 };

function host(address: string, port: number, localPref = 65535): RTCIceCandidate {
  return new RTCIceCandidate({
    foundation: address.replace(/\D/g, '').slice(-8) || '1',
    component: 1,
    priority: candidatePriority('host', localPref),
    address,
    port,
    type: 'host',
  });
}

function newAgent(options: Partial<ConstructorParameters<typeof IceAgent>[0]> = {}): IceAgent {
  const agent = new IceAgent({
    role: 'controlled',
    local: LOCAL,
    random: { fill: (b: Uint8Array) => b.fill(0x80) },
    ...options,
  });
  agent.addLocalCandidate(host('203.0.113.101', 5000), 'h0');
  agent.setRemoteParameters(0, REMOTE);
  return agent;
}

/** A check as the remote peer would send it (its local = REMOTE, its remote = our LOCAL). */
function peerCheck(
  options: { key?: Uint8Array; username?: string; extra?: number; useCandidate?: boolean } = {},
) {
  const m = new StunMessage(StunMethod.Binding, 'request');
  m.setUsername(options.username ?? `${LOCAL.usernameFragment}:${REMOTE.usernameFragment}`);
  m.setPriority(candidatePriority('prflx'));
  m.setIceControlling(42n);
  if (options.useCandidate) m.setUseCandidate();
  if (options.extra !== undefined) m.add(options.extra, new Uint8Array(4));
  return {
    message: m,
    bytes: m.serialize({ integrityKey: options.key ?? localCreds.key, fingerprint: true }),
  };
}

function transmits(agent: IceAgent): Transmit<IceTransmitMeta>[] {
  const out: Transmit<IceTransmitMeta>[] = [];
  for (let t = agent.pollTransmit(); t; t = agent.pollTransmit()) out.push(t);
  return out;
}

function events(agent: IceAgent): string[] {
  const out: string[] = [];
  for (let e = agent.pollEvent(); e; e = agent.pollEvent()) out.push(e.type);
  return out;
}

function assertUntouched(agent: IceAgent): void {
  assert.equal(agent.state, 'new');
  assert.deepEqual(agent.getRemoteCandidates(), []);
  assert.deepEqual(agent.getStats(), []);
  assert.deepEqual(events(agent), []);
  assert.equal(agent.pollTimeout(), 30_000, 'only the check-list deadline is armed');
}

describe('IceAgent incoming checks', () => {
  it('answers a valid check with XOR-MAPPED-ADDRESS, integrity and fingerprint, and learns prflx', () => {
    const agent = newAgent();
    const { message, bytes } = peerCheck();
    agent.handleStun(10, 'h0', SOURCE, bytes);
    const [res] = transmits(agent);
    const parsed = StunMessage.parse(res!.data);
    assert.equal(parsed.messageClass, 'success');
    assert.deepEqual(parsed.xorMappedAddress, SOURCE);
    assert.ok(parsed.verifyIntegrity(localCreds.key));
    assert.ok(parsed.verifyFingerprint());
    assert.equal(res!.meta!.baseId, 'h0');
    assert.deepEqual(res!.destination, SOURCE);
    assert.deepEqual(parsed.transactionId, message.transactionId);
    assert.deepEqual(events(agent), ['remotecandidate', 'statechange']);
    assert.equal(agent.getRemoteCandidates()[0]!.type, 'prflx');
    assert.equal(agent.getRemoteCandidates()[0]!.priority, candidatePriority('prflx'));
    // A triggered check goes back to the source at once.
    agent.handleTimeout(agent.pollTimeout()!);
    const [check] = transmits(agent);
    const req = StunMessage.parse(check!.data);
    assert.equal(req.messageClass, 'request');
    assert.equal(req.username, `${REMOTE.usernameFragment}:${LOCAL.usernameFragment}`);
    assert.ok(req.verifyIntegrity(remoteCreds.key));
    assert.ok(req.iceControlled !== undefined);
    assert.deepEqual(check!.destination, SOURCE);
  });

  it('a wrong MESSAGE-INTEGRITY gets 401 without integrity and changes nothing', () => {
    const agent = newAgent();
    agent.handleStun(10, 'h0', SOURCE, peerCheck({ key: remoteCreds.key }).bytes);
    const [res] = transmits(agent);
    const parsed = StunMessage.parse(res!.data);
    assert.equal(parsed.messageClass, 'error');
    assert.equal(parsed.errorCode!.code, 401);
    assert.equal(parsed.has(StunAttr.MessageIntegrity), false);
    assert.equal(agent.counters.unauthorized, 1);
    assertUntouched(agent);
  });

  it('an unknown username gets 401 and changes nothing', () => {
    const agent = newAgent();
    agent.handleStun(10, 'h0', SOURCE, peerCheck({ username: 'WHO:REMO' }).bytes);
    assert.equal(StunMessage.parse(transmits(agent)[0]!.data).errorCode!.code, 401);
    assertUntouched(agent);
  });

  it('a check without USERNAME or MESSAGE-INTEGRITY gets 400', () => {
    const agent = newAgent();
    const m = new StunMessage(StunMethod.Binding, 'request').setPriority(1);
    agent.handleStun(10, 'h0', SOURCE, m.serialize({ fingerprint: true }));
    const noUser = new StunMessage(StunMethod.Binding, 'request').setPriority(1);
    agent.handleStun(10, 'h0', SOURCE, noUser.serialize({ integrityKey: localCreds.key }));
    const codes = transmits(agent).map((t) => StunMessage.parse(t.data).errorCode!.code);
    assert.deepEqual(codes, [400, 400]);
    assert.equal(agent.counters.badRequest, 2);
    assertUntouched(agent);
  });

  it('an unknown comprehension-required attribute gets 420 listing it, signed', () => {
    const agent = newAgent();
    agent.handleStun(10, 'h0', SOURCE, peerCheck({ extra: 0x7777 }).bytes);
    const parsed = StunMessage.parse(transmits(agent)[0]!.data);
    assert.equal(parsed.errorCode!.code, 420);
    assert.deepEqual(parsed.unknownAttributes, [0x7777]);
    assert.ok(parsed.verifyIntegrity(localCreds.key));
    assertUntouched(agent);
    // An unknown comprehension-optional attribute is fine.
    agent.handleStun(20, 'h0', SOURCE, peerCheck({ extra: 0xc777 }).bytes);
    assert.equal(StunMessage.parse(transmits(agent)[0]!.data).messageClass, 'success');
  });

  it('responses are only accepted with the right integrity, from the checked address', () => {
    const agent = newAgent();
    agent.addRemoteCandidate(0, host(SOURCE.address, SOURCE.port));
    agent.handleTimeout(agent.pollTimeout()!);
    const [check] = transmits(agent);
    const req = StunMessage.parse(check!.data);
    const forged = req
      .createResponse('success')
      .setXorMappedAddress({ address: '203.0.113.101', port: 5000 });
    agent.handleStun(20, 'h0', SOURCE, forged.serialize({ integrityKey: localCreds.key, fingerprint: true }));
    assert.equal(agent.counters.unauthorized, 1);
    assert.equal(agent.getStats()[0]!.state, 'in-progress');
    const good = forged.serialize({ integrityKey: remoteCreds.key, fingerprint: true });
    agent.handleStun(21, 'h0', { address: '203.0.113.103', port: 6000 }, good);
    assert.equal(
      agent.getStats()[0]!.state,
      'failed',
      'a response from elsewhere fails the pair (non-symmetric)',
    );
    // Stats serialise to JSON (no bigint).
    const json = JSON.parse(JSON.stringify(agent.getStats()[0]));
    assert.equal(json.requestsSent, 1);
    assert.equal(typeof json.priority, 'number');
  });
});

describe('IceAgent check scheduling', () => {
  it('paces new checks Ta apart, highest priority first', () => {
    const agent = newAgent({ pacing: 20 });
    for (let i = 0; i < 8; i++) agent.addRemoteCandidate(0, host(`203.0.113.${201 + i}`, 7000, 65535 - i));
    const sends: { at: number; to: string }[] = [];
    let now = 0;
    while (sends.length < 8) {
      now = agent.pollTimeout()!;
      agent.handleTimeout(now);
      for (const t of transmits(agent)) {
        const m = StunMessage.parse(t.data);
        if (!sends.some((s) => s.to === t.destination.address) && m.messageClass === 'request')
          sends.push({ at: now, to: t.destination.address });
      }
    }
    assert.deepEqual(
      sends.map((s) => s.to),
      Array.from({ length: 8 }, (_, i) => `203.0.113.${201 + i}`),
    );
    for (let i = 1; i < sends.length; i++) assert.ok(sends[i]!.at - sends[i - 1]!.at >= 20);
  });

  it('a check from a waiting pair’s address jumps the queue as a triggered check', () => {
    const agent = newAgent({ pacing: 50 });
    for (let i = 0; i < 8; i++) agent.addRemoteCandidate(0, host(`203.0.113.${201 + i}`, 7000, 65535 - i));
    agent.handleTimeout(agent.pollTimeout()!);
    assert.equal(transmits(agent)[0]!.destination.address, '203.0.113.201');
    agent.handleStun(5, 'h0', { address: '203.0.113.208', port: 7000 }, peerCheck().bytes);
    transmits(agent); // the response
    agent.handleTimeout(agent.pollTimeout()!);
    assert.equal(transmits(agent)[0]!.destination.address, '203.0.113.208');
  });

  it('without any pair fails only when the check-list timeout runs out', () => {
    const agent = newAgent({ checklistTimeout: 5000 });
    agent.setLocalCandidatesComplete();
    agent.addRemoteCandidate(0, null);
    assert.equal(agent.pollTimeout(), 5000);
    agent.handleTimeout(4999);
    assert.equal(agent.state, 'new');
    agent.handleTimeout(5000);
    assert.equal(agent.state, 'failed');
    assert.deepEqual(events(agent), ['statechange']);
    assert.equal(agent.pollTimeout(), undefined);
  });

  it('caps remote candidates and pairs against a flood', () => {
    const agent = newAgent({ maxPairs: 100, maxRemoteCandidates: 100 });
    for (let i = 0; i < 400; i++)
      agent.addRemoteCandidate(0, host(i < 256 ? `198.51.100.${i}` : `192.0.2.${i - 256}`, 7000 + i));
    for (let i = 0; i < 400; i++)
      agent.handleStun(1, 'h0', { address: '203.0.113.251', port: 1000 + i }, peerCheck().bytes);
    assert.ok(agent.getRemoteCandidates().length <= 100);
    assert.ok(agent.getStats().length <= 100);
    assert.ok(agent.counters.ignoredCandidates >= 300);
    // Still answers checks.
    assert.equal(transmits(agent).length, 400);
  });
});

describe('IceAgent misuse', () => {
  it('throws the W3C errors', () => {
    const agent = newAgent();
    assert.throws(
      () => agent.addRemoteCandidate(0, new RTCIceCandidate({ candidate: 'garbage', sdpMid: '0' })),
      { name: 'OperationError' },
    );
    assert.throws(() => agent.setRemoteParameters(0, { usernameFragment: '', password: 'x' }), TypeError);
    assert.throws(
      () => new IceAgent({ role: 'controlled', local: { usernameFragment: 'a:b', password: 'p' } }),
      TypeError,
    );
    agent.close();
    assert.equal(agent.state, 'closed');
    assert.throws(() => agent.addRemoteCandidate(0, null), { name: 'InvalidStateError' });
    assert.throws(() => agent.restart(0), { name: 'InvalidStateError' });
    assert.equal(agent.pollTimeout(), undefined);
    agent.handleStun(1, 'h0', SOURCE, peerCheck().bytes); // ignored, no throw
  });

  it('ignores late candidates from an earlier generation and generates credentials', () => {
    const agent = newAgent();
    const stale = new RTCIceCandidate({
      ...host('203.0.113.109', 1).parsed!,
      component: 1,
      usernameFragment: 'OLD1',
    });
    agent.addRemoteCandidate(0, stale);
    assert.deepEqual(agent.getRemoteCandidates(), []);
    const generated = new IceAgent({ role: 'controlling' }).localParameters;
    assert.ok(generated.usernameFragment.length >= 4 && generated.password.length >= 22);
    assert.match(generated.password, /^[A-Za-z0-9+/]+$/);
  });
});
