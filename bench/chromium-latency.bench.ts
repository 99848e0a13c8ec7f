/**
 * Glass-to-glass latency of the Chromium echo: the page paints the time into a canvas (as a row of black and
 * white blocks), sends it to tsrtc (VP8), tsrtc sends the track it receives back, and the page reads the time
 * out of the returned video's frames as they are presented. Median and p95 over the samples, against the same
 * measurement on the page's local preview of the canvas stream (the browser's own capture-to-screen latency)
 * in the same run. Loopback, inside the test namespace.
 *
 *   ../shared/scripts/netns.sh npm run bench -- chromium-latency      (LATENCY_SAMPLES=150)
 */
import { createServer } from 'node:http';
import { RTCPeerConnection } from '../src/peerconnection/peer-connection.js';
import { chromiumSkipReason, launchChromium } from '../test/interop/chromium.js';

const SAMPLES = Number(process.env.LATENCY_SAMPLES ?? 150);
const print = (o: Record<string, unknown>): void =>
  console.log(JSON.stringify({ bench: 'chromium-latency', ...o }));

const PAGE = `
window.lat = {
  async start() {
    await navigator.mediaDevices.getUserMedia({ video: true });
    const c = document.createElement('canvas');
    c.width = 640; c.height = 480;
    const g = c.getContext('2d');
    const bits = 22;
    const paint = () => {
      const t = Math.round(performance.now()) % (1 << bits);
      g.fillStyle = '#808080'; g.fillRect(0, 0, 640, 480);
      for (let i = 0; i < bits; i++) {
        g.fillStyle = (t >> i) & 1 ? '#ffffff' : '#000000';
        g.fillRect(8 + i * 28, 200, 24, 80);
      }
      requestAnimationFrame(paint);
    };
    paint();
    setInterval(() => g.fillRect(0, 0, 1, 1), 16); // keep frames coming when rAF is throttled headless
    const stream = c.captureStream(60);
    this.local = await this.watch(stream);
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.onicecandidate = (e) => window.toNode({ candidate: e.candidate ? e.candidate.toJSON() : null });
    const tr = pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendrecv' });
    tr.setCodecPreferences(RTCRtpReceiver.getCapabilities('video').codecs.filter((x) => x.mimeType === 'video/VP8'));
    pc.ontrack = async (e) => { this.remote = await this.watch(new MediaStream([e.track])); };
    await pc.setLocalDescription();
    return pc.localDescription.toJSON();
  },
  async accept(answer) { await this.pc.setRemoteDescription(answer); },
  async candidate(c) { await this.pc.addIceCandidate(c ?? undefined); },
  /** A video element showing the stream; every presented frame's time code gives one latency sample. */
  async watch(stream) {
    const v = document.createElement('video');
    v.muted = true; v.autoplay = true; v.srcObject = stream;
    document.body.appendChild(v);
    await v.play();
    const probe = document.createElement('canvas');
    probe.width = 640; probe.height = 480;
    const pg = probe.getContext('2d', { willReadFrequently: true });
    const samples = [];
    const onFrame = (now) => {
      pg.drawImage(v, 0, 0, 640, 480);
      const row = pg.getImageData(0, 240, 640, 1).data;
      let t = 0;
      for (let i = 0; i < 22; i++) if (row[(8 + i * 28 + 12) * 4] > 128) t |= 1 << i;
      const d = ((Math.round(now) % (1 << 22)) - t + (1 << 22)) % (1 << 22);
      if (d < 5000) samples.push(d);
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
    return samples;
  },
  counts() { return [this.local ? this.local.length : 0, this.remote ? this.remote.length : 0]; },
  results() { return { local: this.local, remote: this.remote }; },
};
`;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

if (chromiumSkipReason()) {
  print({ skipped: 'Chromium is not installed' });
} else {
  const server = createServer((_q, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>latency</title>'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const browser = await launchChromium();
  const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
    await page.exposeFunction(
      'toNode',
      (m: { candidate: null | { candidate: string; sdpMid: string | null } }) =>
        pc.addIceCandidate(m.candidate as never).catch(() => undefined),
    );
    pc.onicecandidate = (e) =>
      void page
        .evaluate(
          (c) =>
            (globalThis as unknown as { lat: { candidate(c: unknown): Promise<void> } }).lat.candidate(c),
          e.candidate?.toJSON() ?? null,
        )
        .catch(() => undefined);
    pc.ontrack = ({ track, transceiver }) => {
      transceiver.direction = 'sendrecv';
      void transceiver.sender.replaceTrack(track);
    };
    await page.evaluate(PAGE);
    const offer = await page.evaluate('window.lat.start()');
    await pc.setRemoteDescription(offer as never);
    await pc.setLocalDescription();
    await page.evaluate(
      (a) => (globalThis as unknown as { lat: { accept(a: unknown): Promise<void> } }).lat.accept(a),
      pc.localDescription!.toJSON(),
    );
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [local, remote] = (await page.evaluate('window.lat.counts()')) as [number, number];
      if ((local >= SAMPLES && remote >= SAMPLES + 30) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const { local, remote } = (await page.evaluate('window.lat.results()')) as {
      local: number[];
      remote: number[];
    };
    const echo = remote.slice(30); // after the first keyframe and the encoder's ramp-up
    const loc = local.slice(30);
    const m = percentile(echo, 0.5);
    const ml = percentile(loc, 0.5);
    print({
      case: 'echo through tsrtc (VP8, 640x480)',
      samples: echo.length,
      medianMs: m,
      p95Ms: percentile(echo, 0.95),
    });
    print({
      case: 'local preview (reference)',
      samples: loc.length,
      medianMs: ml,
      p95Ms: percentile(loc, 0.95),
    });
    print({
      case: 'echo minus local preview',
      medianMs: m - ml,
      ratio: Math.round((m / Math.max(1, ml)) * 100) / 100,
    });
  } finally {
    pc.close();
    await browser.close();
    server.close();
  }
}
