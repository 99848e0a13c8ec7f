/**
 * GStreamer 1.22 webrtcbin offers audio + video + a data channel in one bundle and tsrtc answers, sending its own
 * picture and tone back on the same transceivers. With bundle-policy max-bundle, webrtcbin offers every m-line
 * after the first with port 0 and a=bundle-only: tsrtc must still announce each track and carry its media.
 * A max-compat offer (a BUNDLE group, but every m-line with its own transport) ends up bundled by tsrtc's answer.
 * And tsrtc offers the same to a max-bundle answerer. (webrtcbin's default bundle-policy none, and balanced,
 * which 1.22 writes the same way, put no BUNDLE group in offer or answer: tsrtc, always bundled, cannot connect
 * more than one m-line that way; see docs/interop.md.)
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
import { looksLikeQuadrants, QuadrantTrack, ToneTrack, toneFrequency } from '../media/sources.js';
import {
  type GstCodec,
  GstPeer,
  type GstPeerConfig,
  gstreamerSkipReason,
  gstSawQuadrants,
} from './gstreamer.js';

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

const mLines = (sdp: string): string[] => sdp.split(/\r?\n(?=m=)/).slice(1);

describe('tsrtc ↔ GStreamer webrtcbin: one bundle of audio, video and data', { skip }, () => {
  const cases: { bundle: NonNullable<GstPeerConfig['bundle']>; video: GstCodec; audio: GstCodec }[] = [
    { bundle: 'max-bundle', video: 'VP8', audio: 'OPUS' },
    { bundle: 'max-bundle', video: 'H264', audio: 'PCMU' },
    { bundle: 'max-compat', video: 'VP9', audio: 'OPUS' },
  ];
  for (const { bundle, video, audio } of cases) {
    it(`${bundle} offer with ${video} + ${audio} + data, media both ways`, async () => {
      const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
      const gst = new GstPeer({
        role: 'offer',
        bundle,
        send: [{ codec: video }, { codec: audio }],
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

        const offered = mLines(offer);
        assert.deepEqual(
          offered.map((m) => m.split(' ')[0]),
          ['m=video', 'm=audio', 'm=application'],
        );
        if (bundle === 'max-bundle') {
          // webrtcbin's max-bundle: every m-line after the first is port 0 + bundle-only.
          for (const m of offered.slice(1)) {
            assert.match(m, /^m=\w+ 0 /);
            assert.match(m, /a=bundle-only/);
          }
        }
        const answered = mLines(answer);
        assert.equal(answered.length, 3);
        assert.match(answer, /a=group:BUNDLE (\S+) (\S+) (\S+)/);
        for (const m of answered.slice(0, 2)) assert.match(m, /a=sendrecv/);
        assert.deepEqual([...remote.keys()].sort(), ['audio', 'video'], 'a track event for each m-line');

        // GStreamer → tsrtc, both kinds.
        const frames = await recvFrames<VideoFrame>(remote.get('video')!, 30, gst);
        assert.equal(`${frames.at(-1)!.width}x${frames.at(-1)!.height}`, '320x240');
        assert.ok(looksLikeQuadrants(frames.at(-1)!), 'tsrtc sees the quadrants');
        const samples = await recvFrames<AudioFrame>(remote.get('audio')!, 100, gst);
        const heard = toneFrequency(samples.slice(-50));
        assert.ok(Math.abs(heard - 1000) < 30, `tsrtc heard ${heard.toFixed(1)} Hz`);

        // tsrtc → GStreamer on the same transceivers.
        const tracks = () =>
          gst.log.filter((m) => m.event === 'track').map((m) => `${m.media}/${m.encoding}`);
        await gst.next(() => tracks().length === 2, 'two tracks in GStreamer');
        assert.deepEqual(tracks().sort(), [`audio/${audio}`, `video/${video}`]);
        const seen = await gst.next((m) => gstSawQuadrants(m), 'GStreamer to see the quadrants');
        assert.equal(`${seen.width}x${seen.height}`, '320x240');
        await gst.next(
          (m) => m.event === 'audio' && Math.abs(m.frequency! - 1000) < 30 && m.peak! > 1000,
          'GStreamer to hear 1 kHz',
        );

        // The data channel in the same bundle, both ways.
        await gst.next((m) => m.event === 'open' && m.label === 'chat', 'chat open in GStreamer');
        const deadline = Date.now() + 10_000;
        while (!channel && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.ok(channel, 'tsrtc got the chat channel');
        if (channel.readyState !== 'open')
          await new Promise((resolve) => channel!.addEventListener('open', resolve, { once: true }));
        const got = new Promise<string>((resolve) => {
          channel!.onmessage = (e) => resolve(e.data as string);
        });
        gst.send({ send: { label: 'chat', text: 'from GStreamer' } });
        assert.equal(await got, 'from GStreamer');
        channel.send('from tsrtc');
        const message = await gst.next((m) => m.event === 'message' && m.label === 'chat', 'chat message');
        assert.equal(message.sha256, createHash('sha256').update('from tsrtc').digest('hex'));

        assert.equal(pc.connectionState, 'connected');
        gst.assertNoErrors();
      } finally {
        picture.stop();
        tone.stop();
        pc.close();
        await gst.close();
      }
    });
  }
  it('tsrtc offers VP8 + Opus + data to a max-bundle answerer, media both ways', async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const gst = new GstPeer({
      role: 'answer',
      bundle: 'max-bundle',
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
      for (const t of pc.getTransceivers()) {
        const mime = t.receiver.track.kind === 'video' ? 'video/vp8' : 'audio/opus';
        t.setCodecPreferences(
          RTCRtpSender.getCapabilities(t.receiver.track.kind as 'audio' | 'video')!.codecs.filter(
            (c) => c.mimeType.toLowerCase() === mime,
          ),
        );
      }
      const channel = pc.createDataChannel('chat');
      const { answer } = await gst.offerTo(pc);
      assert.match(answer, /a=group:BUNDLE 0 1 2/);
      for (const m of mLines(answer).slice(0, 2)) assert.match(m, /a=sendrecv/);
      assert.deepEqual([...remote.keys()].sort(), ['audio', 'video']);

      const frames = await recvFrames<VideoFrame>(remote.get('video')!, 30, gst);
      assert.ok(looksLikeQuadrants(frames.at(-1)!), 'tsrtc sees the quadrants');
      const samples = await recvFrames<AudioFrame>(remote.get('audio')!, 100, gst);
      const heard = toneFrequency(samples.slice(-50));
      assert.ok(Math.abs(heard - 1000) < 30, `tsrtc heard ${heard.toFixed(1)} Hz`);
      await gst.next((m) => gstSawQuadrants(m), 'GStreamer to see the quadrants');
      await gst.next(
        (m) => m.event === 'audio' && Math.abs(m.frequency! - 1000) < 30 && m.peak! > 1000,
        'GStreamer to hear 1 kHz',
      );
      if (channel.readyState !== 'open')
        await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
      channel.send('from tsrtc');
      const message = await gst.next((m) => m.event === 'message' && m.label === 'chat', 'chat message');
      assert.equal(message.sha256, createHash('sha256').update('from tsrtc').digest('hex'));
      gst.assertNoErrors();
    } finally {
      picture.stop();
      tone.stop();
      pc.close();
      await gst.close();
    }
  });
});
