/**
 * Simulcast with Chromium 156 (headless, loopback), content-checked: Chromium sends three VP8 layers of a
 * canvas of four coloured quadrants (sendEncodings q/h/f, scaleResolutionDownBy 4/2/1) and tsrtc decodes each
 * layer at its own size with its colours; tsrtc sends three layers and Chromium, which receives no simulcast,
 * gets one stream — through Chromium's answer to our simulcast offer, and through our answer to its re-offer;
 * and a tsrtc forwarder relays Chromium's layers to another Chromium without decoding, switching layers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RTCIceCandidateInit } from '../../src/ice/candidate.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { MediaForwarder } from '../../src/peerconnection/forwarding.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import type { RTCSessionDescriptionInit } from '../../src/peerconnection/session-description.js';
import type { RTCStatsReport } from '../../src/peerconnection/stats.js';
import { type RTCRtpReceiver, RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { looksLikeQuadrants, QuadrantTrack } from '../media/sources.js';
import { recvWithin, statsOf } from '../peerconnection/simulcast-peers.js';
import { chromiumSkipReason, launchChromium } from './chromium.js';

const skip = chromiumSkipReason();

/** The page: a canvas of quadrants sent with three encodings, or a receive-only transceiver; checks. */
const PAGE = `
window.m = {
  pc: null,
  video: null,
  async init() {
    await navigator.mediaDevices.getUserMedia({ video: true }); // Chromium gathers nothing before
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.onicecandidate = (e) => window.toNode({ candidate: e.candidate ? e.candidate.toJSON() : null });
    pc.ontrack = (e) => this.show(e.track);
  },
  canvas(width, height) {
    const c = document.createElement('canvas');
    c.width = width; c.height = height;
    const g = c.getContext('2d');
    const draw = () => {
      g.fillStyle = '#ff0000'; g.fillRect(0, 0, width / 2, height / 2);
      g.fillStyle = '#00ff00'; g.fillRect(width / 2, 0, width / 2, height / 2);
      g.fillStyle = '#0000ff'; g.fillRect(0, height / 2, width / 2, height / 2);
      g.fillStyle = '#ffffff'; g.fillRect(width / 2, height / 2, width / 2, height / 2);
      g.fillStyle = 'rgba(0,0,0,0.004)'; g.fillRect(0, 0, 1, 1);
    };
    draw();
    setInterval(draw, 33);
    return c.captureStream(30).getVideoTracks()[0];
  },
  preferVp8(t) {
    t.setCodecPreferences(RTCRtpReceiver.getCapabilities('video').codecs.filter((c) => c.mimeType === 'video/VP8'));
  },
  async sendSimulcast(width, height) {
    const t = this.pc.addTransceiver(this.canvas(width, height), {
      direction: 'sendonly',
      sendEncodings: [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }],
    });
    this.preferVp8(t);
    const p = t.sender.getParameters();
    p.degradationPreference = 'maintain-resolution';
    await t.sender.setParameters(p).catch(() => undefined);
    await this.pc.setLocalDescription();
    return this.pc.localDescription.toJSON();
  },
  async receiveOffer() {
    this.preferVp8(this.pc.addTransceiver('video', { direction: 'recvonly' }));
    await this.pc.setLocalDescription();
    return this.pc.localDescription.toJSON();
  },
  async answer(offer) {
    await this.pc.setRemoteDescription(offer);
    await this.pc.setLocalDescription();
    return this.pc.localDescription.toJSON();
  },
  async accept(answer) { await this.pc.setRemoteDescription(answer); },
  async reoffer() {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription.toJSON();
  },
  async candidate(c) { await this.pc.addIceCandidate(c ?? undefined); },
  show(track) {
    const v = document.createElement('video');
    v.muted = true; v.autoplay = true; v.playsInline = true; v.srcObject = new MediaStream([track]);
    document.body.appendChild(v);
    v.play();
    this.video = v;
  },
  colours() {
    const v = this.video;
    if (!v || v.videoWidth === 0) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth; c.height = v.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const at = (x, y) => Array.from(g.getImageData(Math.floor(x * c.width), Math.floor(y * c.height), 1, 1).data.slice(0, 3));
    return { width: c.width, height: c.height, quadrants: [at(0.25, 0.25), at(0.75, 0.25), at(0.25, 0.75), at(0.75, 0.75)] };
  },
  async stats(type) {
    const out = [];
    for (const s of (await this.pc.getStats()).values()) if (s.type === type) out.push(s);
    return out;
  },
};
`;

