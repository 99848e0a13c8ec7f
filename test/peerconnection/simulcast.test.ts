/**
 * Simulcast between two tsrtc peers on loopback (RFC 8853, RID-based): the offer's a=rid/a=simulcast and
 * the answer's reversal, per-layer SSRCs from the sender (stable across negotiations), one stream when the
 * answer does not accept simulcast, and media: three VP8 layers of one picture, each decoded at its own size
 * with its colours, the receiver's track following the highest layer, a selected layer, and a layer turned
 * off with setParameters (the track falls back to the next one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { mediaSessionConfigFrom } from '../../src/peerconnection/media-config.js';
import { sendEncodingsOf } from '../../src/peerconnection/media-pipelines.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { type RTCRtpReceiver, RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { parseSdp } from '../../src/sdp/parse.js';
import { requireNodeAv } from '../media/node-av-available.js';
import { QuadrantTrack } from '../media/sources.js';
import { config, connect, pictureOfSize, statsOf } from './simulcast-peers.js';

const LAYERS = [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }];

describe('simulcast negotiation', () => {
  it('offers a=rid and a=simulcast without SSRCs; the answer receives them; SSRCs come from the sender', async () => {
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    try {
      const t = a.addTransceiver(new QuadrantTrack(), { direction: 'sendonly', sendEncodings: LAYERS });
      await a.setLocalDescription();
      const offer = a.localDescription!.sdp;
      assert.match(offer, /a=rid:q send\r\n/);
      assert.match(offer, /a=rid:h send\r\n/);
      assert.match(offer, /a=rid:f send\r\n/);
      assert.match(offer, /a=simulcast:send q;h;f\r\n/);
      assert.doesNotMatch(offer, /a=ssrc/, 'RID-based: no SSRC lines');
      assert.match(offer, /urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id/);
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      const answer = b.localDescription!.sdp;
      assert.match(answer, /a=simulcast:recv q;h;f\r\n/);
      assert.match(answer, /a=rid:q recv\r\n/);
      await a.setRemoteDescription(b.localDescription!);

      const local = parseSdp(a.localDescription!.sdp);
      const remote = parseSdp(b.localDescription!.sdp);
      const sendEncodings = (_mid: string, rids: readonly string[]) => sendEncodingsOf(t.sender, rids);
      const first = mediaSessionConfigFrom(local, remote, { sendEncodings }).media[0]!;
      assert.deepEqual(
        first.sendEncodings.map((e) => e.rid),
        ['q', 'h', 'f'],
      );
      assert.equal(first.sendEncodings[0]!.ssrc, t.sender.ssrc);
      assert.equal(new Set(first.sendEncodings.map((e) => e.ssrc)).size, 3);
      const bSide = mediaSessionConfigFrom(
        parseSdp(b.localDescription!.sdp),
        parseSdp(a.localDescription!.sdp),
      );
      assert.deepEqual(bSide.media[0]!.receiveRids, ['q', 'h', 'f']);

      // A second round keeps every layer's SSRC.
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      const again = mediaSessionConfigFrom(
        parseSdp(a.localDescription!.sdp),
        parseSdp(b.localDescription!.sdp),
        { sendEncodings },
      ).media[0]!;
      assert.deepEqual(again.sendEncodings, first.sendEncodings);
    } finally {
      a.close();
      b.close();
    }
  });

  it('an answer without a=simulcast means one stream: the first encoding, no rid', async () => {
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    try {
      const t = a.addTransceiver(new QuadrantTrack(), { direction: 'sendonly', sendEncodings: LAYERS });
      const strip = (sdp: string) =>
        sdp
          .split('\r\n')
          .filter((l) => !l.startsWith('a=simulcast') && !l.startsWith('a=rid'))
          .join('\r\n');
      await connect(a, b, strip);
      const config = mediaSessionConfigFrom(
        parseSdp(a.localDescription!.sdp),
        parseSdp(a.remoteDescription!.sdp),
        { sendEncodings: (_mid, rids) => sendEncodingsOf(t.sender, rids) },
      ).media[0]!;
      assert.deepEqual(config.sendEncodings, [{ ssrc: t.sender.ssrc, rtxSsrc: t.sender.rtxSsrc }]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('answers a browser-style simulcast offer (three rids, no SSRCs) with a=simulcast:recv', async () => {
    const b = new RTCPeerConnection(config);
    const a = new RTCPeerConnection(config);
    try {
      a.addTransceiver(new QuadrantTrack(), {
        direction: 'sendonly',
        sendEncodings: [{ rid: '0' }, { rid: '1' }, { rid: '2' }],
      });
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      const [receiver] = b.getReceivers();
      await b.setLocalDescription();
      assert.match(b.localDescription!.sdp, /a=simulcast:recv 0;1;2\r\n/);
      assert.deepEqual(
        receiver!.layers.rids,
        ['0', '1', '2'],
        'the receiver knows the layers once the round completes',
      );
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('simulcast media between tsrtc peers', () => {
  it('three VP8 layers arrive, each decoded at its size with its colours; the track follows the highest', async (t) => {
    if (!(await requireNodeAv(t))) return;
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    const source = new QuadrantTrack(320, 240);
    try {
      const tr = a.addTransceiver(source, { direction: 'sendonly', sendEncodings: LAYERS });
      tr.setCodecPreferences(
        RTCRtpSender.getCapabilities('video')!.codecs.filter((c) => c.mimeType === 'video/VP8'),
      );
      let receiver: RTCRtpReceiver | undefined;
      b.ontrack = (e) => {
        receiver = e.receiver;
      };
      await connect(a, b);
      assert.ok(receiver);
      assert.deepEqual(receiver.layers.rids, ['q', 'h', 'f']);

      const sizes: Record<string, [number, number]> = { q: [80, 60], h: [160, 120], f: [320, 240] };
      // The receiver's track: the highest layer.
      await pictureOfSize(receiver.track, 320, 240);
      assert.equal(receiver.layers.current, 'f');
      // One track per layer, each at its size.
      for (const rid of ['q', 'h', 'f']) {
        const [w, h] = sizes[rid]!;
        const frame: VideoFrame = await pictureOfSize(receiver.layers.track(rid), w, h);
        assert.equal(frame.width, w);
      }
      const inbound = statsOf(await b.getStats(), 'inbound-rtp');
      assert.deepEqual(inbound.map((s) => s.rid).sort(), ['f', 'h', 'q']);
      for (const s of inbound) {
        assert.ok((s.packetsReceived as number) > 0, `layer ${s.rid} received`);
        assert.equal(s.frameWidth, sizes[s.rid as string]![0], `layer ${s.rid} decoded at its width`);
      }
      const outbound = statsOf(await a.getStats(), 'outbound-rtp');
      assert.deepEqual(outbound.map((s) => s.rid).sort(), ['f', 'h', 'q']);
      for (const s of outbound) assert.equal(s.frameWidth, sizes[s.rid as string]![0]);

      // Select the lowest layer: the track switches at its keyframe.
      const pliOf = async (rid: string) =>
        statsOf(await b.getStats(), 'inbound-rtp').find((s) => s.rid === rid)!.pliCount as number;
      // Keyframe requests go out at most one per 300 ms per layer: let the window of the per-layer tracks'
      // requests above pass, or this one is folded into theirs (and the count cannot show it).
      await new Promise((r) => setTimeout(r, 400));
      const pliBefore = { q: await pliOf('q'), f: await pliOf('f') };
      receiver.layers.select('q');
      await pictureOfSize(receiver.track, 80, 60, 10_000);
      assert.equal(receiver.layers.current, 'q');
      assert.ok((await pliOf('q')) > pliBefore.q, 'the keyframe was asked of layer q');
      assert.equal(await pliOf('f'), pliBefore.f, 'and of no other layer');

      // Back to automatic, then turn the top layer off: the track falls back to 'h'.
      receiver.layers.select(null);
      await pictureOfSize(receiver.track, 320, 240, 10_000);
      const params = tr.sender.getParameters();
      params.encodings[2]!.active = false;
      await tr.sender.setParameters(params);
      await pictureOfSize(receiver.track, 160, 120, 10_000);
      assert.equal(receiver.layers.current, 'h');
      assert.deepEqual(receiver.layers.active, ['q', 'h']);
    } finally {
      source.stop();
      a.close();
      b.close();
    }
  });
});
