/**
 * Congestion control with Chromium on real sockets (docs/bwe.md, "Real networks"):
 *
 * - Chromium → tsrtc, uncapped loopback: Chromium estimates its bandwidth from the transport-wide CC feedback
 *   tsrtc sends (without it, or with wrong arrival times, it stays near its start bitrate of 300 kbit/s); within
 *   10 s of connecting its estimate must reach 2 Mbit/s with its video following (sent at ≥ 1.2 Mbit/s; the
 *   encoder of a starved machine may lag the estimate).
 * - tsrtc → Chromium over a 1 Mbit/s cap made by the kernel (an HTB class with a 500 ms byte FIFO, for UDP
 *   to Chromium's port only): frames keep flowing, our estimate settles under 1.2 Mbit/s, delay stays bounded.
 * - tsrtc → tsrtc over the same cap (off by default, see below): a 1280×720 sender is limited by bandwidth.
 *
 * They run only inside the loopback namespace (../shared/scripts/netns.sh), where `tc` is permitted.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RTCIceCandidateInit } from '../../src/ice/candidate.js';
import { isNodeAvAvailable } from '../../src/media/codecs/node-av.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import type { RTCSessionDescriptionInit } from '../../src/peerconnection/session-description.js';
import { chromiumSkipReason, launchChromium } from './chromium.js';
import { LinkCap, NoiseTrack, tcSkipReason } from './rate-limit.js';

const skip = chromiumSkipReason();

/**
 * The page: `send()` offers a 1280×720 canvas that changes everywhere (so the encoder wants bits) as VP8;
 * `receive(offer)` answers a tsrtc offer and plays what arrives. `stats()` reads what the tests measure.
 */
const PAGE = `
window.api = () => window.bwe; // the functions below run in the page, where api() is this one
window.bwe = {
  pc: null,
  make() {
    const pc = new RTCPeerConnection(); this.pc = pc;
    pc.onicecandidate = (e) => window.toNode({ candidate: e.candidate ? e.candidate.toJSON() : null });
    return pc;
  },
  async send() {
    await navigator.mediaDevices.getUserMedia({ video: true }); // Chromium gathers nothing before
    const c = document.createElement('canvas'); c.width = 1280; c.height = 720;
    const g = c.getContext('2d');
    const noise = [0, 1, 2, 3].map(() => {
      const d = g.createImageData(160, 120);
      for (let j = 0; j < d.data.length; j++) d.data[j] = Math.random() * 255;
      return d;
    });
    let n = 0;
    setInterval(() => {
      n++;
      for (let i = 0; i < 40; i++) {
        g.fillStyle = 'hsl(' + ((n * 7 + i * 37) % 360) + ',80%,50%)';
        g.fillRect((i * 97 + n * 13) % 1280, (i * 53 + n * 7) % 720, 160, 120);
      }
      for (let k = 0; k < 6; k++) g.putImageData(noise[(n + k) % 4], (n * 31 + k * 211) % 1120, (n * 17 + k * 113) % 600);
    }, 33);
    const pc = this.make();
    const tr = pc.addTransceiver(c.captureStream(30).getVideoTracks()[0], { direction: 'sendonly' });
    // VP8 with its RTX: Chromium's probes are RTX padding (without RTX it pads the media SSRC only after a
    // frame's last packet, and a probe at start often finds nothing to send)
    tr.setCodecPreferences(RTCRtpReceiver.getCapabilities('video').codecs.filter((x) => x.mimeType === 'video/VP8' || x.mimeType === 'video/rtx'));
    // 1280×720 throughout: started at 300 kbit/s Chromium would begin small and the quality scaler stay there
    const p = tr.sender.getParameters(); p.degradationPreference = 'maintain-resolution';
    await tr.sender.setParameters(p).catch(() => {});
    await pc.setLocalDescription();
    return pc.localDescription.toJSON();
  },
  async receive(offer) {
    await navigator.mediaDevices.getUserMedia({ video: true });
    const pc = this.make();
    pc.ontrack = (e) => {
      const v = document.createElement('video'); v.muted = true; v.autoplay = true;
      v.srcObject = new MediaStream([e.track]); document.body.appendChild(v); v.play().catch(() => {});
    };
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription();
    return pc.localDescription.toJSON();
  },
  async accept(a) { await this.pc.setRemoteDescription(a); },
  async candidate(c) { await this.pc.addIceCandidate(c ?? undefined); },
  async stats() {
    const out = { estimate: 0, bytesSent: 0, width: 0, limitation: '', framesDecoded: 0, bytesReceived: 0,
      jitterBufferDelay: 0, jitterBufferEmittedCount: 0, framesDropped: 0 };
    for (const s of (await this.pc.getStats()).values()) {
      if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) out.estimate = s.availableOutgoingBitrate;
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.bytesSent = s.bytesSent + (s.headerBytesSent || 0); out.width = s.frameWidth || 0;
        out.limitation = s.qualityLimitationReason;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.framesDecoded = s.framesDecoded; out.bytesReceived = s.bytesReceived;
        out.jitterBufferDelay = s.jitterBufferDelay; out.jitterBufferEmittedCount = s.jitterBufferEmittedCount;
        out.framesDropped = s.framesDropped || 0;
      }
    }
    return out;
  },
};`;