type Colour = [number, number, number];
const EXPECTED: Colour[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 255],
];

const SIMULCAST = [
  { rid: 'q', scaleResolutionDownBy: 4 },
  { rid: 'h', scaleResolutionDownBy: 2 },
  { rid: 'f' },
];
const vp8 = () => RTCRtpSender.getCapabilities('video')!.codecs.filter((c) => c.mimeType === 'video/VP8');

interface Shown {
  width: number;
  height: number;
  quadrants: Colour[];
}

/** What the page's <video> shows, when it has the four colours. */
async function colours(page: Page): Promise<Shown | null> {
  const c = (await page.evaluate('window.m.colours()')) as Shown | null;
  return c?.quadrants.every((q, i) => q.every((v, k) => Math.abs(v - EXPECTED[i]![k]!) <= 70)) ? c : null;
}

async function framesReceivedByChromium(page: Page): Promise<number> {
  const inbound = (await page.evaluate(`window.m.stats('inbound-rtp')`)) as Record<string, unknown>[];
  return inbound.reduce((n, s) => n + ((s.framesReceived as number) ?? 0), 0);
}

/** Our streams that carry media: rid and SSRC. */
function streamsSending(report: RTCStatsReport): string[] {
  return statsOf(report, 'outbound-rtp')
    .filter((s) => (s.packetsSent as number) > 0)
    .map((s) => `${s.rid ?? '-'}:${s.ssrc}`)
    .sort();
}

