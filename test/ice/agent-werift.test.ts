/**
 * Interop: our IceAgent (on a real UDP socket, 127.0.0.1) against werift's independent ICE implementation,
 * in both roles, with data both ways on the selected pair. werift is a dev dependency: no binary needed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Candidate, Connection } from 'werift';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { UdpAgentDriver } from './udp-driver.js';

const open: { close(): unknown }[] = [];
after(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function connectWithWerift(
  oursControlling: boolean,
): Promise<{ ours: UdpAgentDriver; theirs: Connection }> {
  const ours = await UdpAgentDriver.open({ role: oursControlling ? 'controlling' : 'controlled' });
  open.push(ours);
  const theirs = new Connection(!oursControlling, { useIpv6: false, additionalHostAddresses: ['127.0.0.1'] });
  open.push(theirs);
  await theirs.gatherCandidates();
  const loopback = theirs.localCandidates.filter((c) => c.host === '127.0.0.1');
  assert.ok(loopback.length > 0, 'werift offers a loopback candidate');

  // Signaling, both ways.
  const local = ours.agent.localParameters;
  theirs.setRemoteParams({
    iceLite: false,
    usernameFragment: local.usernameFragment,
    password: local.password,
  });
  for (const c of ours.agent.getLocalCandidates())
    await theirs.addRemoteCandidate(Candidate.fromSdp(c.toSdp()));
  await theirs.addRemoteCandidate(undefined);
  ours.agent.setRemoteParameters(performance.now(), {
    usernameFragment: theirs.localUsername,
    password: theirs.localPassword,
  });
  for (const c of loopback)
    ours.agent.addRemoteCandidate(performance.now(), RTCIceCandidate.fromSdp(`candidate:${c.toSdp()}`));
  ours.agent.addRemoteCandidate(performance.now(), null);
  ours.pump();

  await Promise.all([
    theirs.connect(),
    ours.waitFor(() => ours.state === 'connected' || ours.state === 'completed', 20_000),
  ]);
  return { ours, theirs };
}

async function exchangeData(ours: UdpAgentDriver, theirs: Connection): Promise<void> {
  const got: Buffer[] = [];
  theirs.onData.subscribe((d) => got.push(d));
  for (let i = 0; i < 5; i++) assert.ok(ours.send(new Uint8Array([0x80, 0x60, 0, i])));
  for (let i = 0; i < 5; i++) await theirs.send(Buffer.from([0x80, 0x61, 0, i]));
  const deadline = Date.now() + 10_000;
  while ((got.length < 5 || ours.received.length < 5) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(got.length, 5, 'werift received our datagrams');
  assert.equal(ours.received.length, 5, 'we received werift datagrams');
  assert.deepEqual([...ours.received[4]!], [0x80, 0x61, 0, 4]);
}

describe('IceAgent interop with werift ICE (loopback)', () => {
  it('connects as controlling and passes data both ways', async () => {
    const { ours, theirs } = await connectWithWerift(true);
    assert.equal(ours.agent.role, 'controlling');
    assert.equal(ours.agent.getSelectedPair()!.remote.address, '127.0.0.1');
    await exchangeData(ours, theirs);
  });

  it('connects as controlled and passes data both ways', async () => {
    const { ours, theirs } = await connectWithWerift(false);
    assert.equal(ours.agent.role, 'controlled');
    assert.ok(ours.agent.getStats().some((s) => s.nominated && s.selected));
    await exchangeData(ours, theirs);
  });

  it('repairs a role conflict with werift (both controlling)', async () => {
    const ours = await UdpAgentDriver.open({ role: 'controlling' });
    open.push(ours);
    const theirs = new Connection(true, { useIpv6: false, additionalHostAddresses: ['127.0.0.1'] });
    open.push(theirs);
    await theirs.gatherCandidates();
    const local = ours.agent.localParameters;
    theirs.setRemoteParams({
      iceLite: false,
      usernameFragment: local.usernameFragment,
      password: local.password,
    });
    for (const c of ours.agent.getLocalCandidates())
      await theirs.addRemoteCandidate(Candidate.fromSdp(c.toSdp()));
    await theirs.addRemoteCandidate(undefined);
    ours.agent.setRemoteParameters(performance.now(), {
      usernameFragment: theirs.localUsername,
      password: theirs.localPassword,
    });
    for (const c of theirs.localCandidates.filter((x) => x.host === '127.0.0.1'))
      ours.agent.addRemoteCandidate(performance.now(), RTCIceCandidate.fromSdp(`candidate:${c.toSdp()}`));
    ours.agent.addRemoteCandidate(performance.now(), null);
    ours.pump();
    await Promise.all([
      theirs.connect(),
      ours.waitFor(() => ours.state === 'connected' || ours.state === 'completed', 20_000),
    ]);
    assert.notEqual(ours.agent.role === 'controlling', theirs.iceControlling, 'exactly one side controls');
    await exchangeData(ours, theirs);
  });
});
