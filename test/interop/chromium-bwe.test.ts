/**
 * Congestion control with Chromium: Chromium sending to tsrtc estimates its available bandwidth from the
 * transport-wide CC feedback tsrtc sends (without it, or with wrong arrival times, Chromium stays near its
 * start bitrate of 300 kbit/s): on an uncapped loopback link its estimate must reach 2 Mbit/s within 10 s.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { chromiumSkipReason, launchChromium } from './chromium.js';

const skip = chromiumSkipReason();

/** A 1280×720 canvas that changes everywhere (so the encoder wants bits), sent as VP8 to tsrtc. */
const PAGE = `
window.bwe = {
  async start() {
    await navigator.mediaDevices.getUserMedia({ video: true });
    const c = document.createElement('canvas'); c.width = 1280; c.height = 720;
    const g = c.getContext('2d');
    let n = 0;
    setInterval(() => {
      n++;
      for (let i = 0; i < 40; i++) {
        g.fillStyle = 'hsl(' + ((n * 7 + i * 37) % 360) + ',80%,50%)';
        g.fillRect((i * 97 + n * 13) % 1280, (i * 53 + n * 7) % 720, 160, 120);
      }
      const img = g.getImageData(0, 0, 96, 96);
      for (let k = 0; k < img.data.length; k++) img.data[k] = Math.random() * 255;
      g.putImageData(img, (n * 31) % 1180, (n * 17) % 620);
    }, 33);
    const pc = new RTCPeerConnection(); this.pc = pc;
    pc.onicecandidate = (e) => window.toNode({ candidate: e.candidate ? e.candidate.toJSON() : null });
    const tr = pc.addTransceiver(c.captureStream(30).getVideoTracks()[0], { direction: 'sendonly' });
    tr.setCodecPreferences(RTCRtpReceiver.getCapabilities('video').codecs.filter((x) => x.mimeType === 'video/VP8'));
    await pc.setLocalDescription();
    return pc.localDescription.toJSON();
  },
  async accept(a) { await this.pc.setRemoteDescription(a); },
  async candidate(c) { await this.pc.addIceCandidate(c ?? undefined); },
  async estimate() {
    for (const s of (await this.pc.getStats()).values())
      if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) return s.availableOutgoingBitrate;
    return 0;
  },
};`;

describe('Chromium congestion control against tsrtc', { skip }, () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let server: Server;
  let url = '';
  before(async () => {
    browser = await launchChromium();
    server = createServer((_q, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bwe</title>'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  it('Chromium → tsrtc: our TWCC feedback lets Chromium estimate at least 2 Mbit/s within 10 s', async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    let page: Page | undefined;
    try {
      page = await browser.context.newPage();
      await page.goto(url);
      await page.exposeFunction('toNode', (m: { candidate: unknown }) =>
        pc.addIceCandidate(m.candidate as never).catch(() => undefined),
      );
      const p = page;
      pc.onicecandidate = (e) =>
        void p
          .evaluate(
            (c) =>
              (globalThis as unknown as { bwe: { candidate(c: unknown): Promise<void> } }).bwe.candidate(c),
            e.candidate?.toJSON() ?? null,
          )
          .catch(() => undefined);
      pc.ontrack = ({ track }) => {
        void (async () => {
          for (;;) await track.recv(); // decode what arrives, as an application would
        })().catch(() => undefined);
      };
      await page.evaluate(PAGE);
      const offer = await page.evaluate('window.bwe.start()');
      await pc.setRemoteDescription(offer as never);
      await pc.setLocalDescription();
      await page.evaluate(
        (a) => (globalThis as unknown as { bwe: { accept(a: unknown): Promise<void> } }).bwe.accept(a),
        pc.localDescription!.toJSON(),
      );
      const started = Date.now();
      const trace: number[] = [];
      let best = 0;
      while (Date.now() - started < 10_000 && best < 2e6) {
        await new Promise((r) => setTimeout(r, 500));
        const e = (await page.evaluate('window.bwe.estimate()')) as number;
        trace.push(Math.round(e / 1000));
        best = Math.max(best, e);
      }
      console.log(`Chromium's estimate (kbit/s, every 0.5 s): ${trace.join(' ')}`);
      assert.ok(best >= 2e6, `Chromium's estimate peaked at ${Math.round(best / 1000)} kbit/s`);
    } finally {
      pc.close();
      await page?.close();
    }
  });
});
