/**
 * Real SDP from headless Chromium (Debian's, driven by playwright-core): offers and answers with data, with
 * audio + video + data, and simulcast, before and after gathering. Loopback only (`--allow-loopback-in-peer-
 * connection`, mDNS off), run inside netns.sh. Writes `chromium-live-*.sdp` via generate-fixtures.ts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** Runs in the page: offer/answer between two RTCPeerConnections, each SDP before and after gathering. */
const PAGE_SCRIPT = `async (scenario) => {
  const out = {};
  const gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  if (scenario === 'simulcast') {
    a.addTransceiver('video', { direction: 'sendonly', sendEncodings: [
      { rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' } ] });
  } else {
    if (scenario === 'av-data') {
      a.addTransceiver('audio', { direction: 'sendrecv' });
      a.addTransceiver('video', { direction: 'sendrecv' });
    }
    a.createDataChannel('chat');
  }
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  out.offer = offer.sdp;
  await gathered(a);
  out['offer-gathered'] = a.localDescription.sdp;
  await b.setRemoteDescription(a.localDescription);
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  out.answer = answer.sdp;
  await gathered(b);
  out['answer-gathered'] = b.localDescription.sdp;
  a.close();
  b.close();
  return out;
}`;

/** name (without `.sdp`) → SDP text, or undefined when Chromium is not installed. */
export async function chromiumSamples(): Promise<Map<string, string> | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'tsrtc-sdp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await context.newPage();
    const out = new Map<string, string>();
    for (const scenario of ['data', 'av-data', 'simulcast']) {
      const result = (await page.evaluate(`(${PAGE_SCRIPT})(${JSON.stringify(scenario)})`)) as Record<
        string,
        string
      >;
      for (const [k, v] of Object.entries(result)) out.set(`chromium-live-${scenario}-${k}`, v);
    }
    return out;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Chromium's side of the JSEP exchange: its offer answered by us, and its answer to our offer. */
export async function chromiumExchange(
  ourAnswer: (offer: string) => string,
  ourOffer: string,
): Promise<{ theirOffer: string; currentDirections: (string | null)[]; theirAnswer: string }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'tsrtc-sdp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await context.newPage();
    const theirOffer = (await page.evaluate(`(async () => {
      const pc = new RTCPeerConnection();
      globalThis.offerer = pc;
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      pc.addTransceiver('video', { direction: 'sendrecv' });
      pc.createDataChannel('chat');
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      return offer.sdp;
    })()`)) as string;
    const answer = ourAnswer(theirOffer);
    const currentDirections = (await page.evaluate(`(async (sdp) => {
      const pc = globalThis.offerer;
      await pc.setRemoteDescription({ type: 'answer', sdp });
      const dirs = pc.getTransceivers().map((t) => t.currentDirection);
      pc.close();
      return dirs;
    })(${JSON.stringify(answer)})`)) as (string | null)[];
    const theirAnswer = (await page.evaluate(`(async (sdp) => {
      const pc = new RTCPeerConnection();
      await pc.setRemoteDescription({ type: 'offer', sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      pc.close();
      return answer.sdp;
    })(${JSON.stringify(ourOffer)})`)) as string;
    return { theirOffer, currentDirections, theirAnswer };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
