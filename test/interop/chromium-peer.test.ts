/**
 * tsrtc's RTCPeerConnection against Chromium (libwebrtc) in headless mode: data channels of every type with
 * tsrtc offering, a browser offer with audio + video + data answered by tsrtc, and ICE restart keeping the
 * data channel alive. Signaling runs through Playwright (exposeFunction / evaluate), trickle both ways.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { AudioStreamTrack, VideoStreamTrack } from '../../src/media/stream-tracks.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { chromiumSkipReason, echoCheck, launchChromium, waitFor } from './chromium.js';

const skip = chromiumSkipReason();

async function waitUntil(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs in the page: a peer that answers or offers, echoes every data channel message, trickles candidates. */
const BROWSER_PEER = `
window.peer = {
  pc: null,
  async start(withMedia) {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.onicecandidate = (e) => window.toNode({ kind: 'candidate', candidate: e.candidate ? e.candidate.toJSON() : null });
    const echo = (ch) => { ch.binaryType = 'arraybuffer'; ch.onmessage = (e) => ch.send(e.data); };
    pc.ondatachannel = (e) => echo(e.channel);
    if (withMedia) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      echo(pc.createDataChannel('browser-data'));
      await pc.setLocalDescription();
      window.toNode({ kind: 'description', description: pc.localDescription.toJSON() });
    }
  },
  async receive(msg) {
    const pc = this.pc;
    if (msg.kind === 'candidate') {
      await pc.addIceCandidate(msg.candidate ?? undefined);
    } else if (msg.description.type === 'offer') {
      await pc.setRemoteDescription(msg.description);
      await pc.setLocalDescription();
      window.toNode({ kind: 'description', description: pc.localDescription.toJSON() });
    } else {
      await pc.setRemoteDescription(msg.description);
    }
  },
  // Renegotiation from the browser: audio only first, then a data channel in a second offer.
  async offerAudioOnly() {
    await navigator.mediaDevices.getUserMedia({ audio: true }); // Chromium gathers nothing without it
    await this.start(false);
    this.pc.addTransceiver('audio', { direction: 'recvonly' });
    await this.pc.setLocalDescription();
    window.toNode({ kind: 'description', description: this.pc.localDescription.toJSON() });
  },
  async reofferWithChannel(label) {
    const ch = this.pc.createDataChannel(label);
    ch.binaryType = 'arraybuffer';
    ch.onmessage = (e) => ch.send(e.data);
    await this.pc.setLocalDescription();
    window.toNode({ kind: 'description', description: this.pc.localDescription.toJSON() });
  },
  hasSctp() { return this.pc.sctp !== null && this.pc.sctp.state; },
  trackKinds() { return this.pc.getReceivers().filter((r) => r.track).map((r) => r.track.kind).sort(); },
  state() { return this.pc ? this.pc.connectionState : 'none'; },
};
`;

interface SignalMessage {
  kind: 'candidate' | 'description';
  candidate?: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null } | null;
  description?: { type: 'offer' | 'answer'; sdp: string };
}

async function bridge(page: Page, pc: RTCPeerConnection): Promise<(m: SignalMessage) => Promise<void>> {
  const toBrowser = (m: SignalMessage) =>
    page.evaluate(
      (msg) => (globalThis as unknown as { peer: { receive(m: unknown): Promise<void> } }).peer.receive(msg),
      m as never,
    );
  await page.exposeFunction('toNode', async (m: SignalMessage) => {
    if (m.kind === 'candidate') await pc.addIceCandidate(m.candidate ?? null);
    else if (m.description?.type === 'offer') {
      await pc.setRemoteDescription(m.description);
      await pc.setLocalDescription();
      await toBrowser({
        kind: 'description',
        description: pc.localDescription!.toJSON() as SignalMessage['description'],
      });
    } else if (m.description) await pc.setRemoteDescription(m.description);
  });
  // A candidate still in flight when the test closes the page fails with "page closed": expected, dropped.
  // Before that, a failing trickle is a real error and surfaces as one.
  pc.onicecandidate = (e) =>
    void toBrowser({
      kind: 'candidate',
      candidate: e.candidate ? (e.candidate.toJSON() as SignalMessage['candidate']) : null,
    }).catch((error: unknown) => {
      if (!page.isClosed()) throw error;
    });
  await page.evaluate(BROWSER_PEER);
  return toBrowser;
}

