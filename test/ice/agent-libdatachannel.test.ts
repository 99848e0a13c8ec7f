/**
 * Interop: our IceAgent (real UDP socket on 127.0.0.1) against libjuice inside node-datachannel, in both roles.
 * Only ICE is under test: the SDP we hand it carries a syntactically valid fingerprint, and its DTLS never
 * completes, but its ICE state must reach `connected` and ours must select the same path.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import nodeDataChannel from 'node-datachannel';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { UdpAgentDriver } from './udp-driver.js';

const FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  (i * 7).toString(16).padStart(2, '0').toUpperCase(),
).join(':');

const open: { close(): void }[] = [];
after(() => {
  for (const o of open.splice(0)) o.close();
  nodeDataChannel.cleanup(); // else the native threads keep the process alive for seconds
});

function sdpValue(sdp: string, name: string): string {
  const m = new RegExp(`^a=${name}:(.+)$`, 'm').exec(sdp);
  assert.ok(m, `SDP has a=${name}`);
  return m[1]!.trim();
}

function describeUs(ours: UdpAgentDriver, mid: string, setup: 'active' | 'actpass'): string {
  const p = ours.agent.localParameters;
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${mid}`,
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    `a=mid:${mid}`,
    `a=ice-ufrag:${p.usernameFragment}`,
    `a=ice-pwd:${p.password}`,
    `a=fingerprint:sha-256 ${FINGERPRINT}`,
    `a=setup:${setup}`,
    'a=sctp-port:5000',
    ...ours.agent.getLocalCandidates().map((c) => `a=${c.candidate}`),
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

function newPeer(): { pc: nodeDataChannel.PeerConnection; iceStates: string[]; candidates: string[] } {
  const pc = new nodeDataChannel.PeerConnection('interop', { iceServers: [], bindAddress: '127.0.0.1' });
  open.push(pc);
  const iceStates: string[] = [];
  const candidates: string[] = [];
  pc.onIceStateChange((s) => iceStates.push(s));
  pc.onLocalCandidate((c) => candidates.push(c));
  return { pc, iceStates, candidates };
}

async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
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
    pc.setRemoteDescription(describeUs(ours, mid, 'active'), 'answer');
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
    pc.setRemoteDescription(describeUs(ours, '0', 'actpass'), 'offer');
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
    // libjuice answers our consent checks (every 300 ms ±20 % here).
    await new Promise((r) => setTimeout(r, 1500));
    const selected = ours.agent.getStats().find((s) => s.selected)!;
    assert.ok(selected.consentRequestsSent >= 3, `${selected.consentRequestsSent} consent checks`);
    assert.ok(selected.responsesReceived >= before.responsesReceived + 3);
    assert.equal(ours.state === 'connected' || ours.state === 'completed', true);
    assert.equal(ours.agent.counters.unauthorized, 0);
  });
});
