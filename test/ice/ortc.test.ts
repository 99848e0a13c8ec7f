/** RTCIceGatherer + RTCIceTransport over real UDP sockets on loopback. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RTCIceGatherer } from '../../src/ice/gatherer.js';
import { RTCIceTransport } from '../../src/ice/transport.js';

const opened: RTCIceTransport[] = [];
after(async () => {
  await Promise.all(opened.map((t) => t.stop()));
});

async function pair(): Promise<[RTCIceTransport, RTCIceTransport]> {
  const g1 = new RTCIceGatherer({ loopbackOnly: true });
  const g2 = new RTCIceGatherer({ loopbackOnly: true });
  await Promise.all([g1.gather(), g2.gather()]);
  const t1 = new RTCIceTransport(g1);
  const t2 = new RTCIceTransport(g2);
  opened.push(t1, t2);
  t1.role = 'controlling';
  t2.role = 'controlled';
  return [t1, t2];
}

function exchange(t1: RTCIceTransport, t2: RTCIceTransport): void {
  for (const c of t2.iceGatherer.getLocalCandidates()) t1.addRemoteCandidate(c);
  for (const c of t1.iceGatherer.getLocalCandidates()) t2.addRemoteCandidate(c);
  t1.addRemoteCandidate(null);
  t2.addRemoteCandidate(null);
}

describe('RTCIceGatherer', () => {
  it('gathers loopback host candidates and completes', async () => {
    const g = new RTCIceGatherer({ loopbackOnly: true });
    const states: string[] = [];
    const seen: (string | null)[] = [];
    g.onstatechange = () => states.push(g.state);
    g.addEventListener('icecandidate', (e) => seen.push(e.candidate ? e.candidate.type : null));
    assert.equal(g.state, 'new');
    await g.gather();
    assert.deepEqual(states, ['gathering', 'complete']);
    const cands = g.getLocalCandidates();
    assert.ok(cands.length >= 1);
    assert.ok(cands.every((c) => c.type === 'host' && (c.address === '127.0.0.1' || c.address === '::1')));
    assert.equal(seen.at(-1), null, 'end of gathering is a null candidate');
    const p = g.getLocalParameters();
    assert.ok(p.usernameFragment.length >= 4 && p.password.length >= 22);
    g.close();
    await assert.rejects(g.gather(), { name: 'InvalidStateError' });
  });

  it('validates its configuration as the W3C constructor does', () => {
    assert.throws(() => new RTCIceGatherer({ iceServers: [{ urls: 'bogus:1.2.3' }] }), {
      name: 'SyntaxError',
    });
    assert.throws(() => new RTCIceGatherer({ iceServers: [{ urls: 'turn:127.0.0.1' }] }), {
      name: 'InvalidAccessError',
    });
    assert.throws(
      () => new RTCIceGatherer({ iceTransportPolicy: 'nope' as 'all' }),
      (e: Error) => e instanceof TypeError && /iceTransportPolicy/.test(e.message),
    );
  });

  it('reports an unreachable STUN server as icecandidateerror and still completes', async () => {
    // A port nobody listens on: the Binding requests go unanswered (or meet ICMP errors).
    const g = new RTCIceGatherer({ loopbackOnly: true, iceServers: [{ urls: 'stun:127.0.0.1:9' }] });
    const errors: number[] = [];
    g.onicecandidateerror = (e) => errors.push(e.errorCode);
    await g.gather();
    assert.equal(g.state, 'complete');
    assert.ok(errors.length >= 1);
    assert.ok(errors.every((c) => c === 701));
    g.close();
  });
});

describe('RTCIceTransport', () => {
  it('of its own (no peer connection), follows its gatherer gathering state at once', async () => {
    const g = new RTCIceGatherer({ loopbackOnly: true });
    const t = new RTCIceTransport(g);
    opened.push(t);
    assert.equal(t.gatheringState, 'new');
    const seen: string[] = [];
    t.ongatheringstatechange = () => seen.push(`${t.gatheringState} (gatherer ${g.state})`);
    await g.gather();
    assert.deepEqual(seen, ['gathering (gatherer gathering)', 'complete (gatherer complete)']);
    const gathered = new RTCIceGatherer({ loopbackOnly: true });
    await gathered.gather();
    const late = new RTCIceTransport(gathered);
    opened.push(late);
    assert.equal(late.gatheringState, 'complete', 'built on a gatherer that has completed');
  });

  it('connects two transports on loopback and carries bytes both ways', async () => {
    const [t1, t2] = await pair();
    const states: string[] = [];
    t1.onstatechange = () => states.push(t1.state);
    let pairChanges = 0;
    t1.onselectedcandidatepairchange = () => pairChanges++;
    exchange(t1, t2);
    await Promise.all([t1.start(t2.getLocalParameters()), t2.start(t1.getLocalParameters())]);
    assert.ok(['connected', 'completed'].includes(t1.state));
    assert.ok(states.includes('checking'));
    assert.ok(pairChanges >= 1);
    const sel = t1.getSelectedCandidatePair();
    assert.ok(sel);
    assert.equal(sel.local.type, 'host');
    assert.ok(t1.getRemoteCandidates().length >= 1);

    const got1: string[] = [];
    const got2: string[] = [];
    const done = new Promise<void>((resolve) => {
      const check = () => {
        if (got1.length === 20 && got2.length === 20) resolve();
      };
      t1.attach((d) => {
        got1.push(Buffer.from(d).toString());
        check();
      });
      t2.attach((d) => {
        got2.push(Buffer.from(d).toString());
        check();
      });
    });
    for (let i = 0; i < 20; i++) {
      t1.send(Buffer.from(`a->b ${i}`));
      t2.send(Buffer.from(`b->a ${i}`));
    }
    await done;
    assert.equal(new Set(got2).size, 20);
    assert.ok(got1.every((m) => m.startsWith('b->a')));
  });

  it('rejects misuse with W3C errors', async () => {
    const [t1] = await pair();
    await assert.rejects(t1.start({ usernameFragment: '', password: '' }), TypeError);
    assert.throws(() => {
      t1.role = 'boss' as 'controlling';
    }, TypeError);
    const pending = t1.start({ usernameFragment: 'abcd', password: 'x'.repeat(22) });
    assert.throws(
      () => {
        t1.role = 'controlled';
      },
      { name: 'InvalidStateError' },
    );
    await t1.stop();
    await assert.rejects(pending, { name: 'InvalidStateError' });
    assert.equal(t1.state, 'closed');
    assert.throws(() => t1.addRemoteCandidate(null), { name: 'InvalidStateError' });
  });
});
