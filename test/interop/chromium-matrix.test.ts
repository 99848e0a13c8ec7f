/**
 * The data-channel matrix against Chromium: tsrtc as offerer and as answerer, trickle and non-trickle; four
 * channel types carrying text, binary, empty and 64 KiB messages both ways (the browser echoes); closing from
 * either side. And perfect negotiation: both sides create a channel at once, the offers collide, the polite side
 * rolls back, and both channels work — with tsrtc polite and with tsrtc impolite.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import type { RTCDataChannelEvent } from '../../src/datachannel/sctp-transport.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { chromiumSkipReason, echoCheck, launchChromium, waitFor } from './chromium.js';

const skip = chromiumSkipReason();

/**
 * The browser side. Messages to Node go through window.toNode; Node calls window.b.receive(msg).
 * Every data channel echoes what it receives; closeChannel(label) closes one from the browser.
 */
const BROWSER = `
window.b = {
  channels: new Map(),
  async create({ trickle, polite, offerChannels }) {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    this.trickle = trickle;
    this.polite = polite;
    this.makingOffer = false;
    this.ignoreOffer = false;
    const echo = (ch) => {
      this.channels.set(ch.label, ch);
      ch.binaryType = 'arraybuffer';
      ch.onmessage = (e) => ch.send(e.data);
    };
    pc.ondatachannel = (e) => echo(e.channel);
    pc.onicecandidate = (e) => { if (trickle) window.toNode({ candidate: e.candidate ? e.candidate.toJSON() : null }); };
    if (polite !== undefined) {
      pc.onnegotiationneeded = async () => {
        try {
          this.makingOffer = true;
          await pc.setLocalDescription();
          await this.sendDescription();
        } finally {
          this.makingOffer = false;
        }
      };
    }
    for (const [label, init] of offerChannels ?? []) echo(pc.createDataChannel(label, init));
    if (offerChannels && polite === undefined) {
      await pc.setLocalDescription();
      await this.sendDescription();
    }
  },
  async sendDescription() {
    const pc = this.pc;
    if (!this.trickle && pc.iceGatheringState !== 'complete') {
      await new Promise((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
    }
    window.toNode({ description: pc.localDescription.toJSON() });
  },
  async receive({ description, candidate }) {
    const pc = this.pc;
    if (description) {
      const collision = description.type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
      this.ignoreOffer = this.polite === false && collision;
      if (this.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === 'offer') {
        await pc.setLocalDescription();
        await this.sendDescription();
      }
    } else {
      try {
        await pc.addIceCandidate(candidate ?? undefined);
      } catch (e) {
        if (!this.ignoreOffer) throw e;
      }
    }
  },
  closeChannel(label) { this.channels.get(label).close(); },
  createChannel(label) { const ch = this.pc.createDataChannel(label); this.channels.set(label, ch); ch.onmessage = (e) => ch.send(e.data); },
  state() { return this.pc.connectionState; },
};
`;

interface Signal {
  description?: { type: 'offer' | 'answer'; sdp: string };
  candidate?: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null } | null;
}

const CHANNELS: [string, Record<string, unknown>][] = [
  ['reliable', {}],
  ['unordered', { ordered: false }],
  ['rexmit', { ordered: false, maxRetransmits: 0 }],
  ['lifetime', { maxPacketLifeTime: 500 }],
];

/** Node's side of the signaling, perfect-negotiation aware when `polite` is set. */
function nodeSide(
  pc: RTCPeerConnection,
  toBrowser: (s: Signal) => Promise<void>,
  trickle: boolean,
  pageClosed: () => boolean,
  polite?: boolean,
) {
  let makingOffer = false;
  let ignoreOffer = false;
  const sendDescription = async (): Promise<void> => {
    while (!trickle && pc.iceGatheringState !== 'complete') await waitFor(pc, 'icegatheringstatechange');
    await toBrowser({ description: pc.localDescription!.toJSON() as Signal['description'] });
  };
  if (trickle) {
    // A candidate still in flight when the test closes the page fails with "page closed": expected, dropped.
    pc.onicecandidate = (e) =>
      void toBrowser({ candidate: e.candidate ? (e.candidate.toJSON() as Signal['candidate']) : null }).catch(
        (error: unknown) => {
          if (!pageClosed()) throw error;
        },
      );
  }
  if (polite !== undefined) {
    const negotiate = async (): Promise<void> => {
      try {
        makingOffer = true;
        await pc.setLocalDescription();
        await sendDescription();
      } finally {
        makingOffer = false;
      }
    };
    // A late negotiationneeded can still be sending its offer when the test closes the page: that failure is
    // expected and dropped; one while the page is open fails the test.
    pc.onnegotiationneeded = () =>
      void negotiate().catch((error: unknown) => {
        if (!pageClosed()) throw error;
      });
  }
  const receive = async ({ description, candidate }: Signal): Promise<void> => {
    if (description) {
      const collision = description.type === 'offer' && (makingOffer || pc.signalingState !== 'stable');
      ignoreOffer = polite === false && collision;
      if (ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === 'offer') {
        await pc.setLocalDescription();
        await sendDescription();
      }
    } else {
      try {
        await pc.addIceCandidate(candidate ?? null);
      } catch (err) {
        if (!ignoreOffer) throw err;
      }
    }
  };
  return { receive, sendDescription };
}

