/**
 * Media between tsrtc and GStreamer 1.22 webrtcbin on loopback, content-checked for every codec both ways.
 * GStreamer → tsrtc: GStreamer sends four solid-colour quadrants (a compositor of videotestsrc) and a 1 kHz
 * audiotestsrc tone; tsrtc decodes them (`track.recv()`) and checks colours, size and frequency.
 * tsrtc → GStreamer: tsrtc sends QuadrantTrack / ToneTrack; GStreamer decodes (decodebin → appsink) and reports
 * the colours at the quadrant centres and the tone's frequency over the signaling pipe.
 * Each direction runs with GStreamer offering and with tsrtc offering.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { looksLikeQuadrants, QuadrantTrack, ToneTrack, toneFrequency } from '../media/sources.js';
import {
  fmtpOf,
  type GstCodec,
  GstPeer,
  gstreamerSkipReason,
  gstSawQuadrants,
  type Negotiated,
} from './gstreamer.js';

const skip = gstreamerSkipReason();

interface Case {
  codec: GstCodec;
  kind: 'audio' | 'video';
  mime: string;
  /** fmtp parameters tsrtc's preferred codec must have. */
  fmtp?: Record<string, string>;
}

const CASES: Case[] = [
  { codec: 'VP8', kind: 'video', mime: 'video/VP8' },
  { codec: 'VP9', kind: 'video', mime: 'video/VP9' },
  {
    codec: 'H264',
    kind: 'video',
    mime: 'video/H264',
    fmtp: { 'packetization-mode': '1', 'profile-level-id': '42e01f' },
  },
  { codec: 'OPUS', kind: 'audio', mime: 'audio/opus' },
  { codec: 'PCMU', kind: 'audio', mime: 'audio/PCMU' },
];

function preferredCodecs(c: Case) {
  return RTCRtpSender.getCapabilities(c.kind)!.codecs.filter(
    (k) =>
      k.mimeType.toLowerCase() === c.mime.toLowerCase() &&
      Object.entries(c.fmtp ?? {}).every(([key, v]) =>
        (k.sdpFmtpLine ?? '').split(';').includes(`${key}=${v}`),
      ),
  );
}

