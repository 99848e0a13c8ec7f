/**
 * Interop: our IceAgent (real UDP socket on 127.0.0.1) against libjuice inside node-datachannel, in both roles.
 * Only ICE is under test: the SDP we hand it carries a syntactically valid fingerprint, and its DTLS never
 * completes, but its ICE state must reach `connected` and ours must select the same path.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import nodeDataChannel from 'node-datachannel';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { describeAgent, sdpValue, until } from './interop-sdp.js';
import { UdpAgentDriver } from './udp-driver.js';

const open: { close(): void }[] = [];
after(() => {
  for (const o of open.splice(0)) o.close();
  nodeDataChannel.cleanup(); // else the native threads keep the process alive for seconds
});

function newPeer(): { pc: nodeDataChannel.PeerConnection; iceStates: string[]; candidates: string[] } {
  const pc = new nodeDataChannel.PeerConnection('interop', { iceServers: [], bindAddress: '127.0.0.1' });
  open.push(pc);
  const iceStates: string[] = [];
  const candidates: string[] = [];
  pc.onIceStateChange((s) => iceStates.push(s));
  pc.onLocalCandidate((c) => candidates.push(c));
  return { pc, iceStates, candidates };
}

describe('IceAgent interop with libjuice (node-datachannel, loopback)', () => {
  it('connects as the controlled answerer', async () => {
    const { pc, iceStates, candidates } = newPeer();
    let offer = '';
    pc.onLocalDescription((sdp) => {
      offer = sdp;
    });
    const channel = pc.createDataChannel('probe');
    open.push(channel);
    await until(
      () => offer !== '' && pc.gatheringState() === 'complete',
      10_000,
      'the offer and its candidates',
    );
    const ours = await UdpAgentDriver.open({ role: 'controlled' });
    open.push(ours);
    const mid = sdpValue(offer, 'mid');
    ours.agent.setRemoteParameters(performance.now(), {
      usernameFragment: sdpValue(offer, 'ice-ufrag'),
      password: sdpValue(offer, 'ice-pwd'),
    });
    const loopback = candidates.filter((c) => c.includes(' 127.0.0.1 '));
    assert.ok(loopback.length > 0, `a loopback candidate among ${candidates.join(' | ')}`);
    for (const c of loopback) ours.agent.addRemoteCandidate(performance.now(), RTCIceCandidate.fromSdp(c));
    ours.agent.addRemoteCandidate(performance.now(), null);
    pc.setRemoteDescription(describeAgent(ours.agent, mid, 'active'), 'answer');
    ours.pump();
    await ours.waitFor(() => ours.state === 'connected' || ours.state === 'completed', 20_000);
    await until(
      () => iceStates.includes('connected') || iceStates.includes('completed'),
      20_000,
      'libjuice connected',
    );
    assert.equal(ours.agent.role, 'controlled');
    assert.ok(ours.agent.getStats().some((s) => s.selected && s.nominated));
    assert.equal(ours.agent.getSelectedPair()!.remote.address, '127.0.0.1');
  });

  it('connects as the controlling offerer and keeps consent', async () => {
    const { pc, iceStates, candidates } = newPeer();
    let answer = '';
    pc.onLocalDescription((sdp, type) => {
      if (type === 'answer') answer = sdp;
    });
    const ours = await UdpAgentDriver.open({ role: 'controlling', consentInterval: 300 });
    open.push(ours);
    pc.setRemoteDescription(describeAgent(ours.agent, '0', 'actpass'), 'offer');
    await until(
      () => answer !== '' && pc.gatheringState() === 'complete',
      10_000,
      'the answer and its candidates',
    );
    ours.agent.setRemoteParameters(performance.now(), {
      usernameFragment: sdpValue(answer, 'ice-ufrag'),
      password: sdpValue(answer, 'ice-pwd'),
    });
    for (const c of candidates.filter((x) => x.includes(' 127.0.0.1 ')))
      ours.agent.addRemoteCandidate(performance.now(), RTCIceCandidate.fromSdp(c));
    ours.agent.addRemoteCandidate(performance.now(), null);
    ours.pump();
    await ours.waitFor(() => ours.state === 'connected' || ours.state === 'completed', 20_000);
    await until(
      () => iceStates.includes('connected') || iceStates.includes('completed'),
      20_000,
      'libjuice connected',
    );
    assert.equal(ours.agent.role, 'controlling');
    const before = ours.agent.getStats().find((s) => s.selected)!;
    assert.ok(before.nominated);
    // libjuice answers our consent checks (every 300 ms ±20 % here): three answered (about a second; the
    // bound is for a hang, as timers run late on a loaded machine).
    const current = () => ours.agent.getStats().find((s) => s.selected)!;
    await until(
      () => current().consentRequestsSent >= 3 && current().responsesReceived >= before.responsesReceived + 3,
      20_000,
      'three answered consent checks',
    );
    const selected = current();
    assert.ok(selected.consentRequestsSent >= 3, `${selected.consentRequestsSent} consent checks`);
    assert.ok(selected.responsesReceived >= before.responsesReceived + 3);
    assert.equal(ours.state === 'connected' || ours.state === 'completed', true);
    assert.equal(ours.agent.counters.unauthorized, 0);
  });
});
