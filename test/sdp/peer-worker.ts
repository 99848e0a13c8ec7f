/**
 * One npm peer's live SDP work, in its own process: the live samples and the exchange with our JSEP output,
 * printed as one JSON line. Its own process because @roamhq/wrtc crashes (SIGSEGV) when a process that used
 * media transceivers exits normally, and werift leaves sockets open after close(); `process.exit` avoids both.
 *   npx tsx test/sdp/peer-worker.ts <node-datachannel|wrtc|werift>
 */
import { createAnswer, createOffer, parseSdp, writeSdp } from '../../src/sdp/index.js';
import { ANSWER_OPTIONS, OFFER_OPTIONS } from './local-capabilities.js';
import { type PeerName, peerExchange, peerSamples } from './peer-sdp.js';

export interface PeerWorkerResult {
  samples: Record<string, string>;
  ourOffer: string;
  exchange: Awaited<ReturnType<typeof peerExchange>>;
}

const peer = process.argv[2] as PeerName;
try {
  const samples = Object.fromEntries(await peerSamples(peer));
  const ourOffer = writeSdp(createOffer(OFFER_OPTIONS));
  const exchange = await peerExchange(
    peer,
    (offer) => writeSdp(createAnswer(parseSdp(offer), ANSWER_OPTIONS)),
    ourOffer,
  );
  const result: PeerWorkerResult = { samples, ourOffer, exchange };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (peer === 'node-datachannel') (await import('node-datachannel')).default.cleanup();
  process.exit(0);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
