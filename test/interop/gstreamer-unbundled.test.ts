/**
 * GStreamer 1.22 webrtcbin with its default bundle-policy (none): no BUNDLE group in its offers, and as
 * answerer it declines ours. Each m-line then has its own ICE and DTLS transport on both sides. Audio + video
 * + a data channel, each side offering, media and messages checked both ways.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { parseSdp } from '../../src/sdp/parse.js';
import { looksLikeQuadrants, QuadrantTrack, ToneTrack, toneFrequency } from '../media/sources.js';
import { type GstPeer, gstreamerSkipReason, gstSawQuadrants, GstPeer as Peer } from './gstreamer.js';

const skip = gstreamerSkipReason();

async function recvFrames<T>(track: MediaStreamTrack, count: number, gst: GstPeer): Promise<T[]> {
  const out: T[] = [];
  const timer = setTimeout(() => track.stop(), 20_000);
  try {
    while (out.length < count) out.push((await track.recv()) as T);
  } catch (e) {
    throw new Error(
      `tsrtc received ${out.length}/${count} ${track.kind} frames: ${String(e)}\n${gst.diagnostics()}`,
    );
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/** The candidate ports of each m-line that lists candidates: one set per transport. */
function candidateSets(sdp: string): Set<string> {
  const d = parseSdp(sdp);
  return new Set(
    d.media.filter((m) => m.candidates.length > 0).map((m) => m.candidates.map((c) => c.port).join(',')),
  );
}

/** Media and data both ways, then the transports: one per m-line on the tsrtc side. */
async function checkFlows(
  pc: RTCPeerConnection,
  gst: GstPeer,
  remote: Map<string, MediaStreamTrack>,
  channel: () => RTCDataChannel | undefined,
): Promise<void> {
  const frames = await recvFrames<VideoFrame>(remote.get('video')!, 30, gst);
  assert.equal(`${frames.at(-1)!.width}x${frames.at(-1)!.height}`, '320x240');
  assert.ok(looksLikeQuadrants(frames.at(-1)!), 'tsrtc sees the quadrants');
  const samples = await recvFrames<AudioFrame>(remote.get('audio')!, 100, gst);
  const heard = toneFrequency(samples.slice(-50));
  assert.ok(Math.abs(heard - 1000) < 30, `tsrtc heard ${heard.toFixed(1)} Hz`);

  const seen = await gst.next((m) => gstSawQuadrants(m), 'GStreamer to see the quadrants');
  assert.equal(`${seen.width}x${seen.height}`, '320x240');
  await gst.next(
    (m) => m.event === 'audio' && Math.abs(m.frequency! - 1000) < 30 && m.peak! > 1000,
    'GStreamer to hear 1 kHz',
  );

  await gst.next((m) => m.event === 'open' && m.label === 'chat', 'chat open in GStreamer');
  const deadline = Date.now() + 10_000;
  while (channel()?.readyState !== 'open' && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const ch = channel();
  assert.equal(ch?.readyState, 'open', 'the chat channel is open in tsrtc');
  const got = new Promise<string>((resolve) => {
    ch!.onmessage = (e) => resolve(e.data as string);
  });
  gst.send({ send: { label: 'chat', text: 'from GStreamer' } });
  assert.equal(await got, 'from GStreamer');
  ch!.send('from tsrtc');
  const message = await gst.next((m) => m.event === 'message' && m.label === 'chat', 'chat message');
  assert.equal(message.sha256, createHash('sha256').update('from tsrtc').digest('hex'));

  assert.equal(candidateSets(pc.localDescription!.sdp).size, 3, 'our sections list three sets of candidates');
  const [first, second] = pc.getTransceivers();
  const dtls = new Set([first!.sender.transport, second!.sender.transport, pc.sctp!.transport]);
  assert.equal(dtls.size, 3, 'a DTLS transport per m-line');
  for (const d of dtls) assert.equal(d?.state, 'connected');
  const stats = await pc.getStats();
  const transports = [...stats.values()].filter((s) => s.type === 'transport');
  assert.equal(transports.length, 3);
  assert.ok(transports.every((t) => t.dtlsState === 'connected' && t.selectedCandidatePairId));
  assert.equal(pc.connectionState, 'connected');
  gst.assertNoErrors();
}

function prefer(pc: RTCPeerConnection, video: string, audio: string): void {
  for (const t of pc.getTransceivers()) {
    const kind = t.receiver.track.kind as 'audio' | 'video';
    const mime = kind === 'video' ? video : audio;
    t.setCodecPreferences(
      RTCRtpSender.getCapabilities(kind)!.codecs.filter((c) => c.mimeType.toLowerCase() === mime),
    );
  }
}

describe('tsrtc ↔ GStreamer webrtcbin without BUNDLE (its default bundle-policy)', { skip }, () => {
  it('GStreamer offers VP8 + Opus + data without a BUNDLE group: a transport per m-line, all flow', async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const gst = new Peer({
      role: 'offer',
      bundle: 'default',
      send: [{ codec: 'VP8' }, { codec: 'OPUS' }],
      channels: [{ label: 'chat' }],
    });
    const picture = new QuadrantTrack(320, 240);
    const tone = new ToneTrack(1000);
    try {
      gst.wire(pc);
      const remote = new Map<string, MediaStreamTrack>();
      pc.ontrack = (e) => {
        remote.set(e.track.kind, e.track);
        e.transceiver.direction = 'sendrecv';
        void e.transceiver.sender.replaceTrack(e.track.kind === 'video' ? picture : tone);
      };
      let channel: RTCDataChannel | undefined;
      pc.ondatachannel = (e) => {
        channel = e.channel;
      };
      const { offer, answer } = await gst.answerIts(pc);
      assert.doesNotMatch(offer, /a=group:BUNDLE/, 'webrtcbin offers no BUNDLE group');
      assert.doesNotMatch(answer, /a=group:BUNDLE/);
      assert.deepEqual([...remote.keys()].sort(), ['audio', 'video']);
      await checkFlows(pc, gst, remote, () => channel);
    } finally {
      picture.stop();
      tone.stop();
      pc.close();
      await gst.close();
    }
  });

  it('tsrtc offers VP8 + Opus + data; GStreamer answers without BUNDLE: a transport per m-line, all flow', async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const gst = new Peer({
      role: 'answer',
      bundle: 'default',
      send: [{ codec: 'VP8' }, { codec: 'OPUS' }],
    });
    const picture = new QuadrantTrack(320, 240);
    const tone = new ToneTrack(1000);
    try {
      gst.wire(pc);
      const remote = new Map<string, MediaStreamTrack>();
      pc.ontrack = (e) => remote.set(e.track.kind, e.track);
      pc.addTrack(picture);
      pc.addTrack(tone);
      prefer(pc, 'video/vp8', 'audio/opus');
      const channel = pc.createDataChannel('chat');
      const { offer, answer } = await gst.offerTo(pc);
      assert.match(offer, /a=group:BUNDLE 0 1 2/);
      assert.doesNotMatch(answer, /a=group:BUNDLE/, 'webrtcbin declines BUNDLE');
      assert.deepEqual([...remote.keys()].sort(), ['audio', 'video']);
      await checkFlows(pc, gst, remote, () => channel);
    } finally {
      picture.stop();
      tone.stop();
      pc.close();
      await gst.close();
    }
  });
});
