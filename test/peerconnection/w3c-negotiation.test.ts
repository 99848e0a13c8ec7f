/**
 * Negotiation as browser code observes it: remote candidates land in the section they name, the legacy
 * callback methods, bundle policies and where candidates are listed, a max-bundle data section, a stopped
 * BUNDLE tag rejecting its group, senders' and receivers' transports, and addTransceiver's sendEncodings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import type { RTCSessionDescriptionInit } from '../../src/peerconnection/session-description.js';
import { SimWorld } from '../sim/runtime.js';
import { negotiate, simPeers } from './sim-peers.js';

const config = { iceLoopbackOnly: true };
const sections = (sdp: string): string[] => sdp.split(/\r\n(?=m=)/).slice(1);
const candidates = (section: string | undefined): number => (section?.match(/a=candidate:/g) ?? []).length;

/** A remote offer with two sections, each with its own ICE credentials, bundled (JSEP §7.1 style). */
async function twoSectionOffer(): Promise<string> {
  const pc = new RTCPeerConnection(config);
  pc.addTransceiver('audio');
  pc.addTransceiver('video');
  const { sdp } = await pc.createOffer();
  pc.close();
  return sdp!.replace(/a=candidate:.*\r\n/g, '').replace(/a=end-of-candidates\r\n/g, '');
}

describe('addIceCandidate and the remote description', () => {
  it('shows a candidate in the section its sdpMid names, and end-of-candidates there too', async () => {
    const pc = new RTCPeerConnection(config);
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: await twoSectionOffer() });
      const candidate = 'candidate:1 1 udp 2113929471 127.0.0.1 10100 typ host';
      await pc.addIceCandidate({ candidate, sdpMid: '1' });
      await pc.addIceCandidate({ candidate: '', sdpMid: '1' });
      const [audio, video] = sections(pc.remoteDescription!.sdp);
      assert.equal(candidates(audio), 0);
      assert.equal(candidates(video), 1);
      assert.ok(!audio!.includes('a=end-of-candidates'));
      assert.ok(video!.includes('a=end-of-candidates'));
      await pc.addIceCandidate(null);
      assert.ok(
        sections(pc.remoteDescription!.sdp)[0]!.includes('a=end-of-candidates'),
        'null: every section',
      );
      await assert.rejects(pc.addIceCandidate({ candidate, sdpMid: 'nope' }), { name: 'OperationError' });
      await assert.rejects(pc.addIceCandidate({ candidate, sdpMid: '0', usernameFragment: 'other' }), {
        name: 'OperationError',
      });
    } finally {
      pc.close();
    }
  });
});

