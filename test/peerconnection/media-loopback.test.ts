/**
 * Media through two tsrtc RTCPeerConnections on loopback: the seed's pull API at both ends — addTrack with a
 * track whose recv() yields frames, ontrack giving a track whose recv() yields the peer's frames — with the
 * content checked (a known tone's frequency, a known picture's colours) for each codec, and the stats filled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioFrame } from '../../src/media/audio-frame.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import { VideoFrame } from '../../src/media/video-frame.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { requireNodeAv } from '../media/node-av-available.js';
import { looksLikeQuadrants, QuadrantTrack, ToneTrack, toneFrequency } from '../media/sources.js';
import { trickleBothWays } from './trickle.js';

const config = { iceLoopbackOnly: true };

async function connect(a: RTCPeerConnection, b: RTCPeerConnection): Promise<void> {
  trickleBothWays(a, b);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
}

/** `mimeType`, optionally with fmtp parameters after a space that the codec must have (H.264 variants). */
function preferCodec(pc: RTCPeerConnection, kind: 'audio' | 'video', spec: string): void {
  const [mimeType, ...params] = spec.split(' ');
  const codecs = RTCRtpSender.getCapabilities(kind)!.codecs.filter(
    (c) =>
      c.mimeType.toLowerCase() === mimeType!.toLowerCase() &&
      params.every((p) => (c.sdpFmtpLine ?? '').split(';').includes(p)),
  );
  for (const t of pc.getTransceivers()) if (t.kind === kind) t.setCodecPreferences(codecs);
}

async function collect<T>(track: MediaStreamTrack, count: number, ms = 15_000): Promise<T[]> {
  const out: T[] = [];
  const deadline = Date.now() + ms;
  while (out.length < count) {
    if (Date.now() > deadline) throw new Error(`received ${out.length}/${count} frames`);
    out.push(
      (await Promise.race([
        track.recv(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('recv timed out')), ms)),
      ])) as T,
    );
  }
  return out;
}

const AUDIO: { mime: string; needsNodeAv: boolean }[] = [
  { mime: 'audio/PCMU', needsNodeAv: false },
  { mime: 'audio/PCMA', needsNodeAv: false },
  { mime: 'audio/opus', needsNodeAv: true },
  { mime: 'audio/G722', needsNodeAv: true },
];
const VIDEO = [
  'video/VP8',
  'video/VP9',
  'video/H264 packetization-mode=1 profile-level-id=42e01f',
  'video/H264 packetization-mode=0',
  'video/H264 profile-level-id=4d001f',
  'video/AV1',
];

describe('media between two tsrtc peers (loopback)', () => {
  for (const { mime, needsNodeAv } of AUDIO) {
    it(`${mime}: a 440 Hz tone arrives as a 440 Hz tone`, async (t) => {
      if (needsNodeAv && !(await requireNodeAv(t))) return;
      const a = new RTCPeerConnection(config);
      const b = new RTCPeerConnection(config);
      const source = new ToneTrack(440);
      try {
        a.addTrack(source);
        preferCodec(a, 'audio', mime);
        let remote: MediaStreamTrack | undefined;
        b.ontrack = (e) => {
          remote = e.track;
        };
        await connect(a, b);
        assert.ok(remote, 'ontrack fired');
        const frames = await collect<AudioFrame>(remote!, 60);
        assert.ok(frames.every((f) => f instanceof AudioFrame));
        // The first frames may hold the decoder's start-up; judge the last second.
        const f = toneFrequency(frames.slice(-50));
        assert.ok(Math.abs(f - 440) < 15, `received ${f.toFixed(1)} Hz`);
        const stats = await a.getStats();
        const out = [...stats.values()].find((s) => s.type === 'outbound-rtp' && s.kind === 'audio');
        assert.ok(out && (out.packetsSent as number) > 0, 'outbound-rtp counts packets');
        const codec = stats.get(out!.codecId as string);
        assert.equal(String(codec?.mimeType).toLowerCase(), mime.toLowerCase());
        const inStats = [...(await b.getStats()).values()].find((s) => s.type === 'inbound-rtp');
        assert.ok(inStats && (inStats.packetsReceived as number) > 0, 'inbound-rtp counts packets');
      } finally {
        source.stop();
        a.close();
        b.close();
      }
    });
  }

  for (const mime of VIDEO) {
    it(`${mime}: a four-colour picture arrives with its colours and size`, async (t) => {
      if (!(await requireNodeAv(t))) return;
      const a = new RTCPeerConnection(config);
      const b = new RTCPeerConnection(config);
      const source = new QuadrantTrack(320, 240);
      try {
        a.addTrack(source);
        preferCodec(a, 'video', mime);
        let remote: MediaStreamTrack | undefined;
        b.ontrack = (e) => {
          remote = e.track;
        };
        await connect(a, b);
        const frames = await collect<VideoFrame>(remote!, 20, 30_000);
        const last = frames.at(-1)!;
        assert.ok(last instanceof VideoFrame);
        assert.equal(last.width, 320);
        assert.equal(last.height, 240);
        assert.ok(looksLikeQuadrants(last), 'the colours survive the codec');
        const stats = [...(await b.getStats()).values()];
        const inbound = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'video')!;
        assert.ok((inbound.framesDecoded as number) >= 20);
        assert.equal(inbound.frameWidth, 320);
      } finally {
        source.stop();
        a.close();
        b.close();
      }
    });
  }
});

describe('RTP stats between two tsrtc peers', () => {
  it('fills outbound, inbound, remote-inbound, remote-outbound, codec and media-source with references', async (t) => {
    if (!(await requireNodeAv(t))) return;
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    const source = new QuadrantTrack(320, 240);
    try {
      const sender = a.addTrack(source);
      b.ontrack = (e) => {
        void (async () => {
          for (;;) await e.track.recv();
        })().catch(() => undefined);
      };
      await connect(a, b);
      // Video reports go out about once a second: wait for a few rounds.
      const deadline = Date.now() + 15_000;
      let stats = await sender.getStats();
      while (
        ![...stats.values()].some((s) => s.type === 'remote-inbound-rtp' && s.roundTripTime !== undefined)
      ) {
        if (Date.now() > deadline) throw new Error('no remote-inbound-rtp with an RTT');
        await new Promise((r) => setTimeout(r, 200));
        stats = await sender.getStats();
      }
      const out = [...stats.values()].find((s) => s.type === 'outbound-rtp')!;
      for (const ref of ['codecId', 'mediaSourceId', 'remoteId', 'transportId'])
        assert.ok(stats.has(out[ref] as string), `${ref} resolves`);
      assert.equal(stats.get(out.mediaSourceId as string)?.trackIdentifier, source.id);
      const remoteIn = stats.get(out.remoteId as string)!;
      assert.ok((remoteIn.roundTripTime as number) >= 0 && (remoteIn.roundTripTime as number) < 0.5);
      assert.ok((out.framesEncoded as number) > 0 && (out.keyFramesEncoded as number) >= 1);
      const received = await b.getReceivers()[0]!.getStats();
      const inbound = [...received.values()].find((s) => s.type === 'inbound-rtp')!;
      assert.ok(received.has(inbound.codecId as string));
      const remoteOut = received.get(inbound.remoteId as string);
      assert.equal(remoteOut?.type, 'remote-outbound-rtp');
      assert.ok((remoteOut!.packetsSent as number) > 0);
      assert.ok(!received.has('P'), 'a receiver report holds only what concerns it');
    } finally {
      source.stop();
      a.close();
      b.close();
    }
  });
});