async function frames<T>(track: MediaStreamTrack, count: number, gst: GstPeer): Promise<T[]> {
  const out: T[] = [];
  const timer = setTimeout(() => track.stop(), 20_000);
  try {
    while (out.length < count) out.push((await track.recv()) as T);
  } catch (e) {
    throw new Error(`tsrtc received ${out.length}/${count} frames: ${String(e)}\n${gst.diagnostics()}`);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/** What tsrtc decoded is GStreamer's picture / tone, and the negotiated codec is the one asked for. */
async function checkReceived(
  pc: RTCPeerConnection,
  track: MediaStreamTrack,
  c: Case,
  gst: GstPeer,
): Promise<void> {
  if (c.kind === 'video') {
    const got = await frames<VideoFrame>(track, 30, gst);
    const last = got.at(-1)!;
    assert.equal(`${last.width}x${last.height}`, '320x240');
    assert.ok(looksLikeQuadrants(last), 'tsrtc sees the four quadrants GStreamer drew');
  } else {
    const got = await frames<AudioFrame>(track, 100, gst);
    const f = toneFrequency(got.slice(-50));
    assert.ok(Math.abs(f - 1000) < 30, `tsrtc heard ${f.toFixed(1)} Hz`);
  }
  const codec = [...(await pc.getStats()).values()].find(
    (s) => s.type === 'codec' && String(s.mimeType).toLowerCase() === c.mime.toLowerCase(),
  );
  assert.ok(codec, `received ${c.mime}`);
}

/** What GStreamer decoded is tsrtc's picture / tone, in the codec asked for. */
async function checkSent(gst: GstPeer, c: Case): Promise<void> {
  const track = await gst.next((m) => m.event === 'track', 'a track in GStreamer');
  assert.equal(track.media, c.kind);
  assert.equal(track.encoding, c.codec);
  if (c.kind === 'video') {
    const seen = await gst.next((m) => gstSawQuadrants(m), 'GStreamer to see the quadrants');
    assert.equal(`${seen.width}x${seen.height}`, '320x240');
  } else {
    const heard = await gst.next(
      (m) => m.event === 'audio' && Math.abs(m.frequency! - 1000) < 30 && m.peak! > 1000,
      'GStreamer to hear 1 kHz',
    );
    assert.ok(heard);
  }
}

/** H.264 is negotiated in packetization mode 1 both ways (constrained baseline: 42c0xx and 42e0xx alike). */
function checkH264(c: Case, sdp: Negotiated): void {
  if (c.codec !== 'H264') return;
  for (const [name, text] of Object.entries(sdp)) {
    const fmtp = fmtpOf(text, 'H264');
    assert.equal(fmtp['packetization-mode'], '1', `${name}: ${JSON.stringify(fmtp)}`);
    assert.match(fmtp['profile-level-id'] ?? '42e01f', /^42[ce]0/, `${name}: ${JSON.stringify(fmtp)}`);
  }
}

describe('tsrtc ↔ GStreamer webrtcbin: media', { skip }, () => {
  for (const c of CASES) {
    it(`GStreamer → tsrtc ${c.codec}, GStreamer offers`, async () => {
      const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
      const gst = new GstPeer({ role: 'offer', send: [{ codec: c.codec }] });
      try {
        gst.wire(pc);
        let remote: MediaStreamTrack | undefined;
        pc.ontrack = (e) => {
          remote = e.track;
        };
        const sdp = await gst.answerIts(pc);
        checkH264(c, sdp);
        // openh264enc is constrained baseline level 1.3; tsrtc answers with its own level (asymmetry allowed).
        if (c.codec === 'H264') assert.equal(fmtpOf(sdp.offer, 'H264')['profile-level-id'], '42c00d');
        assert.ok(remote, 'ontrack fired');
        await checkReceived(pc, remote, c, gst);
        gst.assertNoErrors();
      } finally {
        pc.close();
        await gst.close();
      }
    });

    it(`GStreamer → tsrtc ${c.codec}, tsrtc offers`, async () => {
      const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
      const gst = new GstPeer({ role: 'answer', send: [{ codec: c.codec }] });
      try {
        gst.wire(pc);
        const transceiver = pc.addTransceiver(c.kind, { direction: 'recvonly' });
        transceiver.setCodecPreferences(preferredCodecs(c));
        checkH264(c, await gst.offerTo(pc));
        await checkReceived(pc, transceiver.receiver.track, c, gst);
        gst.assertNoErrors();
      } finally {
        pc.close();
        await gst.close();
      }
    });

    it(`tsrtc → GStreamer ${c.codec}, tsrtc offers`, async () => {
      const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
      const gst = new GstPeer({ role: 'answer' });
      const source = c.kind === 'video' ? new QuadrantTrack(320, 240) : new ToneTrack(1000);
      try {
        gst.wire(pc);
        pc.addTrack(source);
        for (const t of pc.getTransceivers()) t.setCodecPreferences(preferredCodecs(c));
        checkH264(c, await gst.offerTo(pc));
        await checkSent(gst, c);
        gst.assertNoErrors();
      } finally {
        source.stop();
        pc.close();
        await gst.close();
      }
    });

    it(`tsrtc → GStreamer ${c.codec}, GStreamer offers`, async () => {
      const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
      const gst = new GstPeer({ role: 'offer', recv: [{ codec: c.codec }] });
      const source = c.kind === 'video' ? new QuadrantTrack(320, 240) : new ToneTrack(1000);
      try {
        gst.wire(pc);
        const sdp = await gst.answerIts(pc, () => {
          pc.addTrack(source); // takes the transceiver GStreamer's recvonly m-line created
        });
        checkH264(c, sdp);
        assert.equal(pc.getTransceivers().length, 1);
        assert.equal(pc.getTransceivers()[0]!.currentDirection, 'sendonly');
        await checkSent(gst, c);
        gst.assertNoErrors();
      } finally {
        source.stop();
        pc.close();
        await gst.close();
      }
    });
  }
  // webrtcbin's default bundle-policy (none) writes no BUNDLE group: fine with a single m-line.
  it('GStreamer → tsrtc VP8 with bundle-policy none, GStreamer offers', async () => {
    const c = CASES[0]!;
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const gst = new GstPeer({ role: 'offer', bundle: 'none', send: [{ codec: c.codec }] });
    try {
      gst.wire(pc);
      let remote: MediaStreamTrack | undefined;
      pc.ontrack = (e) => {
        remote = e.track;
      };
      const { offer } = await gst.answerIts(pc);
      assert.doesNotMatch(offer, /a=group:BUNDLE/);
      assert.ok(remote, 'ontrack fired');
      await checkReceived(pc, remote, c, gst);
      gst.assertNoErrors();
    } finally {
      pc.close();
      await gst.close();
    }
  });

  it('tsrtc → GStreamer VP8 with bundle-policy none, tsrtc offers', async () => {
    const c = CASES[0]!;
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const gst = new GstPeer({ role: 'answer', bundle: 'none' });
    const source = new QuadrantTrack(320, 240);
    try {
      gst.wire(pc);
      pc.addTrack(source);
      for (const t of pc.getTransceivers()) t.setCodecPreferences(preferredCodecs(c));
      const { answer } = await gst.offerTo(pc);
      assert.doesNotMatch(answer, /a=group:BUNDLE/, 'webrtcbin with bundle-policy none declines BUNDLE');
      await checkSent(gst, c);
      gst.assertNoErrors();
    } finally {
      source.stop();
      pc.close();
      await gst.close();
    }
  });
});