describe('tsrtc ↔ Chromium: data channel matrix and perfect negotiation', { skip }, () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let server: Server;
  let url = '';
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

  async function setup(
    trickle: boolean,
    polite?: boolean,
  ): Promise<{ page: Page; pc: RTCPeerConnection; node: ReturnType<typeof nodeSide> }> {
    const page = await browser.context.newPage();
    await page.goto(url);
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    // The signaling channel must stay ordered (perfect negotiation assumes it): one evaluate at a time.
    let queue: Promise<void> = Promise.resolve();
    const toBrowser = (s: Signal): Promise<void> => {
      const next = queue.then(async () => {
        await page.evaluate(
          (msg) => (globalThis as unknown as { b: { receive(m: unknown): Promise<void> } }).b.receive(msg),
          s as never,
        );
      });
      queue = next.catch(() => undefined);
      return next;
    };
    const node = nodeSide(pc, toBrowser, trickle, () => page.isClosed(), polite);
    await page.exposeFunction('toNode', (s: Signal) => node.receive(s));
    await page.evaluate(BROWSER);
    return { page, pc, node };
  }

  for (const tsrtcOffers of [true, false]) {
    for (const trickle of [true, false]) {
      it(`${tsrtcOffers ? 'tsrtc' : 'Chromium'} offers, ${trickle ? 'trickle' : 'non-trickle'}`, async () => {
        const { page, pc, node } = await setup(trickle);
        try {
          const channels = new Map<string, RTCDataChannel>();
          if (tsrtcOffers) {
            await page.evaluate(
              (t) =>
                (globalThis as unknown as { b: { create(o: unknown): Promise<void> } }).b.create({
                  trickle: t,
                }),
              trickle,
            );
            for (const [label, init] of CHANNELS) channels.set(label, pc.createDataChannel(label, init));
            await pc.setLocalDescription();
            await node.sendDescription();
          } else {
            const all = new Promise<void>((resolve) => {
              pc.ondatachannel = (e: RTCDataChannelEvent) => {
                channels.set(e.channel.label, e.channel);
                if (channels.size === CHANNELS.length) resolve();
              };
            });
            await page.evaluate(
              (o) => (globalThis as unknown as { b: { create(o: unknown): Promise<void> } }).b.create(o),
              { trickle, offerChannels: CHANNELS } as never,
            );
            await all;
          }
          for (const ch of channels.values()) if (ch.readyState !== 'open') await waitFor(ch, 'open');
          const big = new Uint8Array(65_536).map((_, i) => (i * 13) & 0xff);
          await echoCheck(channels.get('reliable')!, [
            'hello',
            '',
            'ünï ✓',
            new Uint8Array(0),
            Uint8Array.of(1, 2),
            big,
          ]);
          for (const [label] of CHANNELS.slice(1))
            await echoCheck(channels.get(label)!, ['x', Uint8Array.of(7)]);
          const unordered = channels.get('rexmit')!;
          assert.equal(unordered.ordered, false);
          assert.equal(unordered.maxRetransmits, 0);
          // Close one channel from each side.
          const closedByBrowser = waitFor(channels.get('unordered')!, 'close');
          await page.evaluate("window.b.closeChannel('unordered')");
          await closedByBrowser;
          const reliable = channels.get('reliable')!;
          const closedHere = waitFor(reliable, 'close');
          reliable.close();
          await closedHere;
          await echoCheck(channels.get('lifetime')!, ['still alive']);
          assert.equal(await page.evaluate('window.b.state()'), 'connected');
        } finally {
          await pc.close();
          await page.close();
        }
      });
    }
  }

  for (const tsrtcPolite of [true, false]) {
    it(`perfect negotiation with glare, tsrtc ${tsrtcPolite ? 'polite' : 'impolite'}`, async () => {
      const { page, pc } = await setup(true, tsrtcPolite);
      try {
        const incoming = tsrtcPolite ? waitFor<RTCDataChannelEvent>(pc, 'datachannel') : undefined;
        await page.evaluate(
          (p) =>
            (globalThis as unknown as { b: { create(o: unknown): Promise<void> } }).b.create({
              trickle: true,
              polite: p,
            }),
          !tsrtcPolite,
        );
        // Both sides create a channel in the same turn: both fire negotiationneeded and offer at once.
        const mine = pc.createDataChannel('from-node');
        await page.evaluate("window.b.createChannel('from-browser')");
        if (mine.readyState !== 'open') await waitFor(mine, 'open');
        if (tsrtcPolite) {
          // Our rollback keeps our channel and Chromium's offer (with its channel) wins.
          const theirs = (await incoming!).channel;
          if (theirs.readyState !== 'open') await waitFor(theirs, 'open');
          assert.equal(theirs.label, 'from-browser');
        }
        // When Chromium is the polite side, rolling back its offer can discard the channel it created for that
        // offer (Chromium's behaviour, not ours), so only the impolite side's channel is required to work.
        await echoCheck(mine, ['glare resolved']);
        assert.equal(pc.signalingState, 'stable');
        assert.equal(pc.connectionState, 'connected');
      } finally {
        await pc.close();
        await page.close();
      }
    });
  }
});
