/**
 * The W3C RTP media API semantics: replaceTrack (kind, stopped transceiver, no renegotiation, on the
 * operations chain), getParameters/setParameters and their transaction rules, getCapabilities,
 * setCodecPreferences errors, transceiver stop() with its stopping and stopped states, setStreams.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaStream } from '../../src/media/media-stream.js';
import { AudioStreamTrack, VideoStreamTrack } from '../../src/media/stream-tracks.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { RTCRtpReceiver, RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { SimWorld } from '../sim/runtime.js';
import { negotiate, simPeers } from './sim-peers.js';

const config = { iceLoopbackOnly: true };
const nextTask = (): Promise<void> => new Promise((r) => setImmediate(r));

async function rejectsWith(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: Error) => e.name === name, `expected ${name}`);
}

describe('RTCRtpSender.replaceTrack()', () => {
  it('refuses another kind (TypeError) and a stopped transceiver (InvalidStateError)', async () => {
    const pc = new RTCPeerConnection(config);
    try {
      const t = pc.addTransceiver('audio');
      await assert.rejects(t.sender.replaceTrack(new VideoStreamTrack()), TypeError);
      await assert.rejects(t.sender.replaceTrack({} as never), TypeError);
      t.stop();
      await rejectsWith(t.sender.replaceTrack(new AudioStreamTrack()), 'InvalidStateError');
    } finally {
      pc.close();
    }
  });

  it('replaces a negotiated track without renegotiation, after operations already chained', async () => {
    const world = new SimWorld({ seed: 51, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 51 });
    try {
      const first = new AudioStreamTrack();
      const sender = a.pc.addTrack(first);
      await negotiate(a.pc, b.pc);
      let needed = 0;
      a.pc.onnegotiationneeded = () => needed++;
      const order: string[] = [];
      const offer = a.pc.createOffer().then(() => order.push('createOffer'));
      const second = new AudioStreamTrack();
      const replaced = sender.replaceTrack(second).then(() => order.push('replaceTrack'));
      assert.equal(sender.track, first, 'not replaced synchronously');
      await Promise.all([offer, replaced]);
      assert.deepEqual(order, ['createOffer', 'replaceTrack'], 'on the operations chain');
      assert.equal(sender.track, second);
      await sender.replaceTrack(null);
      assert.equal(sender.track, null);
      await world.runFor(50);
      assert.equal(needed, 0);
      assert.equal(a.pc.signalingState, 'stable');
      a.pc.close();
      await rejectsWith(sender.replaceTrack(second), 'InvalidStateError');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});

describe('RTCRtpSender.getParameters() / setParameters()', () => {
  it('keeps the transaction rules: same task, same transactionId, no change to read-only members', async () => {
    const pc = new RTCPeerConnection(config);
    try {
      const { sender } = pc.addTransceiver('video', { sendEncodings: [{ rid: 'a' }, { rid: 'b' }] });
      await assert.rejects(
        sender.setParameters({ transactionId: 'x' } as never),
        TypeError,
        'encodings is required',
      );
      await rejectsWith(
        sender.setParameters({ transactionId: 'x', encodings: [] } as never),
        'InvalidStateError',
      );
      const p1 = sender.getParameters();
      const p2 = sender.getParameters();
      assert.notEqual(p1.transactionId, p2.transactionId);
      await rejectsWith(sender.setParameters(p1), 'InvalidModificationError');
      const stale = sender.getParameters();
      await nextTask();
      await rejectsWith(sender.setParameters(stale), 'InvalidStateError');
      const fewer = sender.getParameters();
      fewer.encodings.pop();
      await rejectsWith(sender.setParameters(fewer), 'InvalidModificationError');
      const renamed = sender.getParameters();
      renamed.encodings[0]!.rid = 'z';
      await rejectsWith(sender.setParameters(renamed), 'InvalidModificationError');
      const rtcp = sender.getParameters();
      rtcp.rtcp.reducedSize = !rtcp.rtcp.reducedSize;
      await rejectsWith(sender.setParameters(rtcp), 'InvalidModificationError');
      const small = sender.getParameters();
      small.encodings[0]!.scaleResolutionDownBy = 0.5;
      await assert.rejects(sender.setParameters(small), RangeError);
      const ok = sender.getParameters();
      ok.encodings[1]!.maxBitrate = 300_000;
      ok.encodings[0]!.active = false;
      await sender.setParameters(ok);
      const after = sender.getParameters();
      assert.equal(after.encodings[1]!.maxBitrate, 300_000);
      assert.equal(after.encodings[0]!.active, false);
      await rejectsWith(sender.setParameters(ok), 'InvalidModificationError'); // an older transaction
    } finally {
      pc.close();
    }
  });

  it('reports the negotiated codecs, header extensions and RTCP once a negotiation completes', async () => {
    const world = new SimWorld({ seed: 52, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 52 });
    try {
      const t = a.pc.addTransceiver('audio');
      assert.deepEqual(t.sender.getParameters().codecs, [], 'nothing negotiated yet');
      await negotiate(a.pc, b.pc);
      const send = t.sender.getParameters();
      assert.ok(
        send.codecs.some((c) => c.mimeType === 'audio/opus' && c.clockRate === 48_000 && c.channels === 2),
      );
      assert.ok(send.codecs.every((c) => Number.isInteger(c.payloadType)));
      assert.ok(send.headerExtensions.some((h) => h.uri === 'urn:ietf:params:rtp-hdrext:sdes:mid'));
      assert.equal(typeof send.rtcp.cname, 'string');
      const receive = b.pc.getTransceivers()[0]!.receiver.getParameters();
      assert.ok(receive.codecs.length > 0);
      assert.ok(!('transactionId' in receive));
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});

describe('capabilities and setCodecPreferences()', () => {
  it('getCapabilities gives audio and video codecs, null for other kinds', () => {
    for (const cls of [RTCRtpSender, RTCRtpReceiver]) {
      assert.ok(cls.getCapabilities('audio')!.codecs.some((c) => c.mimeType === 'audio/opus'));
      assert.ok(cls.getCapabilities('video')!.codecs.some((c) => c.mimeType === 'video/VP8'));
      assert.equal(cls.getCapabilities('data'), null);
    }
  });

  it('refuses codecs it cannot use with InvalidModificationError; an empty list restores the default', () => {
    const pc = new RTCPeerConnection(config);
    try {
      const t = pc.addTransceiver('video');
      const codecs = RTCRtpReceiver.getCapabilities('video')!.codecs;
      const vp8 = codecs.find((c) => c.mimeType === 'video/VP8')!;
      const rtx = codecs.find((c) => c.mimeType === 'video/rtx')!;
      const h264 = codecs.find((c) => c.mimeType === 'video/H264')!;
      const cases: [string, unknown[]][] = [
        ['unknown codec', [{ mimeType: 'video/XYZ', clockRate: 90_000 }]],
        ['audio codec on video', [RTCRtpReceiver.getCapabilities('audio')!.codecs[0]]],
        ['changed clock rate', [{ ...vp8, clockRate: 8000 }]],
        ['changed fmtp line', [{ ...h264, sdpFmtpLine: 'profile-level-id=ffffff' }]],
        ['only RTX', [rtx]],
      ];
      for (const [what, list] of cases) {
        assert.throws(
          () => t.setCodecPreferences(list as never),
          (e: Error) => e.name === 'InvalidModificationError',
          what,
        );
      }
      assert.throws(() => t.setCodecPreferences([{ mimeType: 'video/VP8' }] as never), TypeError);
      t.setCodecPreferences([vp8, vp8, rtx]);
      assert.equal(t.codecPreferences.length, 2, 'duplicates dropped');
      t.setCodecPreferences([]);
      assert.equal(t.codecPreferences.length, 0);
    } finally {
      pc.close();
    }
  });
});

describe('RTCRtpTransceiver.stop()', () => {
  it('stops at once (direction "stopped", track ended); the next negotiation completes it', async () => {
    const world = new SimWorld({ seed: 53, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 53 });
    try {
      const t = a.pc.addTransceiver('audio');
      a.pc.addTransceiver('video');
      await negotiate(a.pc, b.pc);
      assert.equal(t.currentDirection, 'sendrecv');
      const needed = new Promise((r) => (a.pc.onnegotiationneeded = r));
      t.stop();
      assert.equal(t.direction, 'stopped');
      assert.equal(t.currentDirection, 'sendrecv', 'currentDirection waits for the negotiation');
      assert.equal(t.receiver.track.readyState, 'ended');
      assert.throws(
        () => (t.direction = 'sendrecv'),
        (e: Error) => e.name === 'InvalidStateError',
      );
      t.stop(); // idempotent
      await needed;
      assert.ok(a.pc.getTransceivers().includes(t), 'still listed while stopping');
      await negotiate(a.pc, b.pc);
      assert.equal(t.currentDirection, 'stopped');
      assert.ok(!a.pc.getTransceivers().includes(t), 'gone once stopped');
      assert.ok(!a.pc.getSenders().includes(t.sender));
      assert.equal(b.pc.getTransceivers().length, 1, 'the peer stopped its side too');
      assert.match(a.pc.localDescription!.sdp, /m=audio 0 /);
      a.pc.close();
      assert.throws(
        () => a.pc.getTransceivers()[0]!.stop(),
        (e: Error) => e.name === 'InvalidStateError',
      );
      assert.equal(a.pc.getTransceivers()[0]!.currentDirection, 'stopped', 'close() stops every transceiver');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('setStreams() changes the msid and asks for negotiation', async () => {
    const world = new SimWorld({ seed: 54, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 54 });
    try {
      const sender = a.pc.addTrack(new AudioStreamTrack());
      await negotiate(a.pc, b.pc);
      const needed = new Promise((r) => (a.pc.onnegotiationneeded = r));
      const stream = new MediaStream();
      sender.setStreams(stream);
      await needed;
      let streams: readonly MediaStream[] = [];
      b.pc.ontrack = (e) => {
        streams = e.streams;
      };
      await negotiate(a.pc, b.pc);
      assert.match(a.pc.localDescription!.sdp, new RegExp(`a=msid:${stream.id} `));
      assert.deepEqual(streams, [], 'no second track event: the track was already announced');
      const track = b.pc.getTransceivers()[0]!.receiver.track;
      // The peer's track now belongs to the remote stream of that id (W3C "set the associated remote streams").
      b.pc.ontrack = null;
      const other = a.pc.addTrack(new AudioStreamTrack(), stream);
      let joined: readonly MediaStream[] = [];
      b.pc.ontrack = (e) => {
        joined = e.streams;
      };
      await negotiate(a.pc, b.pc);
      assert.equal(joined[0]?.id, stream.id);
      assert.ok(joined[0]!.getTracks().includes(track), 'both tracks in the one remote stream');
      assert.ok(other);
      a.pc.close();
      assert.throws(
        () => sender.setStreams(stream),
        (e: Error) => e.name === 'InvalidStateError',
      );
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});
