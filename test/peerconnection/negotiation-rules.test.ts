/**
 * Negotiation rules each found broken once: bundle-only sections fire `track`, RTX SSRCs appear only where
 * RTX is negotiated, setCodecPreferences shapes answers, our answers announce our SSRCs, candidate pairs
 * count what they receive, getStats(selector) selects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioStreamTrack, VideoStreamTrack } from '../../src/media/stream-tracks.js';
import { RTCRtpReceiver } from '../../src/peerconnection/transceiver.js';
import { parseSdp } from '../../src/sdp/parse.js';
import { SimWorld } from '../sim/runtime.js';
import { connected, negotiate, simPeers } from './sim-peers.js';

describe('negotiation rules', () => {
  it('fires track for bundle-only sections of a max-bundle offer', async () => {
    const world = new SimWorld();
    const [a, b] = await simPeers(world, { config: { bundlePolicy: 'max-bundle' } });
    try {
      a.pc.addTrack(new AudioStreamTrack());
      a.pc.addTrack(new VideoStreamTrack());
      await a.pc.setLocalDescription();
      const offer = parseSdp(a.pc.localDescription!.sdp);
      assert.equal(offer.media[1]!.port, 0, 'the second section rides on the first (port 0)');
      assert.equal(offer.media[1]!.bundleOnly, true);
      const kinds: string[] = [];
      b.pc.ontrack = (e) => kinds.push(e.track.kind);
      await b.pc.setRemoteDescription(a.pc.localDescription!);
      assert.deepEqual(kinds.sort(), ['audio', 'video']);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('gives a sender an RTX SSRC (FID group) only where RTX is negotiated', async () => {
    const world = new SimWorld();
    const [a, b] = await simPeers(world);
    try {
      a.pc.addTrack(new AudioStreamTrack());
      a.pc.addTrack(new VideoStreamTrack());
      await a.pc.setLocalDescription();
      const [audio, video] = parseSdp(a.pc.localDescription!.sdp).media;
      assert.deepEqual(audio!.ssrcGroups, [], 'no FID in an audio section without rtx');
      assert.equal(new Set(audio!.ssrcs.map((s) => s.ssrc)).size, 1);
      assert.equal(video!.ssrcGroups[0]?.semantics, 'FID');
      assert.equal(new Set(video!.ssrcs.map((s) => s.ssrc)).size, 2);

      // The answerer announces its own senders' SSRCs too (SSRC-based peers need them).
      await b.pc.setRemoteDescription(a.pc.localDescription!);
      for (const t of b.pc.getTransceivers()) {
        t.direction = 'sendrecv';
        await t.sender.replaceTrack(t.kind === 'audio' ? new AudioStreamTrack() : new VideoStreamTrack());
      }
      await b.pc.setLocalDescription();
      const [bAudio, bVideo] = parseSdp(b.pc.localDescription!.sdp).media;
      assert.equal(new Set(bAudio!.ssrcs.map((s) => s.ssrc)).size, 1);
      assert.ok(bAudio!.ssrcs.some((s) => s.attribute === 'cname'));
      assert.equal(bVideo!.ssrcGroups[0]?.semantics, 'FID');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('answers with the codecs setCodecPreferences chose, in that order', async () => {
    const world = new SimWorld();
    const [a, b] = await simPeers(world);
    try {
      a.pc.addTrack(new AudioStreamTrack());
      await a.pc.setLocalDescription();
      await b.pc.setRemoteDescription(a.pc.localDescription!);
      const codecs = RTCRtpReceiver.getCapabilities('audio')!.codecs;
      const pcmu = codecs.find((c) => c.mimeType === 'audio/PCMU')!;
      const pcma = codecs.find((c) => c.mimeType === 'audio/PCMA')!;
      b.pc.getTransceivers()[0]!.setCodecPreferences([pcma, pcmu]);
      await b.pc.setLocalDescription();
      const answer = parseSdp(b.pc.localDescription!.sdp).media[0]!;
      assert.deepEqual(
        answer.codecs.map((c) => c.name),
        ['PCMA', 'PCMU'],
      );
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('offers only the preferred codecs of a transceiver, keeping shared payload types', async () => {
    const world = new SimWorld();
    const [a, b] = await simPeers(world);
    try {
      const t = a.pc.addTransceiver('video');
      const h264 = RTCRtpReceiver.getCapabilities('video')!.codecs.filter((c) => c.mimeType === 'video/H264');
      t.setCodecPreferences(h264);
      a.pc.addTransceiver('video');
      await a.pc.setLocalDescription();
      const [first, second] = parseSdp(a.pc.localDescription!.sdp).media;
      assert.deepEqual(
        first!.codecs.map(
          (c) => `${c.name} ${c.parameters['packetization-mode']} ${c.parameters['profile-level-id']}`,
        ),
        ['H264 1 42e01f', 'H264 0 42e01f', 'H264 1 4d001f'],
      );
      assert.ok(second!.codecs.some((c) => c.name === 'VP8'));
      const pt = first!.codecs[0]!.payloadType;
      assert.equal(
        second!.codecs.find((c) => c.name === 'H264')?.payloadType,
        pt,
        'one payload type per codec',
      );
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('counts received packets on the candidate pair and selects stats by track', async () => {
    const world = new SimWorld({ conditions: { delay: 5 } });
    const [a, b] = await simPeers(world);
    try {
      const track = new AudioStreamTrack();
      a.pc.addTrack(track);
      const channel = a.pc.createDataChannel('stats');
      await negotiate(a.pc, b.pc);
      assert.ok(await world.run(() => connected(a.pc, b.pc) && channel.readyState === 'open'));
      channel.send('x');
      await world.runFor(200);
      const stats = await a.pc.getStats();
      const pair = [...stats.values()].find((s) => s.type === 'candidate-pair' && s.nominated)!;
      assert.ok((pair.packetsReceived as number) > 0, 'packetsReceived counted');
      assert.ok((pair.bytesReceived as number) > 0, 'bytesReceived counted');
      assert.ok((pair.currentRoundTripTime as number) < 1, 'round-trip time in seconds');
      await assert.rejects(a.pc.getStats(new AudioStreamTrack()), { name: 'InvalidAccessError' });
      const selected = await a.pc.getStats(track);
      assert.ok(!selected.has('P'), 'a track selector leaves out what does not concern the track');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});