interface PageStats {
  estimate: number;
  bytesSent: number;
  width: number;
  limitation: string;
  framesDecoded: number;
  bytesReceived: number;
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  framesDropped: number;
}

type BweApi = {
  send(): Promise<RTCSessionDescriptionInit>;
  receive(offer: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit>;
  accept(a: RTCSessionDescriptionInit): Promise<void>;
  candidate(c: RTCIceCandidateInit | null): Promise<void>;
  stats(): Promise<PageStats>;
};
const api = (): BweApi => (globalThis as unknown as { bwe: BweApi }).bwe;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kbps = (bits: number) => Math.round(bits / 1000);

describe('congestion control with Chromium', { skip }, () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let server: Server;
  let url = '';
  before(async () => {
    // As a server would at start-up: load FFmpeg before the first call, not during it (docs/media.md).
    await isNodeAvAvailable();
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

  /** Address and port of the selected pair's remote candidate, read from getStats as an application would. */
  async function selectedRemote(
    pc: RTCPeerConnection,
  ): Promise<{ address: string; port: number } | undefined> {
    const report = (await pc.getStats()) as Map<string, Record<string, unknown>>;
    for (const t of report.values()) {
      if (t.type !== 'transport' || typeof t.selectedCandidatePairId !== 'string') continue;
      const pair = report.get(t.selectedCandidatePairId);
      const remote =
        typeof pair?.remoteCandidateId === 'string' ? report.get(pair.remoteCandidateId) : undefined;
      if (typeof remote?.port === 'number' && typeof remote.address === 'string')
        return { address: remote.address, port: remote.port };
    }
    return undefined;
  }

  /** A page wired to `pc` for candidates; `onPageCandidate` runs before a candidate reaches tsrtc. */
  async function openPage(
    pc: RTCPeerConnection,
    onPageCandidate: (c: RTCIceCandidateInit) => Promise<void> = async () => undefined,
  ): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.exposeFunction('toNode', async (m: { candidate: RTCIceCandidateInit | null }) => {
      if (m.candidate) await onPageCandidate(m.candidate);
      await pc.addIceCandidate(m.candidate ?? undefined).catch(() => undefined);
    });
    pc.onicecandidate = (e) =>
      void page.evaluate((c) => api().candidate(c), e.candidate?.toJSON() ?? null).catch(() => undefined);
    await page.evaluate(PAGE);
    return page;
  }

  /**
   * One connection from Chromium; when (ms after connecting) its estimate reached 2 Mbit/s with its send rate
   * over 1 s at 1.2 Mbit/s or more.
   */
  async function rampOnce(): Promise<{ reachedAt: number | undefined; summary: string }> {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    let page: Page | undefined;
    const stalls = new EventLoopStalls();
    try {
      // Frames are received and reassembled but not decoded: decoding 720p here would take CPU from
      // Chromium's encoder and from our event loop (whose reading times are the arrival times we report
      // without the native addon; with it, the kernel's receive times are).
      page = await openPage(pc);
      const offer = await page.evaluate(() => api().send());
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription();
      await page.evaluate((a) => api().accept(a), pc.localDescription!.toJSON());
      await waitConnected(pc);
      const started = Date.now();
      const samples: { at: number; sent: number; estimate: number }[] = [];
      // the send rate over the last second (from the latest sample at least 0.9 s before)
      const rateAt = (i: number): number => {
        const x = samples[i]!;
        const back = [...samples.slice(0, i)].reverse().find((y) => y.at <= x.at - 900);
        return back ? ((x.sent - back.sent) * 1000) / (x.at - back.at) : 0;
      };
      let reachedAt: number | undefined;
      while (Date.now() - started < 10_000 && reachedAt === undefined) {
        await sleep(250);
        const s = await page.evaluate(() => api().stats());
        samples.push({ at: Date.now() - started, sent: s.bytesSent * 8, estimate: s.estimate });
        if (rateAt(samples.length - 1) >= 1.2e6 && s.estimate >= 2e6) reachedAt = samples.at(-1)!.at;
      }
      const rates = samples.map((_, i) => kbps(rateAt(i))).filter((_, i) => i % 2 === 1);
      const summary =
        `send rate over 1 s (kbit/s, every 0.5 s): ${rates.join(' ')}; Chromium's estimate (every 0.25 s): ` +
        `${samples.map((x) => kbps(x.estimate)).join(' ')}; ${stalls.summary()}`;
      console.log(`Chromium → tsrtc: 2 Mbit/s estimated and followed at ${reachedAt ?? '—'} ms; ${summary}`);
      return { reachedAt, summary };
    } finally {
      stalls.stop();
      pc.close();
      await page?.close();
    }
  }

  it('Chromium → tsrtc: on our TWCC feedback Chromium ramps to ≥ 2 Mbit/s within 10 s', async () => {
    // Up to three connections: on a shared 2-core machine a stall of either process during Chromium's
    // start-up probes (the first ~100 ms) spoils them, and Chromium then grows at 8 %/s from where it was
    // (docs/bwe.md, "Real networks"). Wrong feedback fails every one.
    let attempt = await rampOnce();
    for (let i = 1; i < 3 && attempt.reachedAt === undefined; i++) attempt = await rampOnce();
    assert.ok(
      attempt.reachedAt !== undefined,
      `Chromium's estimate or send rate stayed under 2 / 1.2 Mbit/s for 10 s three times: ${attempt.summary}`,
    );
  });

  it('tsrtc → Chromium at a 1 Mbit/s cap: frames keep flowing, the estimate settles under the cap, delay stays bounded', {
    skip: tcSkipReason(),
  }, async () => {
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const cap = new LinkCap(1_000_000, 500);
    let page: Page | undefined;
    const track = new NoiseTrack(640, 480);
    const stalls = new EventLoopStalls();
    try {
      // the cap is in place before the first packet to Chromium's port: candidates reach tsrtc after it
      page = await openPage(pc, (c) => cap.limitTo(c));
      pc.addTransceiver(track, { direction: 'sendonly' });
      const estimates: { at: number; bitrate: number }[] = [];
      const t0 = Date.now();
      pc.addEventListener('bandwidthestimate', (e) =>
        estimates.push({ at: Date.now() - t0, bitrate: e.availableOutgoingBitrate }),
      );
      await pc.setLocalDescription();
      const answer = await page.evaluate((o) => api().receive(o), pc.localDescription!.toJSON());
      await pc.setRemoteDescription(answer);
      await waitConnected(pc);
      // Chromium's checks can arrive before its trickled candidate, and ICE then connects through a
      // peer-reflexive one: cap the port in use as well (the first moments go uncapped, which the
      // criteria below do not look at).
      const inUse = await selectedRemote(pc);
      assert.ok(inUse !== undefined, 'a selected candidate pair once connected');
      await cap.limitTo({ candidate: `candidate:x 1 udp 1 ${inUse.address} ${inUse.port} typ host` });
      assert.ok(cap.covers(inUse.address, inUse.port), 'the cap covers the address Chromium receives on');
      const started = Date.now();
      const rows: {
        at: number;
        decoded: number;
        received: number;
        jbDelay: number;
        jbCount: number;
        estimate: number | undefined;
        rtt: number | undefined;
        width: number | undefined;
        limitation: string | undefined;
        sent: number;
        resent: number;
      }[] = [];
      while (Date.now() - started < 18_000) {
        await sleep(1000);
        const s = await page.evaluate(() => api().stats());
        const ours = await ourStats(pc);
        rows.push({
          at: Date.now() - started,
          decoded: s.framesDecoded,
          received: s.bytesReceived * 8,
          jbDelay: s.jitterBufferDelay,
          jbCount: s.jitterBufferEmittedCount,
          ...ours,
        });
      }
      const table = rows.map((r, i) => {
        const p = rows[i - 1];
        const rate = p ? kbps(((r.received - p.received) * 1000) / (r.at - p.at)) : 0;
        const jb =
          p && r.jbCount > p.jbCount
            ? Math.round(((r.jbDelay - p.jbDelay) / (r.jbCount - p.jbCount)) * 1000)
            : 0;
        const per = (v: number, w: number) => (p ? kbps(((v - w) * 1000) / (r.at - p.at)) : 0);
        return `${Math.round(r.at / 1000)}s fps ${p ? r.decoded - p.decoded : r.decoded} out ${per(r.sent, p?.sent ?? 0)}k (resent ${per(r.resent, p?.resent ?? 0)}k) in ${rate}k est ${kbps(r.estimate ?? 0)}k rtt ${r.rtt === undefined ? '-' : Math.round(r.rtt * 1000)}ms jb ${jb}ms ${r.width}px ${r.limitation}`;
      });
      const qdisc = await cap.summary();
      console.log(
        `tsrtc → Chromium at 1 Mbit/s:\n  ${table.join('\n  ')}\n  ${qdisc}\n  ${stalls.summary()}`,
      );
      // the shaped class really carried the media (a filter that missed would make all of this vacuous)
      const shaped = Number(/Sent (\d+) bytes/.exec(qdisc)?.[1] ?? 0);
      assert.ok(shaped > 500_000, `the capped class passed only ${shaped} bytes: ${qdisc}`);
      // a first frame within 3 s, then frames every second once the start-up is over: the first keyframes
      // (at the start rate, then one per resolution step under send pressure) can fill the capped queue for
      // the first 3–6 s (docs/bwe.md, "Real networks")
      const at = (ms: number) => rows.findIndex((r) => r.at >= ms);
      assert.ok(rows[at(3000)]!.decoded > 0, `no frame decoded in the first 3 s: ${table.join('; ')}`);
      // (a start-up that ran 8 s on a loaded machine left one second empty: one such second is tolerated)
      const silent: string[] = [];
      for (let i = at(7000); i < rows.length; i++)
        if (rows[i]!.decoded <= rows[i - 1]!.decoded) silent.push(table[i]!);
      assert.ok(
        silent.length <= 1,
        `no frame decoded in ${silent.length} seconds after 7 s: ${silent.join('; ')}`,
      );
      // the estimate over the last 8 s settles under 1.2 Mbit/s (median: a probe read on a starved machine can
      // spike one sample) and does not collapse toward the 30 kbit/s minimum
      const late = rows.slice(-8);
      const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
      const estimate = median(late.map((r) => r.estimate ?? Number.POSITIVE_INFINITY));
      assert.ok(estimate < 1.2e6 && estimate > 0.15e6, `estimate median ${estimate} over the last 8 s`);
      assert.ok(estimates.length > 0, 'bandwidthestimate events fired');
      // delay: the RTT our RTCP measures crosses the capped queue; a sender that ignored the cap would keep
      // its 500 ms full. Over the last 8 s the queue drains (an RTT under 100 ms) and the median stays under
      // 400 ms (usually well under 200 ms; an encoder overshooting a low target on this noise keeps it
      // higher for seconds at a time, docs/bwe.md).
      const rtts = late.map((r) => r.rtt ?? Number.POSITIVE_INFINITY);
      const rtt = median([...rtts]);
      assert.ok(
        Math.min(...rtts) < 0.1,
        `the queue never drained: RTTs ${rtts.join(', ')} s over the last 8 s`,
      );
      assert.ok(rtt < 0.4, `RTT median ${rtt} s over the last 8 s`);
    } finally {
      stalls.stop();
      track.stop();
      pc.close();
      await page?.close();
      await cap.remove();
    }
  });
});

/**
 * Off by default: on the shared 2-core machine the 720p encoder is often CPU-bound (encode time ≈ wall time,
 * 10–30 frames/s, 50–350 kbit/s at a 1.4 Mbit/s target), so the sender stays application-limited and never
 * meets the cap (2 of 7 runs; docs/bwe.md, "Real networks"). TSRTC_BWE_TSRTC=1 runs it.
 */
const tsrtcCapSkip =
  process.env.TSRTC_BWE_TSRTC === '1'
    ? tcSkipReason()
    : 'tsrtc → tsrtc at a cap needs a machine that encodes 720p in real time: set TSRTC_BWE_TSRTC=1';

describe('congestion control between two tsrtc peers', () => {
  it('tsrtc → tsrtc at a 1 Mbit/s cap: a 1280×720 sender adapts its size and rate to the link', {
    skip: tsrtcCapSkip,
  }, async () => {
    const sender = new RTCPeerConnection({ iceLoopbackOnly: true });
    const receiver = new RTCPeerConnection({ iceLoopbackOnly: true });
    const cap = new LinkCap(1_000_000, 500);
    const track = new NoiseTrack(1280, 720);
    try {
      // the receiver's candidates reach the sender only once UDP to their ports is capped
      receiver.onicecandidate = (e) => {
        const c = e.candidate?.toJSON();
        void (c ? cap.limitTo(c) : Promise.resolve())
          .then(() => sender.addIceCandidate(c))
          .catch(() => undefined);
      };
      sender.onicecandidate = (e) =>
        void receiver.addIceCandidate(e.candidate?.toJSON()).catch(() => undefined);
      sender.addTransceiver(track, { direction: 'sendonly' });
      await sender.setLocalDescription();
      await receiver.setRemoteDescription(sender.localDescription!.toJSON());
      await receiver.setLocalDescription();
      await sender.setRemoteDescription(receiver.localDescription!.toJSON());
      await waitConnected(sender);
      const started = Date.now();
      const rows: (Awaited<ReturnType<typeof ourStats>> & { at: number; target: number | undefined })[] = [];
      while (Date.now() - started < 15_000) {
        await sleep(1000);
        let target: number | undefined;
        for (const s of (await sender.getStats()).values() as Iterable<Record<string, unknown>>)
          if (s.type === 'outbound-rtp' && typeof s.targetBitrate === 'number') target = s.targetBitrate;
        rows.push({ at: Date.now() - started, target, ...(await ourStats(sender)) });
      }
      const table = rows.map((r, i) => {
        const p = rows[i - 1];
        const out = p ? kbps(((r.sent - p.sent) * 1000) / (r.at - p.at)) : 0;
        return `${Math.round(r.at / 1000)}s out ${out}k est ${kbps(r.estimate ?? 0)}k target ${kbps(r.target ?? 0)}k ${r.width}px ${r.limitation} rtt ${r.rtt === undefined ? '-' : Math.round(r.rtt * 1000)}ms`;
      });
      const qdisc = await cap.summary();
      console.log(`tsrtc → tsrtc at 1 Mbit/s:\n  ${table.join('\n  ')}\n  ${qdisc}`);
      assert.ok(
        Number(/Sent (\d+) bytes/.exec(qdisc)?.[1] ?? 0) > 400_000,
        `the cap carried little: ${qdisc}`,
      );
      // 1280×720 needs ~830 kbit/s (docs/bwe.md, Targets): under the cap the layer is sent smaller, and says why
      const late = rows.slice(-8);
      assert.ok(
        late.some((r) => r.limitation === 'bandwidth' && (r.width ?? 1280) < 1280),
        `never limited by bandwidth: ${table.join('; ')}`,
      );
      const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
      const target = median(late.map((r) => r.target ?? Number.POSITIVE_INFINITY));
      assert.ok(target < 1.2e6, `encoder target median ${target} over the last 8 s`);
    } finally {
      track.stop();
      sender.close();
      receiver.close();
      await cap.remove();
    }
  });
});

/**
 * Times our event loop was late by more than 30 ms (a busy or oversubscribed machine): without the native
 * addon arrival times are read when the loop reads a datagram, so a stall shows as queueing followed by a
 * burst; with it they are the kernel's receive times and a stall no longer shows in our feedback.
 */
class EventLoopStalls {
  private last = performance.now();
  private count = 0;
  private worst = 0;
  private readonly timer = setInterval(() => {
    const t = performance.now();
    if (t - this.last > 30) {
      this.count++;
      this.worst = Math.max(this.worst, t - this.last);
    }
    this.last = t;
  }, 5);

  summary(): string {
    return `event-loop stalls over 30 ms: ${this.count} (worst ${Math.round(this.worst)} ms)`;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function waitConnected(pc: RTCPeerConnection): Promise<void> {
  const until = Date.now() + 20_000;
  while (pc.connectionState !== 'connected') {
    if (Date.now() > until || pc.connectionState === 'failed')
      throw new Error(`connection ${pc.connectionState}`);
    await sleep(20);
  }
}

/** Our side of the send: estimate (candidate pair), RTT (remote-inbound-rtp), picture size and limitation. */
async function ourStats(pc: RTCPeerConnection): Promise<{
  estimate: number | undefined;
  rtt: number | undefined;
  width: number | undefined;
  limitation: string | undefined;
  sent: number;
  resent: number;
}> {
  const out: {
    estimate: number | undefined;
    rtt: number | undefined;
    width: number | undefined;
    limitation: string | undefined;
    sent: number;
    resent: number;
  } = { estimate: undefined, rtt: undefined, width: undefined, limitation: undefined, sent: 0, resent: 0 };
  for (const s of (await pc.getStats()).values() as Iterable<Record<string, unknown>>) {
    if (s.type === 'candidate-pair' && typeof s.availableOutgoingBitrate === 'number')
      out.estimate = s.availableOutgoingBitrate;
    if (s.type === 'remote-inbound-rtp' && typeof s.roundTripTime === 'number') out.rtt = s.roundTripTime;
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.width = s.frameWidth as number | undefined;
      out.limitation = s.qualityLimitationReason as string | undefined;
      out.sent += ((s.bytesSent as number) + ((s.headerBytesSent as number | undefined) ?? 0)) * 8;
      out.resent += ((s.retransmittedBytesSent as number | undefined) ?? 0) * 8;
    }
  }
  return out;
}