describe('tsrtc ↔ Chromium', { skip }, () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  // getUserMedia needs a secure context: a page served from 127.0.0.1 is one, about:blank is not.
  let server: Server;
  let url = '';
  const newPage = async (): Promise<Page> => {
    const page = await browser.context.newPage();
    await page.goto(url);
    return page;
  };
  before(async () => {
    browser = await launchChromium();
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>peer</title>'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('tsrtc offers data channels of every type; Chromium echoes text, binary, empty and 64 KiB', async () => {
    const page = await newPage();
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    try {
      await bridge(page, pc);
      await page.evaluate('window.peer.start(false)');
      const channels = [
        pc.createDataChannel('reliable'),
        pc.createDataChannel('unordered', { ordered: false }),
        pc.createDataChannel('rexmit', { maxRetransmits: 2 }),
        pc.createDataChannel('lifetime', { maxPacketLifeTime: 1000, ordered: false }),
      ];
      const toBrowser = (m: SignalMessage) =>
        page.evaluate(
          (msg) =>
            (globalThis as unknown as { peer: { receive(m: unknown): Promise<void> } }).peer.receive(msg),
          m as never,
        );
      await pc.setLocalDescription();
      await toBrowser({
        kind: 'description',
        description: pc.localDescription!.toJSON() as SignalMessage['description'],
      });
      for (const ch of channels) if (ch.readyState !== 'open') await waitFor(ch, 'open');
      const big = new Uint8Array(65_536).map((_, i) => (i * 7) & 0xff);
      await echoCheck(channels[0]!, ['hello', '', 'ünï ✓', new Uint8Array(0), Uint8Array.of(1, 2, 3), big]);
      for (const ch of channels.slice(1)) await echoCheck(ch, ['x', Uint8Array.of(4, 5)]);
      assert.equal(await page.evaluate('window.peer.state()'), 'connected');
      assert.equal(pc.connectionState, 'connected');
    } finally {
      await pc.close();
      await page.close();
    }
  });

  it('answers a browser offer with audio, video and data; the browser data channel works', async () => {
    const page = await newPage();
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    try {
      const kinds: string[] = [];
      pc.ontrack = (e) => kinds.push(e.track.kind);
      const incoming = waitFor<Event & { channel: RTCDataChannel }>(pc, 'datachannel');
      await bridge(page, pc);
      await page.evaluate('window.peer.start(true)');
      const ch = (await incoming).channel;
      if (ch.readyState !== 'open') await waitFor(ch, 'open');
      await echoCheck(ch, ['from node', Uint8Array.of(9)]);
      assert.deepEqual(kinds.sort(), ['audio', 'video']);
      const sdp = pc.localDescription!.sdp;
      assert.match(sdp, /m=audio .* UDP\/TLS\/RTP\/SAVPF/);
      assert.match(sdp, /m=video .* UDP\/TLS\/RTP\/SAVPF/);
      assert.match(sdp, /a=recvonly/);
      assert.equal(pc.getTransceivers().length, 2);
    } finally {
      await pc.close();
      await page.close();
    }
  });

  it('accepts a tsrtc offer that sends audio and video (RTX SSRCs only for video)', async () => {
    const page = await newPage();
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    try {
      const toBrowser = await bridge(page, pc);
      await page.evaluate('navigator.mediaDevices.getUserMedia({ audio: true })');
      await page.evaluate('window.peer.start(false)');
      pc.addTrack(new AudioStreamTrack());
      pc.addTrack(new VideoStreamTrack());
      const ch = pc.createDataChannel('with-media');
      await pc.setLocalDescription();
      await toBrowser({
        kind: 'description',
        description: pc.localDescription!.toJSON() as SignalMessage['description'],
      });
      if (ch.readyState !== 'open') await waitFor(ch, 'open');
      assert.deepEqual(await page.evaluate('window.peer.trackKinds()'), ['audio', 'video']);
      await echoCheck(ch, ['tracks accepted']);
    } finally {
      pc.close();
      await page.close();
    }
  });

  it('renegotiation, tsrtc offering: a data channel added in the second round opens', async () => {
    const page = await newPage();
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    try {
      const toBrowser = await bridge(page, pc);
      await page.evaluate('navigator.mediaDevices.getUserMedia({ audio: true })');
      await page.evaluate('window.peer.start(false)');
      pc.addTransceiver('audio', { direction: 'recvonly' });
      await pc.setLocalDescription();
      await toBrowser({
        kind: 'description',
        description: pc.localDescription!.toJSON() as SignalMessage['description'],
      });
      await waitUntil(() => pc.connectionState === 'connected');
      assert.equal(pc.sctp, null, 'no data section yet');
      const ch = pc.createDataChannel('second-round');
      await pc.setLocalDescription();
      await toBrowser({
        kind: 'description',
        description: pc.localDescription!.toJSON() as SignalMessage['description'],
      });
      if (ch.readyState !== 'open') await waitFor(ch, 'open');
      await echoCheck(ch, ['renegotiated', Uint8Array.of(1, 2, 3)]);
      assert.equal((pc as RTCPeerConnection).sctp?.state, 'connected');
    } finally {
      pc.close();
      await page.close();
    }
  });

  it('renegotiation, Chromium offering: its data channel from the second offer reaches tsrtc', async () => {
    const page = await newPage();
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    try {
      await bridge(page, pc);
      await page.evaluate('window.peer.offerAudioOnly()');
      await waitUntil(() => pc.connectionState === 'connected');
      assert.equal(pc.sctp, null, 'no data section yet');
      const incoming = waitFor<Event & { channel: RTCDataChannel }>(pc, 'datachannel');
      await page.evaluate('window.peer.reofferWithChannel("from-browser")');
      const ch = (await incoming).channel;
      assert.equal(ch.label, 'from-browser');
      if (ch.readyState !== 'open') await waitFor(ch, 'open');
      await echoCheck(ch, ['hello browser']);
    } finally {
      pc.close();
      await page.close();
    }
  });

  it('ICE restart from tsrtc keeps the data channel alive', async () => {
    const page = await newPage();
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    try {
      const toBrowser = await bridge(page, pc);
      await page.evaluate('window.peer.start(false)');
      const ch = pc.createDataChannel('restart');
      await pc.setLocalDescription();
      await toBrowser({
        kind: 'description',
        description: pc.localDescription!.toJSON() as SignalMessage['description'],
      });
      if (ch.readyState !== 'open') await waitFor(ch, 'open');
      await echoCheck(ch, ['before']);
      const ufrag = /a=ice-ufrag:(\S+)/.exec(pc.localDescription!.sdp)![1];
      pc.restartIce();
      await pc.setLocalDescription();
      const newUfrag = /a=ice-ufrag:(\S+)/.exec(pc.localDescription!.sdp)![1];
      assert.notEqual(newUfrag, ufrag);
      await toBrowser({
        kind: 'description',
        description: pc.localDescription!.toJSON() as SignalMessage['description'],
      });
      await echoCheck(ch, ['during restart']);
      await new Promise((r) => setTimeout(r, 500));
      await echoCheck(ch, ['after']);
      assert.equal(pc.connectionState, 'connected');
    } finally {
      await pc.close();
      await page.close();
    }
  });
});