describe('the legacy callback methods (W3C §11.2.1)', () => {
  it('call their callbacks and resolve with undefined', async () => {
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    try {
      const offer = await new Promise<RTCSessionDescriptionInit>((resolve, reject) => {
        const returned = a.createOffer(resolve, reject, { offerToReceiveVideo: true });
        void returned.then((v) => assert.equal(v, undefined));
      });
      assert.match(offer.sdp!, /m=video/);
      await new Promise<void>((resolve, reject) => void a.setLocalDescription(offer, resolve, reject));
      await new Promise<void>((resolve, reject) => void b.setRemoteDescription(offer, resolve, reject));
      const answer = await new Promise<RTCSessionDescriptionInit>(
        (resolve, reject) => void b.createAnswer(resolve, reject),
      );
      assert.equal(answer.type, 'answer');
      const failed = await new Promise<DOMException>(
        (resolve) => void a.setRemoteDescription({ type: 'offer', sdp: 'x' }, () => undefined, resolve),
      );
      assert.equal(failed.name, 'OperationError', 'the failure callback gets the error');
      await assert.rejects(a.createOffer((() => undefined) as never, 'not a function' as never), TypeError);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('bundle policies and the candidates of an initial offer', () => {
  const expected: Record<string, number[]> = {
    balanced: [1, 0, 1, 1],
    'max-compat': [1, 1, 1, 1],
    'max-bundle': [1, 0, 0, 0],
  };
  for (const [bundlePolicy, withCandidates] of Object.entries(expected)) {
    it(`${bundlePolicy}: candidates in ${withCandidates.join(',')} of audio, audio, video, data`, async () => {
      const pc = new RTCPeerConnection({ ...config, bundlePolicy: bundlePolicy as 'balanced' });
      try {
        pc.addTransceiver('audio');
        pc.addTransceiver('audio');
        pc.addTransceiver('video');
        pc.createDataChannel('x');
        await pc.setLocalDescription();
        const deadline = Date.now() + 5000;
        while (pc.iceGatheringState !== 'complete' && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 5));
        const got = sections(pc.localDescription!.sdp).map((s) => Math.min(1, candidates(s)));
        assert.deepEqual(got, withCandidates);
      } finally {
        pc.close();
      }
    });
  }
});

describe('bundled data and transports in virtual time', () => {
  async function channelPair(
    world: SimWorld,
    a: RTCPeerConnection,
    b: RTCPeerConnection,
  ): Promise<[RTCDataChannel, RTCDataChannel]> {
    let remote: RTCDataChannel | undefined;
    b.ondatachannel = (e) => {
      remote = e.channel;
    };
    const local = a.createDataChannel('bundled');
    await negotiate(a, b);
    assert.ok(await world.run(() => local.readyState === 'open' && remote?.readyState === 'open', 30_000));
    return [local, remote!];
  }

  it('opens a data channel whose section is bundle-only (max-bundle), and gives senders the transport', async () => {
    const world = new SimWorld({ seed: 41, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 41, config: { bundlePolicy: 'max-bundle' } });
    try {
      const t = a.pc.addTransceiver('audio');
      assert.equal(t.sender.transport, null, 'no transport before negotiation');
      await channelPair(world, a.pc, b.pc);
      assert.match(a.pc.localDescription!.sdp, /m=application 0 [\s\S]*a=bundle-only/);
      assert.ok(t.sender.transport, 'the sender has the DTLS transport');
      assert.equal(t.receiver.transport, t.sender.transport);
      assert.match(
        String(b.pc.getTransceivers()[0]!.receiver.transport?.iceTransport.state),
        /^(connected|completed)$/,
      );
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('rejects the whole BUNDLE group when the answerer stopped the tagged transceiver: the data channel closes', async () => {
    const world = new SimWorld({ seed: 42, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 42 });
    try {
      a.pc.addTransceiver('audio');
      const [local, remote] = await channelPair(world, a.pc, b.pc);
      b.pc.getTransceivers()[0]!.stop();
      await negotiate(a.pc, b.pc);
      const answer = sections(b.pc.localDescription!.sdp);
      assert.ok(
        answer.every((s) => /^m=\S+ 0 /.test(s)),
        'every section of the group is rejected',
      );
      assert.ok(await world.run(() => local.readyState === 'closed' && remote.readyState === 'closed', 5000));
      assert.equal(b.pc.sctp, null);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});

describe('addTransceiver() sendEncodings', () => {
  it('checks rids (RFC 8851 grammar, 16 characters, all or none, unique) and ranges', () => {
    const pc = new RTCPeerConnection(config);
    try {
      const add = (sendEncodings: unknown[], kind: 'audio' | 'video' = 'video') =>
        pc.addTransceiver(kind, { sendEncodings: sendEncodings as never });
      assert.throws(() => add([{ rid: '@Invalid!' }]), TypeError);
      assert.throws(() => add([{ rid: 'a'.repeat(17) }]), TypeError);
      assert.throws(() => add([{ rid: 'a' }, {}]), TypeError, 'all or none');
      assert.throws(() => add([{ rid: 'a' }, { rid: 'a' }]), TypeError, 'unique');
      assert.throws(() => add([{ scaleResolutionDownBy: 0.5 }]), RangeError);
      assert.throws(() => add([{ maxFramerate: -1 }]), RangeError);
      assert.throws(() => add([{ maxBitrate: -1 }]), TypeError, '[EnforceRange] unsigned long');
      add([{ dtx: 'enabled', active: false, priority: 'low', ptime: 5, maxBitrate: 8, rid: 'foo' }], 'audio');
      const simulcast = add([{ rid: 'h' }, { rid: 'm' }, { rid: 'l' }]).sender.getParameters().encodings;
      assert.deepEqual(
        simulcast.map((e) => [e.rid, e.scaleResolutionDownBy]),
        [
          ['h', 4],
          ['m', 2],
          ['l', 1],
        ],
      );
      const audio = add([{ scaleResolutionDownBy: 2, maxFramerate: 5 }], 'audio').sender.getParameters();
      assert.equal(audio.encodings[0]!.scaleResolutionDownBy, undefined, 'audio has no resolution');
      assert.throws(() => pc.addTransceiver('data' as never), TypeError);
      assert.throws(() => pc.addTransceiver('audio', { direction: 'sideways' as never }), TypeError);
    } finally {
      pc.close();
    }
  });
});