async function until<T>(probe: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A decoded picture of about `width`×`height` (±2 for libwebrtc's rounding) with the four colours. */
async function pictureNear(track: MediaStreamTrack, width: number, height: number, ms = 40_000) {
  const deadline = Date.now() + ms;
  let last: VideoFrame | undefined;
  while (Date.now() < deadline) {
    last = await recvWithin<VideoFrame>(track, Math.max(1, deadline - Date.now()));
    if (
      Math.abs(last.width - width) <= 2 &&
      Math.abs(last.height - height) <= 2 &&
      looksLikeQuadrants(last, 40)
    )
      return last;
  }
  throw new Error(`no ${width}×${height} picture within ${ms} ms (last ${last?.width}×${last?.height})`);
}

describe('simulcast with Chromium', { skip }, () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let server: Server;
  let url = '';
  before(async () => {
    browser = await launchChromium();
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>simulcast</title>'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function open(pc: RTCPeerConnection): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.exposeFunction('toNode', (m: { candidate: RTCIceCandidateInit | null }) =>
      pc.addIceCandidate(m.candidate).catch(() => undefined),
    );
    await page.evaluate(PAGE);
    await page.evaluate('window.m.init()');
    pc.onicecandidate = (e) =>
      void page
        .evaluate(
          (c) => (globalThis as unknown as { m: { candidate(c: unknown): Promise<void> } }).m.candidate(c),
          e.candidate?.toJSON() ?? null,
        )
        .catch(() => undefined);
    return page;
  }

  it('Chromium sends three layers; tsrtc decodes each at its size with its colours', async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const page = await open(pc);
    try {
      let receiver: RTCRtpReceiver | undefined;
      pc.ontrack = (e) => {
        receiver = e.receiver;
      };
      const offer = (await page.evaluate('window.m.sendSimulcast(960, 540)')) as RTCSessionDescriptionInit;
      assert.match(offer.sdp!, /a=simulcast:send q;h;f/);
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription();
      assert.match(pc.localDescription!.sdp, /a=simulcast:recv q;h;f/);
      await page.evaluate(
        (a) => (globalThis as unknown as { m: { accept(a: unknown): Promise<void> } }).m.accept(a),
        pc.localDescription!.toJSON(),
      );
      assert.ok(receiver);
      assert.deepEqual(receiver.layers.rids, ['q', 'h', 'f']);
      const sizes: Record<string, [number, number]> = { q: [240, 135], h: [480, 270], f: [960, 540] };
      const tracks = Object.fromEntries(['q', 'h', 'f'].map((rid) => [rid, receiver!.layers.track(rid)]));
      for (const rid of ['q', 'h', 'f']) {
        const [w, h] = sizes[rid]!;
        const frame = await pictureNear(tracks[rid]!, w, h);
        assert.ok(frame.width > 0);
      }
      // The receiver's own track follows the highest layer.
      await pictureNear(receiver.track, 960, 540);
      assert.equal(receiver.layers.current, 'f');
      const inbound = statsOf(await pc.getStats(), 'inbound-rtp');
      assert.deepEqual(inbound.map((s) => s.rid).sort(), ['f', 'h', 'q']);
      for (const s of inbound) {
        assert.ok((s.framesDecoded as number) > 0, `layer ${s.rid} decoded`);
        assert.ok(Math.abs((s.frameWidth as number) - sizes[s.rid as string]![0]) <= 2);
      }
      const theirs = (await page.evaluate(`window.m.stats('outbound-rtp')`)) as Record<string, unknown>[];
      assert.deepEqual(theirs.map((s) => s.rid).sort(), ['f', 'h', 'q']);
      // Select the lowest layer: a keyframe is asked of Chromium's q layer and the track switches to it.
      const pliOf = async (rid: string) =>
        statsOf(await pc.getStats(), 'inbound-rtp').find((s) => s.rid === rid)!.pliCount as number;
      const pliBefore = await pliOf('q');
      receiver.layers.select('q');
      await pictureNear(receiver.track, 240, 135, 15_000);
      assert.equal(receiver.layers.current, 'q');
      assert.ok((await pliOf('q')) > pliBefore, 'a PLI for layer q');
    } finally {
      pc.close();
      await page.close();
    }
  });

  it('tsrtc offers three layers; Chromium answers without simulcast and shows the one stream (the first encoding)', async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const page = await open(pc);
    const source = new QuadrantTrack(640, 480);
    try {
      const t = pc.addTransceiver(source, { direction: 'sendonly', sendEncodings: SIMULCAST });
      t.setCodecPreferences(vp8());
      await pc.setLocalDescription();
      assert.match(pc.localDescription!.sdp, /a=simulcast:send q;h;f/);
      const answer = (await page.evaluate(
        (o) => (globalThis as unknown as { m: { answer(o: unknown): Promise<unknown> } }).m.answer(o),
        pc.localDescription!.toJSON(),
      )) as RTCSessionDescriptionInit;
      await pc.setRemoteDescription(answer);
      const accepted = /a=simulcast:recv ([^\r\n]+)/.exec(answer.sdp!)?.[1];
      const seen = await until(() => colours(page));
      const outbound = statsOf(await pc.getStats(), 'outbound-rtp').filter(
        (s) => (s.packetsSent as number) > 0,
      );
      console.log(
        JSON.stringify({
          chromiumAnswer: accepted ? `a=simulcast:recv ${accepted}` : 'no a=simulcast',
          shown: `${seen.width}x${seen.height}`,
          sending: outbound.map((s) => `${s.rid ?? '-'}:${s.frameWidth}x${s.frameHeight}`),
        }),
      );
      // Chromium 156 receives no simulcast: its answer has no a=simulcast (nor a=rid), so we send one
      // stream, the first encoding (JSEP §5.3.1), without a rid.
      assert.equal(accepted, undefined, 'Chromium answered without a=simulcast');
      assert.doesNotMatch(answer.sdp!, /a=rid/);
      assert.equal(outbound.length, 1);
      assert.equal(outbound[0]!.rid, undefined);
      assert.equal(`${seen.width}x${seen.height}`, '160x120');
      const inbound = (await page.evaluate(`window.m.stats('inbound-rtp')`)) as Record<string, unknown>[];
      assert.equal(inbound.length, 1, 'Chromium receives one stream');
      assert.ok((inbound[0]!.framesDecoded as number) > 0);
    } finally {
      source.stop();
      pc.close();
      await page.close();
    }
  });

  it('Chromium re-offers after taking one stream; tsrtc answers the same (one stream) and media goes on', async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const page = await open(pc);
    const source = new QuadrantTrack(640, 480);
    try {
      const t = pc.addTransceiver(source, { direction: 'sendonly', sendEncodings: SIMULCAST });
      t.setCodecPreferences(vp8());
      await pc.setLocalDescription();
      const answer = (await page.evaluate(
        (o) => (globalThis as unknown as { m: { answer(o: unknown): Promise<unknown> } }).m.answer(o),
        pc.localDescription!.toJSON(),
      )) as RTCSessionDescriptionInit;
      await pc.setRemoteDescription(answer);
      await until(() => colours(page));
      const before = streamsSending(await pc.getStats());
      const reoffer = (await page.evaluate('window.m.reoffer()')) as RTCSessionDescriptionInit;
      await pc.setRemoteDescription(reoffer);
      await pc.setLocalDescription();
      const ours = pc.localDescription!.sdp;
      assert.equal(
        /a=simulcast/.test(ours),
        /a=simulcast:recv/.test(reoffer.sdp!),
        'our answer follows the offer',
      );
      await page.evaluate(
        (a) => (globalThis as unknown as { m: { accept(a: unknown): Promise<void> } }).m.accept(a),
        pc.localDescription!.toJSON(),
      );
      const sentBefore = await framesReceivedByChromium(page);
      await until(async () => (await framesReceivedByChromium(page)) > sentBefore + 30);
      await until(() => colours(page));
      assert.deepEqual(streamsSending(await pc.getStats()), before, 'the same streams (SSRCs) go on');
    } finally {
      source.stop();
      pc.close();
      await page.close();
    }
  });
  it('a tsrtc forwarder relays Chromium simulcast to another Chromium, switching layers, decoding nothing', async () => {
    const pub = new RTCPeerConnection({ iceLoopbackOnly: true });
    const sub = new RTCPeerConnection({ iceLoopbackOnly: true });
    const pubPage = await open(pub);
    const subPage = await open(sub);
    let forwarder: MediaForwarder | undefined;
    try {
      let receiver: RTCRtpReceiver | undefined;
      pub.ontrack = (e) => {
        receiver = e.receiver;
      };
      await pub.setRemoteDescription(
        (await pubPage.evaluate('window.m.sendSimulcast(960, 540)')) as RTCSessionDescriptionInit,
      );
      await pub.setLocalDescription();
      await pubPage.evaluate(
        (a) => (globalThis as unknown as { m: { accept(a: unknown): Promise<void> } }).m.accept(a),
        pub.localDescription!.toJSON(),
      );
      assert.ok(receiver);
      forwarder = new MediaForwarder(receiver);
      const track = forwarder.subscribe({ layer: 'h' });
      sub.addTransceiver(track, { direction: 'sendonly' }).setCodecPreferences(vp8());
      await sub.setLocalDescription();
      const answer = (await subPage.evaluate(
        (o) => (globalThis as unknown as { m: { answer(o: unknown): Promise<unknown> } }).m.answer(o),
        sub.localDescription!.toJSON(),
      )) as RTCSessionDescriptionInit;
      await sub.setRemoteDescription(answer);
      const half = await until(async () => {
        const c = await colours(subPage);
        return c && Math.abs(c.width - 480) <= 2 ? c : null;
      }, 40_000);
      assert.ok(Math.abs(half.height - 270) <= 2);
      track.setLayer('f');
      const full = await until(async () => {
        const c = await colours(subPage);
        return c && c.width === 960 ? c : null;
      }, 30_000);
      assert.equal(full.height, 540);
      assert.equal(track.layer, 'f');
      assert.ok(forwarder.stats.keyframeRequestsSent > 0, 'keyframes were asked of Chromium');
      for (const s of statsOf(await pub.getStats(), 'inbound-rtp'))
        assert.equal(s.framesDecoded, 0, `layer ${s.rid} was not decoded`);
    } finally {
      forwarder?.close();
      pub.close();
      sub.close();
      await pubPage.close();
      await subPage.close();
    }
  });
});
