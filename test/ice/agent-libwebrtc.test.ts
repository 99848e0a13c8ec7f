/**
 * Interop: our IceAgent (real UDP socket on 127.0.0.1) against libwebrtc's ICE (@roamhq/wrtc), in both roles.
 * Only ICE is under test (see interop-sdp.ts): libwebrtc's iceConnectionState must reach `connected`, ours too.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { describeAgent, sdpCandidates, sdpValue, until } from './interop-sdp.js';
import { UdpAgentDriver } from './udp-driver.js';

interface SessionDescription {
  type: string;
  sdp: string;
}

/** The part of libwebrtc's RTCPeerConnection this test uses (its typings need the DOM lib). */
interface WrtcPeer {
  createDataChannel(label: string): unknown;
  createOffer(): Promise<SessionDescription>;
  createAnswer(): Promise<SessionDescription>;
  setLocalDescription(d: SessionDescription): Promise<void>;
  setRemoteDescription(d: SessionDescription): Promise<void>;
  readonly localDescription: SessionDescription | null;
  readonly iceConnectionState: string;
  readonly iceGatheringState: string;
  close(): void;
}

const open: { close(): void }[] = [];
after(() => {
  for (const o of open.splice(0)) o.close();
});

async function newPeer(): Promise<WrtcPeer> {
  const wrtc = (await import('@roamhq/wrtc')).default;
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as WrtcPeer;
  open.push(pc);
  return pc;
}

function loopbackCandidates(sdp: string): RTCIceCandidate[] {
  const lines = sdpCandidates(sdp).filter((c) => / 127\.0\.0\.1 /.test(c));
  assert.ok(lines.length > 0, `libwebrtc offers a loopback candidate:\n${sdp}`);
  return lines.map((c) => RTCIceCandidate.fromSdp(c));
}

const isConnected = (s: string): boolean => s === 'connected' || s === 'completed';

describe('IceAgent interop with libwebrtc (@roamhq/wrtc, loopback)', () => {
  it('connects as the controlled answerer (libwebrtc nominates)', async () => {
    const pc = await newPeer();
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await until(() => pc.iceGatheringState === 'complete', 10_000, 'libwebrtc gathering');
    const offer = pc.localDescription!.sdp;
    const ours = await UdpAgentDriver.open({ role: 'controlled' });
    open.push(ours);
    const now = performance.now();
    ours.agent.setRemoteParameters(now, {
      usernameFragment: sdpValue(offer, 'ice-ufrag'),
      password: sdpValue(offer, 'ice-pwd'),
    });
    for (const c of loopbackCandidates(offer)) ours.agent.addRemoteCandidate(now, c);
    ours.agent.addRemoteCandidate(now, null);
    ours.pump();
    await pc.setRemoteDescription({
      type: 'answer',
      sdp: describeAgent(ours.agent, sdpValue(offer, 'mid'), 'active'),
    });
    await ours.waitFor(() => isConnected(ours.state), 20_000);
    await until(() => isConnected(pc.iceConnectionState), 20_000, 'libwebrtc ICE connected');
    assert.equal(ours.agent.role, 'controlled');
    assert.ok(ours.agent.getStats().some((s) => s.selected && s.nominated));
  });

  it('connects as the controlling offerer (we nominate)', async () => {
    const pc = await newPeer();
    const ours = await UdpAgentDriver.open({ role: 'controlling' });
    open.push(ours);
    await pc.setRemoteDescription({ type: 'offer', sdp: describeAgent(ours.agent, '0', 'actpass') });
    await pc.setLocalDescription(await pc.createAnswer());
    await until(() => pc.iceGatheringState === 'complete', 10_000, 'libwebrtc gathering');
    const answer = pc.localDescription!.sdp;
    const now = performance.now();
    ours.agent.setRemoteParameters(now, {
      usernameFragment: sdpValue(answer, 'ice-ufrag'),
      password: sdpValue(answer, 'ice-pwd'),
    });
    for (const c of loopbackCandidates(answer)) ours.agent.addRemoteCandidate(now, c);
    ours.agent.addRemoteCandidate(now, null);
    ours.pump();
    await ours.waitFor(() => isConnected(ours.state), 20_000);
    await until(() => isConnected(pc.iceConnectionState), 20_000, 'libwebrtc ICE connected');
    assert.equal(ours.agent.role, 'controlling');
    const selected = ours.agent.getStats().find((s) => s.selected)!;
    assert.ok(selected.nominated);
    assert.equal(ours.agent.counters.unauthorized + ours.agent.counters.badRequest, 0);
  });
});
