/**
 * Media between tsrtc and Chromium 156 (headless, loopback), content-checked, for every codec both ways:
 * Chromium sends a canvas of four coloured quadrants and a WebAudio tone, tsrtc decodes and checks the
 * colours and the frequency; tsrtc sends the same, and the page checks them from a <video> drawn on a canvas
 * and an AnalyserNode. Plus an echo (tsrtc sends back what it receives) and the two sides' stats agreeing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RTCIceCandidateInit } from '../../src/ice/candidate.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import type { RTCSessionDescriptionInit } from '../../src/peerconnection/session-description.js';
import { RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { looksLikeQuadrants, QuadrantTrack, ToneTrack, toneFrequency } from '../media/sources.js';
import { chromiumSkipReason, launchChromium } from './chromium.js';
import { mediaOutageRuntime } from './lossy-runtime.js';

const skip = chromiumSkipReason();

/** The page side: a peer that sends a canvas pattern and a tone, and measures what it receives. */
const PAGE = `
window.m = {
  pc: null,
  async init() {
    await navigator.mediaDevices.getUserMedia({ audio: true, video: true }); // Chromium gathers nothing before
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.onicecandidate = (e) => window.toNode({ candidate: e.candidate ? e.candidate.toJSON() : null });
    pc.ontrack = (e) => this.show(e.track);
  },
  source(kinds) {
    const tracks = [];
    if (kinds.includes('video')) {
      const c = document.createElement('canvas');
      c.width = 320; c.height = 240;
      const g = c.getContext('2d');
      const draw = () => {
        g.fillStyle = '#ff0000'; g.fillRect(0, 0, 160, 120);
        g.fillStyle = '#00ff00'; g.fillRect(160, 0, 160, 120);
        g.fillStyle = '#0000ff'; g.fillRect(0, 120, 160, 120);
        g.fillStyle = '#ffffff'; g.fillRect(160, 120, 160, 120);
        g.fillStyle = 'rgba(0,0,0,0.004)'; g.fillRect(0, 0, 1, 1); // a change, so every tick is a frame
      };
      draw();
      setInterval(draw, 33);
      tracks.push(c.captureStream(30).getVideoTracks()[0]);
    }
    if (kinds.includes('audio')) {
      const ctx = new AudioContext();
      const osc = ctx.createOscillator();
      osc.frequency.value = 1000;
      const dest = ctx.createMediaStreamDestination();
      osc.connect(dest);
      osc.start();
      tracks.push(dest.stream.getAudioTracks()[0]);
    }
    return tracks;
  },
  prefer(transceiver, spec) {
    const [mime, ...params] = spec.split(' ');
    const caps = RTCRtpReceiver.getCapabilities(transceiver.receiver.track.kind).codecs;
    const chosen = caps.filter((c) => c.mimeType.toLowerCase() === mime.toLowerCase() &&
      params.every((p) => (c.sdpFmtpLine || '').split(';').includes(p)));
    if (chosen.length === 0) throw new Error('Chromium cannot ' + mime);
    transceiver.setCodecPreferences(chosen);
  },
  async offer(kinds, mime) {
    for (const t of this.source(kinds)) {
      const tr = this.pc.addTransceiver(t, { direction: 'sendrecv' });
      if (mime.startsWith(t.kind)) this.prefer(tr, mime);
    }
    await this.pc.setLocalDescription();
    return this.pc.localDescription.toJSON();
  },
  async answer(offer) {
    await this.pc.setRemoteDescription(offer);
    await this.pc.setLocalDescription();
    return this.pc.localDescription.toJSON();
  },
  async accept(answer) { await this.pc.setRemoteDescription(answer); },
  async candidate(c) { await this.pc.addIceCandidate(c ?? undefined); },
  video: null,
  audio: null,
  show(track) {
    const stream = new MediaStream([track]);
    if (track.kind === 'video') {
      const v = document.createElement('video');
      v.muted = true; v.autoplay = true; v.playsInline = true; v.srcObject = stream;
      document.body.appendChild(v);
      v.play();
      this.video = v;
    } else {
      // Chromium feeds remote audio into WebAudio only while an <audio> element plays it (muted is fine).
      const a = document.createElement('audio');
      a.muted = true; a.autoplay = true; a.srcObject = stream;
      document.body.appendChild(a);
      a.play();
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 8192;
      ctx.createMediaStreamSource(stream).connect(analyser);
      this.audio = { ctx, analyser };
    }
  },
  /** Colours at the centre of each quadrant of the received video, and its size. */
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
  /** The loudest frequency of the received audio (Hz), or 0 before any arrives. */
  peak() {
    const a = this.audio;
    if (!a) return 0;
    const bins = new Float32Array(a.analyser.frequencyBinCount);
    a.analyser.getFloatFrequencyData(bins);
    let best = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return bins[best] > -90 ? (best * a.ctx.sampleRate) / a.analyser.fftSize : 0;
  },
  async stats() {
    const out = {};
    for (const s of (await this.pc.getStats()).values()) if (s.type === 'inbound-rtp' || s.type === 'outbound-rtp') out[s.type + '-' + s.kind] = s;
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

function coloursMatch(quadrants: Colour[], tolerance = 70): boolean {
  return quadrants.every((c, i) => c.every((v, k) => Math.abs(v - EXPECTED[i]![k]!) <= tolerance));
}

async function until<T>(probe: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function frames<T>(track: MediaStreamTrack, count: number): Promise<T[]> {
  const out: T[] = [];
  const timer = setTimeout(() => track.stop(), 30_000);
  try {
    while (out.length < count) out.push((await track.recv()) as T);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

function prefer(pc: RTCPeerConnection, kind: 'audio' | 'video', mime: string): void {
  const codecs = RTCRtpSender.getCapabilities(kind)!.codecs.filter(
    (c) => c.mimeType.toLowerCase() === mime.toLowerCase(),
  );
  for (const t of pc.getTransceivers()) if (t.kind === kind) t.setCodecPreferences(codecs);
}

const CODECS = [
  'video/VP8',
  'video/VP9',
  'video/H264 packetization-mode=1 profile-level-id=42e01f',
  'video/H264 packetization-mode=0 profile-level-id=42e01f',
  'video/H264 packetization-mode=1 profile-level-id=4d001f',
  'video/AV1',
  'audio/opus',
  'audio/PCMU',
  'audio/PCMA',
  'audio/G722',
];

describe('tsrtc ↔ Chromium media', { skip }, () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let server: Server;
  let url = '';
  before(async () => {
    browser = await launchChromium();
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>media</title>'),
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

  it('echo: tsrtc sends back the video and audio it receives, and Chromium sees its own pattern and tone', async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const page = await open(pc);
    try {
      pc.ontrack = (e) => {
        e.transceiver.direction = 'sendrecv';
        void e.transceiver.sender.replaceTrack(e.track);
      };
      const offer = await page.evaluate(`window.m.offer(['video', 'audio'], 'video/VP8')`);
      await pc.setRemoteDescription(offer as RTCSessionDescriptionInit);
      await pc.setLocalDescription();
      await page.evaluate(
        (a) => (globalThis as unknown as { m: { accept(a: unknown): Promise<void> } }).m.accept(a),
        pc.localDescription!.toJSON(),
      );
      const seen = await until(async () => {
        const c = (await page.evaluate('window.m.colours()')) as { quadrants: Colour[] } | null;
        return c && coloursMatch(c.quadrants) ? c : null;
      }, 30_000);
      assert.ok(seen);
      const peak = await until(async () => {
        const p = (await page.evaluate('window.m.peak()')) as number;
        return Math.abs(p - 1000) < 30 ? p : null;
      }, 30_000);
      assert.ok(peak > 0);
    } finally {
      pc.close();
      await page.close();
    }
  });

  it('recovers from a media outage with a keyframe request: pictures again within 3 s', async () => {
    let blocked = false;
    const pc = new RTCPeerConnection(
      { iceLoopbackOnly: true },
      { runtime: mediaOutageRuntime(() => blocked) },
    );
    const page = await open(pc);
    try {
      let remote: MediaStreamTrack | undefined;
      pc.ontrack = (e) => {
        if (e.track.kind === 'video') remote = e.track;
      };
      const offer = await page.evaluate(`window.m.offer(['video'], 'video/VP8')`);
      await pc.setRemoteDescription(offer as RTCSessionDescriptionInit);
      await pc.setLocalDescription();
      await page.evaluate(
        (a) => (globalThis as unknown as { m: { accept(a: unknown): Promise<void> } }).m.accept(a),
        pc.localDescription!.toJSON(),
      );
      await frames<VideoFrame>(remote!, 20);
      const before = [...(await pc.getStats()).values()].find((s) => s.type === 'inbound-rtp')!;
      blocked = true;
      await new Promise((r) => setTimeout(r, 3000));
      const during = [...(await pc.getStats()).values()].find((s) => s.type === 'inbound-rtp')!;
      blocked = false;
      const resumed = Date.now();
      // The first picture after the outage needs a keyframe: the gap makes tsrtc ask for one.
      await until(async () => {
        const now = [...(await pc.getStats()).values()].find((s) => s.type === 'inbound-rtp')!;
        return (now.keyFramesDecoded as number) > (during.keyFramesDecoded as number);
      }, 10_000);
      const waited = Date.now() - resumed;
      assert.ok(waited < 3000, `a keyframe decoded ${waited} ms after the outage`);
      let latest: VideoFrame | undefined;
      for (let i = 0; i < 60 && !(latest && looksLikeQuadrants(latest, 40)); i++)
        latest = (await remote!.recv()) as VideoFrame;
      assert.ok(latest && looksLikeQuadrants(latest, 40), 'pictures again');
      const after = [...(await pc.getStats()).values()].find((s) => s.type === 'inbound-rtp')!;
      const keyframeRequests =
        (after.pliCount as number) +
        (after.firCount as number) -
        (before.pliCount as number) -
        (before.firCount as number);
      assert.ok(keyframeRequests > 0, 'a PLI or FIR went out');
      assert.ok(
        (after.keyFramesDecoded as number) > (before.keyFramesDecoded as number),
        'a new keyframe decoded',
      );
    } finally {
      pc.close();
      await page.close();
    }
  });

  for (const mime of CODECS) {
    const kind = mime.startsWith('video') ? 'video' : 'audio';

    it(`Chromium → tsrtc ${mime}: content arrives`, async () => {
      const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
      const page = await open(pc);
      try {
        let remote: MediaStreamTrack | undefined;
        pc.ontrack = (e) => {
          if (e.track.kind === kind) remote = e.track;
        };
        const offer = await page.evaluate(
          (args) =>
            (globalThis as unknown as { m: { offer(k: string[], m: string): Promise<unknown> } }).m.offer(
              args.kinds,
              args.mime,
            ),
          { kinds: [kind], mime },
        );
        await pc.setRemoteDescription(offer as RTCSessionDescriptionInit);
        await pc.setLocalDescription();
        await page.evaluate(
          (a) => (globalThis as unknown as { m: { accept(a: unknown): Promise<void> } }).m.accept(a),
          pc.localDescription!.toJSON(),
        );
        assert.ok(remote, 'ontrack');
        if (kind === 'video') {
          const got = await frames<VideoFrame>(remote!, 30);
          const last = got.at(-1)!;
          assert.equal(`${last.width}x${last.height}`, '320x240');
          assert.ok(looksLikeQuadrants(last, 40), 'the colours survive');
        } else {
          const got = await frames<AudioFrame>(remote!, 75);
          const f = toneFrequency(got.slice(-50));
          assert.ok(Math.abs(f - 1000) < 30, `received ${f.toFixed(1)} Hz`);
        }
        const mimeType = mime.split(' ')[0]!.toLowerCase();
        const codec = [...(await pc.getStats()).values()].find(
          (s) => s.type === 'codec' && String(s.mimeType).toLowerCase() === mimeType,
        );
        assert.ok(codec, `the inbound codec is ${mime}`);
      } finally {
        pc.close();
        await page.close();
      }
    });

    it(`tsrtc → Chromium ${mime}: content arrives`, async () => {
      const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
      const page = await open(pc);
      const source = kind === 'video' ? new QuadrantTrack(320, 240) : new ToneTrack(1000);
      try {
        pc.addTrack(source);
        prefer(pc, kind, mime);
        await pc.setLocalDescription();
        const answer = await page.evaluate(
          (o) => (globalThis as unknown as { m: { answer(o: unknown): Promise<unknown> } }).m.answer(o),
          pc.localDescription!.toJSON(),
        );
        await pc.setRemoteDescription(answer as RTCSessionDescriptionInit);
        if (kind === 'video') {
          const seen = await until(async () => {
            const c = (await page.evaluate('window.m.colours()')) as {
              width: number;
              height: number;
              quadrants: Colour[];
            } | null;
            return c && coloursMatch(c.quadrants) ? c : null;
          });
          assert.equal(`${seen.width}x${seen.height}`, '320x240');
        } else {
          const peak = await until(async () => {
            const p = (await page.evaluate('window.m.peak()')) as number;
            return Math.abs(p - 1000) < 30 ? p : null;
          });
          assert.ok(peak > 0);
        }
        const theirs = (await page.evaluate('window.m.stats()')) as Record<string, Record<string, unknown>>;
        const inbound = theirs[`inbound-rtp-${kind}`];
        assert.ok(inbound && (inbound.packetsReceived as number) > 0, 'Chromium counts what we sent');
        const ours = [...(await pc.getStats()).values()].find(
          (s) => s.type === 'outbound-rtp' && s.kind === kind,
        )!;
        assert.ok(
          (ours.packetsSent as number) >= (inbound.packetsReceived as number),
          'we sent at least what Chromium received',
        );
      } finally {
        source.stop();
        pc.close();
        await page.close();
      }
    });
  }
});
