/** Two tsrtc RTCPeerConnections on loopback: offer/answer, trickle and non-trickle, data channels both ways. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { trickleBothWays } from './trickle.js';

const config = { iceLoopbackOnly: true };

function waitFor<T extends Event>(target: EventTarget, type: string, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs);
    target.addEventListener(
      type,
      (e) => {
        clearTimeout(timer);
        resolve(e as T);
      },
      { once: true },
    );
  });
}

async function connectTrickle(a: RTCPeerConnection, b: RTCPeerConnection): Promise<void> {
  trickleBothWays(a, b);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
}

describe('RTCPeerConnection ↔ RTCPeerConnection (loopback)', () => {
  it('opens a data channel with trickle ICE and exchanges text and binary both ways', async () => {
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    try {
      const negotiation = waitFor(a, 'negotiationneeded');
      const dc = a.createDataChannel('chat', { protocol: 'p1' });
      await negotiation;
      const remote = waitFor<Event & { channel: RTCDataChannel }>(b, 'datachannel');
      await connectTrickle(a, b);
      const channelB = (await remote).channel;
      if (dc.readyState !== 'open') await waitFor(dc, 'open');
      assert.equal(channelB.label, 'chat');
      assert.equal(channelB.protocol, 'p1');
      assert.equal(a.connectionState, 'connected');
      assert.equal(a.signalingState, 'stable');
      assert.equal(a.iceConnectionState === 'connected' || a.iceConnectionState === 'completed', true);
      // W3C's chain of transports, typed all the way down: sctp → DTLS → ICE → the selected pair, on both
      // sides the two ends of the same path.
      const pairA = a.sctp!.transport.iceTransport.getSelectedCandidatePair()!;
      const pairB = b.sctp!.transport.iceTransport.getSelectedCandidatePair()!;
      assert.equal(a.sctp!.transport.state, 'connected');
      assert.equal(pairA.local.port, pairB.remote.port);
      assert.equal(pairA.remote.port, pairB.local.port);

      const gotB = waitFor<MessageEvent>(channelB, 'message');
      dc.send('hello');
      assert.equal((await gotB).data, 'hello');
      const gotA = waitFor<MessageEvent>(dc, 'message');
      dc.binaryType = 'arraybuffer';
      channelB.send(new Uint8Array([1, 2, 3, 250]));
      const data = (await gotA).data as ArrayBuffer;
      assert.deepEqual([...new Uint8Array(data)], [1, 2, 3, 250]);

      const stats = await a.getStats();
      const types = new Set([...stats.values()].map((s) => s.type));
      for (const t of [
        'peer-connection',
        'transport',
        'candidate-pair',
        'local-candidate',
        'remote-candidate',
        'certificate',
      ]) {
        assert.ok(types.has(t), `stats has ${t}`);
      }
      const dcStats = [...stats.values()].find((s) => s.type === 'data-channel' && s.label === 'chat')!;
      assert.equal(dcStats.messagesSent, 1);
      assert.equal(dcStats.bytesSent, 5);
      assert.equal(dcStats.messagesReceived, 1);
      assert.equal(dcStats.bytesReceived, 4);
      assert.equal(dcStats.state, 'open');
      const transport = [...stats.values()].find((s) => s.type === 'transport')!;
      assert.equal(transport.dtlsState, 'connected');
      assert.ok(transport.selectedCandidatePairId);
    } finally {
      await a.close();
      await b.close();
    }
    assert.equal(a.connectionState, 'closed');
    assert.equal(a.signalingState, 'closed');
  });

  it('works without trickle: candidates inside the descriptions (aiortc style)', async () => {
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    try {
      const dc = a.createDataChannel('x');
      await a.setLocalDescription();
      while (a.iceGatheringState !== 'complete') await waitFor(a, 'icegatheringstatechange');
      assert.match(a.localDescription!.sdp, /a=candidate:/);
      assert.match(a.localDescription!.sdp, /a=end-of-candidates/);
      const remote = waitFor<Event & { channel: RTCDataChannel }>(b, 'datachannel');
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      while (b.iceGatheringState !== 'complete') await waitFor(b, 'icegatheringstatechange');
      await a.setRemoteDescription(b.localDescription!);
      const ch = (await remote).channel;
      if (dc.readyState !== 'open') await waitFor(dc, 'open');
      const got = waitFor<MessageEvent>(ch, 'message');
      dc.send('no trickle');
      assert.equal((await got).data, 'no trickle');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('throws the W3C errors on misuse', async () => {
    const pc = new RTCPeerConnection(config);
    await assert.rejects(pc.createAnswer(), { name: 'InvalidStateError' });
    await assert.rejects(pc.setRemoteDescription({ type: 'answer', sdp: 'v=0\r\n' }), {
      name: 'InvalidStateError',
    });
    await assert.rejects(pc.setRemoteDescription({ type: 'bogus' as 'offer', sdp: '' }), TypeError);
    await assert.rejects(pc.setRemoteDescription({ type: 'offer', sdp: 'garbage' }), {
      name: 'OperationError',
    });
    assert.equal(pc.signalingState, 'stable');
    assert.throws(() => pc.createDataChannel('a', { maxRetransmits: 1, maxPacketLifeTime: 1 }), TypeError);
    assert.throws(() => pc.addTransceiver('text' as 'audio'), TypeError);
    assert.throws(() => new RTCPeerConnection({ bundlePolicy: 'nope' as 'balanced' }), TypeError);
    assert.throws(() => new RTCPeerConnection({ iceServers: [{ urls: 'turn:127.0.0.1' }] }), {
      name: 'InvalidAccessError',
    });
    await pc.close();
    await assert.rejects(pc.createOffer(), { name: 'InvalidStateError' });
    assert.throws(() => pc.createDataChannel('late'), { name: 'InvalidStateError' });
  });

  it('negotiates audio and video transceivers and fires track events', async () => {
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    try {
      a.addTransceiver('audio');
      a.addTransceiver('video', { direction: 'sendonly' });
      const tracks: string[] = [];
      b.ontrack = (e) => tracks.push(e.track.kind);
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(tracks.sort(), ['audio', 'video']);
      const tb = b.getTransceivers();
      assert.equal(tb.length, 2);
      assert.equal(tb[1]!.currentDirection, 'recvonly');
      assert.equal(a.getTransceivers()[1]!.currentDirection, 'sendonly');
      assert.match(a.localDescription!.sdp, /a=rtpmap:111 opus\/48000\/2/);
      assert.match(b.localDescription!.sdp, /a=group:BUNDLE 0 1/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
