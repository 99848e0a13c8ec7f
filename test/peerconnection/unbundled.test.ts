/**
 * Connections without BUNDLE (JSEP RFC 8829 §5, RFC 8843) between two tsrtc peers in virtual time: an offer
 * without a BUNDLE group (as bundle-policy none writes it) answered with a transport per m-line; our offer
 * answered without BUNDLE (balanced keeps a transport per kind, max-bundle rejects the bundle-only
 * sections); BUNDLE accepted discards the extra transports; audio, video and data each on their own
 * transport with the content checked; renegotiation adding an unbundled m-line; ICE restart of every
 * transport; aggregate states, stats and the W3C transport objects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import type { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import type { RTCStats } from '../../src/peerconnection/stats.js';
import { RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { requireNodeAv } from '../media/node-av-available.js';
import { looksLikeQuadrants, QuadrantTrack, ToneTrack, toneFrequency } from '../media/sources.js';
import { SimWorld } from '../sim/runtime.js';
import { connected, simPeers } from './sim-peers.js';
import {
  collectFrames,
  distinctCandidateSets,
  negotiateEdited,
  simMediaClock,
  transportsOf,
  withoutBundle,
} from './unbundled-peers.js';

function statsOfType(report: Map<string, RTCStats>, type: string): RTCStats[] {
  return [...report.values()].filter((s) => s.type === type);
}

function prefer(pc: RTCPeerConnection, kind: 'audio' | 'video', mime: string): void {
  const codecs = RTCRtpSender.getCapabilities(kind)!.codecs.filter((c) => c.mimeType === mime);
  for (const t of pc.getTransceivers()) if (t.kind === kind) t.setCodecPreferences(codecs);
}

function openChannel(a: RTCPeerConnection, b: RTCPeerConnection, label: string) {
  let remote: RTCDataChannel | undefined;
  b.addEventListener('datachannel', (e) => {
    remote = (e as unknown as { channel: RTCDataChannel }).channel;
  });
  const local = a.createDataChannel(label);
  return {
    local,
    remote: () => remote,
    open: () => local.readyState === 'open' && remote?.readyState === 'open',
  };
}

async function echo(world: SimWorld, from: RTCDataChannel, to: RTCDataChannel, text: string): Promise<void> {
  let got: string | undefined;
  to.onmessage = (e) => {
    got = String(e.data);
  };
  from.send(text);
  assert.ok(await world.run(() => got === text, 10_000), `"${text}" arrives`);
}

describe('RTCPeerConnection without BUNDLE (virtual time)', () => {
  it('answers an offer without a BUNDLE group with a transport per m-line: audio, video and data flow', async (t) => {
    if (!(await requireNodeAv(t))) return;
    const world = new SimWorld({ seed: 11, conditions: { delay: 10 } });
    const [a, b] = await simPeers(world, { seed: 5 });
    const clock = simMediaClock(world);
    try {
      a.pc.addTrack(new ToneTrack(1000, 48_000, clock));
      a.pc.addTrack(new QuadrantTrack(320, 240, clock));
      b.pc.addTrack(new ToneTrack(1000, 48_000, clock));
      b.pc.addTrack(new QuadrantTrack(320, 240, clock));
      for (const pc of [a.pc, b.pc]) {
        prefer(pc, 'audio', 'audio/PCMU');
        prefer(pc, 'video', 'video/VP8');
      }
      const channel = openChannel(a.pc, b.pc, 'chat');
      const mids: (string | null)[] = [];
      b.pc.addEventListener('icecandidate', (e) => {
        const c = (e as unknown as { candidate: { sdpMid: string | null } | null }).candidate;
        if (c) mids.push(c.sdpMid);
      });
      const tracks: { a: Map<string, MediaStreamTrack> } = {
        a: new Map(),
      };
      const bTracks = new Map<string, MediaStreamTrack>();
      a.pc.ontrack = (e) => tracks.a.set(e.track.kind, e.track);
      b.pc.ontrack = (e) => bTracks.set(e.track.kind, e.track);

      await negotiateEdited(a.pc, b.pc, { offer: withoutBundle });
      const answer = transportsOf(b.pc.localDescription!.sdp);
      assert.equal(answer.length, 3);
      assert.equal(new Set(answer.map((s) => s.ufrag)).size, 1, 'the connection ICE credentials');
      assert.doesNotMatch(b.pc.localDescription!.sdp, /a=group:BUNDLE/);
      assert.ok(
        await world.run(() => connected(a.pc, b.pc) && channel.open(), 20_000),
        'connected, channel open',
      );
      assert.deepEqual([...new Set(mids)].sort(), ['0', '1', '2'], 'candidates announced under each mid');
      const answerNow = transportsOf(b.pc.localDescription!.sdp);
      assert.ok(
        answerNow.every((s) => s.candidates > 0),
        'each section lists its own transport candidates',
      );
      assert.equal(distinctCandidateSets(b.pc.localDescription!.sdp), 3, 'three sets of sockets');

      // The W3C objects: a DTLS transport per section on both sides, pc.sctp on the data section's.
      for (const pc of [a.pc, b.pc]) {
        const [audio, video] = pc.getTransceivers();
        const dtls = [audio!.sender.transport, video!.sender.transport, pc.sctp!.transport];
        assert.equal(new Set(dtls).size, 3, 'three DTLS transports');
        assert.equal(audio!.receiver.transport, audio!.sender.transport);
        for (const d of dtls) assert.equal((d as { state: string }).state, 'connected');
        const stats = await pc.getStats();
        assert.equal(statsOfType(stats, 'transport').length, 3);
        const pairs = statsOfType(stats, 'candidate-pair');
        assert.deepEqual(
          [...new Set(pairs.map((p) => p.transportId))].sort(),
          ['T01', 'T02', 'T03'],
          'candidate pairs per transport',
        );
        const sctpStats = statsOfType(stats, 'sctp-transport')[0]!;
        assert.ok(stats.get(sctpStats.transportId as string), 'the SCTP stats name a transport');
      }
      await echo(world, channel.local, channel.remote()!, 'over the data transport');
      await echo(world, channel.remote()!, channel.local, 'and back');

      // Media both ways, content checked.
      for (const [name, map] of [
        ['a', tracks.a],
        ['b', bTracks],
      ] as const) {
        const audio = collectFrames<AudioFrame>(map.get('audio')!);
        const video = collectFrames<VideoFrame>(map.get('video')!);
        const ok = await world.run(
          () => audio.frames.length >= 60 && video.frames.some((f) => looksLikeQuadrants(f)),
          20_000,
        );
        audio.stop();
        video.stop();
        assert.ok(ok, `${name} receives (${audio.frames.length} audio, ${video.frames.length} video frames)`);
        const f = toneFrequency(audio.frames.slice(10));
        assert.ok(Math.abs(f - 1000) < 30, `${name} hears 1 kHz (${f.toFixed(0)} Hz)`);
      }
      // RTP stats name the transport their section uses.
      const report = await a.pc.getStats();
      const outbound = statsOfType(report, 'outbound-rtp');
      assert.equal(new Set(outbound.map((s) => s.transportId)).size, 2, 'audio and video on two transports');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('our balanced offer answered without BUNDLE: a transport per kind stays, each connects', async () => {
    const world2 = new SimWorld({ seed: 13, conditions: { delay: 10 } });
    const [c, d] = await simPeers(world2, { seed: 7 });
    try {
      c.pc.addTrack(new ToneTrack(1000, 48_000, simMediaClock(world2)));
      c.pc.addTransceiver('video', { direction: 'recvonly' });
      prefer(c.pc, 'audio', 'audio/PCMU');
      const channel = openChannel(c.pc, d.pc, 'chat');
      let dAudio: MediaStreamTrack | undefined;
      d.pc.ontrack = (e) => {
        if (e.track.kind === 'audio') dAudio = e.track;
      };
      // The peer does not bundle: it sees no group and answers without one.
      await negotiateEdited(c.pc, d.pc, { offer: withoutBundle });
      assert.doesNotMatch(c.pc.remoteDescription!.sdp, /a=group:BUNDLE/);
      assert.match(c.pc.localDescription!.sdp, /a=group:BUNDLE 0 1 2/, 'our offer proposed BUNDLE');
      assert.ok(await world2.run(() => connected(c.pc, d.pc) && channel.open(), 20_000), 'connected');
      assert.equal(distinctCandidateSets(c.pc.localDescription!.sdp), 3, 'balanced: one transport per kind');
      const [audio, video] = c.pc.getTransceivers();
      assert.notEqual(audio!.sender.transport, video!.sender.transport);
      assert.notEqual(audio!.sender.transport, c.pc.sctp!.transport);
      assert.equal(statsOfType(await c.pc.getStats(), 'transport').length, 3);
      await echo(world2, channel.local, channel.remote()!, 'unbundled data');
      const frames = collectFrames<AudioFrame>(dAudio!);
      assert.ok(await world2.run(() => frames.frames.length >= 40, 10_000), 'audio arrives');
      frames.stop();
      const f = toneFrequency(frames.frames.slice(5));
      assert.ok(Math.abs(f - 1000) < 30, `1 kHz (${f.toFixed(0)} Hz)`);
    } finally {
      c.pc.close();
      d.pc.close();
    }
  });

  it('BUNDLE accepted: the extra transports of the initial offer are discarded, one remains', async () => {
    const world = new SimWorld({ seed: 14, conditions: { delay: 10 } });
    const [a, b] = await simPeers(world, { seed: 8 });
    try {
      a.pc.addTransceiver('audio');
      a.pc.addTransceiver('video');
      const channel = openChannel(a.pc, b.pc, 'chat');
      const mids = new Set<string | null>();
      a.pc.onicecandidate = (e) => {
        if (e.candidate) mids.add(e.candidate.sdpMid);
        void b.pc.addIceCandidate(e.candidate).catch(() => undefined);
      };
      await a.pc.setLocalDescription();
      const [audio, video] = a.pc.getTransceivers();
      assert.notEqual(audio!.sender.transport, video!.sender.transport, 'pending offer: one per kind');
      await world.run(() => a.pc.iceGatheringState === 'complete', 5_000);
      assert.deepEqual([...mids].sort(), ['0', '1', '2'], 'each offered transport gathers');
      const sections = transportsOf(a.pc.localDescription!.sdp);
      assert.ok(
        sections.every((s) => s.candidates > 0),
        'each section of the initial offer lists candidates',
      );
      await b.pc.setRemoteDescription(a.pc.localDescription!);
      await b.pc.setLocalDescription();
      await a.pc.setRemoteDescription(b.pc.localDescription!);
      assert.ok(await world.run(() => connected(a.pc, b.pc) && channel.open(), 20_000), 'connected');
      assert.equal(audio!.sender.transport, video!.sender.transport, 'bundled: one transport');
      assert.equal(a.pc.sctp!.transport, audio!.sender.transport);
      assert.equal(statsOfType(await a.pc.getStats(), 'transport').length, 1, 'the others are closed');
      await echo(world, channel.local, channel.remote()!, 'bundled');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('max-bundle offer answered without BUNDLE: the bundle-only sections are rejected', async () => {
    const world = new SimWorld({ seed: 15, conditions: { delay: 10 } });
    const [a, b] = await simPeers(world, { seed: 9, config: { bundlePolicy: 'max-bundle' } });
    try {
      a.pc.addTransceiver('audio');
      a.pc.addTransceiver('video');
      a.pc.createDataChannel('chat');
      await a.pc.setLocalDescription();
      await world.run(() => a.pc.iceGatheringState === 'complete', 5_000);
      const offer = transportsOf(a.pc.localDescription!.sdp);
      assert.equal(distinctCandidateSets(a.pc.localDescription!.sdp), 1, 'max-bundle: one transport');
      assert.deepEqual(
        offer.map((s) => s.port === 0),
        [false, true, true],
      );
      await b.pc.setRemoteDescription({ type: 'offer', sdp: withoutBundle(a.pc.localDescription!.sdp) });
      await b.pc.setLocalDescription();
      const answer = transportsOf(b.pc.localDescription!.sdp);
      assert.deepEqual(
        answer.map((s) => s.port === 0),
        [false, true, true],
        'without the group a bundle-only section is rejected',
      );
      await a.pc.setRemoteDescription(b.pc.localDescription!);
      assert.ok(await world.run(() => connected(a.pc, b.pc), 20_000), 'the first m-line connects');
      assert.equal(a.pc.sctp, null, 'the data section was rejected');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('renegotiation adds an unbundled m-line with its own transport; ICE restart restarts every transport', async () => {
    const world = new SimWorld({ seed: 16, conditions: { delay: 10 } });
    const [a, b] = await simPeers(world, { seed: 10 });
    const clock = simMediaClock(world);
    try {
      const channel = openChannel(a.pc, b.pc, 'chat');
      a.pc.addTransceiver('video', { direction: 'recvonly' });
      await negotiateEdited(a.pc, b.pc, { offer: withoutBundle });
      assert.ok(await world.run(() => connected(a.pc, b.pc) && channel.open(), 20_000), 'connected');
      assert.equal(statsOfType(await b.pc.getStats(), 'transport').length, 2);

      // b adds audio: its offer keeps each section on its own transport and the new one gets another.
      b.pc.addTrack(new ToneTrack(1000, 48_000, clock));
      prefer(b.pc, 'audio', 'audio/PCMU');
      let aAudio: MediaStreamTrack | undefined;
      a.pc.ontrack = (e) => {
        if (e.track.kind === 'audio') aAudio = e.track;
      };
      await negotiateEdited(b.pc, a.pc);
      assert.doesNotMatch(b.pc.localDescription!.sdp, /a=group:BUNDLE/, 'no BUNDLE was negotiated');
      assert.ok(await world.run(() => connected(a.pc, b.pc) && aAudio !== undefined, 20_000));
      assert.equal(
        distinctCandidateSets(b.pc.localDescription!.sdp),
        3,
        'the new m-line has its own transport',
      );
      const frames = collectFrames<AudioFrame>(aAudio!);
      assert.ok(await world.run(() => frames.frames.length >= 30, 10_000), 'audio on the new transport');
      frames.stop();
      assert.equal(statsOfType(await a.pc.getStats(), 'transport').length, 3);

      // ICE restart: every transport gets new credentials and the connection stays up.
      const before = transportsOf(a.pc.localDescription!.sdp).map((s) => s.ufrag);
      a.pc.restartIce();
      await negotiateEdited(a.pc, b.pc);
      const after = transportsOf(a.pc.localDescription!.sdp).map((s) => s.ufrag);
      assert.ok(
        after.every((u, i) => u !== before[i]),
        `every section restarted (${before} → ${after})`,
      );
      assert.equal(new Set(after).size, 1, 'the transports share the new credentials');
      await world.runFor(3000);
      assert.ok(connected(a.pc, b.pc), `${a.pc.connectionState} / ${b.pc.connectionState}`);
      await echo(world, channel.local, channel.remote()!, 'after the restart');

      // close() closes every transport at once.
      const dtls = a.pc.getTransceivers().map((t) => t.sender.transport!);
      a.pc.close();
      assert.ok(dtls.every((d) => d.state === 'closed'));
      assert.ok(await world.run(() => b.pc.connectionState === 'closed', 5_000), b.pc.connectionState);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});
