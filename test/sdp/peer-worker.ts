/**
 * One npm peer's live SDP work, in its own process: the live samples and the exchange with our JSEP output,
 * printed as one JSON line. Its own process because @roamhq/wrtc crashes (SIGSEGV) when a process that used
 * media transceivers exits normally, and werift leaves sockets open after close(); `process.exit` avoids both.
 *   npx tsx test/sdp/peer-worker.ts <node-datachannel|wrtc|werift|chromium>
 */
import { createAnswer, createOffer, parseSdp, writeSdp } from '../../src/sdp/index.js';
import { CHROMIUM, chromiumExchange, chromiumSamples } from './chromium-sdp.js';
import { ANSWER_OPTIONS, OFFER_OPTIONS } from './local-capabilities.js';
import { type PeerName, peerExchange, peerSamples } from './peer-sdp.js';

export interface PeerWorkerResult {
  samples: Record<string, string>;
  ourOffer: string;
  exchange: Awaited<ReturnType<typeof peerExchange>>;
}

const peer = process.argv[2] as PeerName | 'chromium';
try {
  const ourOffer = writeSdp(createOffer(OFFER_OPTIONS));
  const ourAnswer = (offer: string): string => writeSdp(createAnswer(parseSdp(offer), ANSWER_OPTIONS));
  let samples: Record<string, string>;
  let exchange: PeerWorkerResult['exchange'];
  if (peer === 'chromium') {
    const live = await chromiumSamples();
    if (!live) throw new Error(`${CHROMIUM} is not installed`);
    samples = Object.fromEntries(live);
    exchange = await chromiumExchange(ourAnswer, ourOffer);
  } else {
    samples = Object.fromEntries(await peerSamples(peer));
    exchange = await peerExchange(peer, ourAnswer, ourOffer);
  }
  const result: PeerWorkerResult = { samples, ourOffer, exchange };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (peer === 'node-datachannel') (await import('node-datachannel')).default.cleanup();
  process.exit(0);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
