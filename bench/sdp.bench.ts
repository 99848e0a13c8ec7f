/**
 * SDP parse and write: operations per second for a Chromium 156 audio + video + data offer (the largest SDP a
 * peer connection handles routinely), and for an answer built by the JSEP helpers, each against werift's SDP
 * parser/writer (the existing TypeScript stack) measured in the same run.
 * Usage: npm run bench -- sdp   (SDP_BENCH_OPS=n to change the operation count)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionDescription as WeriftSessionDescription } from 'werift';
import { createAnswer, parseSdp, writeSdp } from '../src/sdp/index.js';
import { ANSWER_OPTIONS } from '../test/sdp/local-capabilities.js';

const OPS = Number(process.env.SDP_BENCH_OPS ?? 5_000);
const ROUNDS = 3;

function opsPerSecond(fn: () => void): number {
  for (let i = 0; i < Math.min(OPS, 1000); i++) fn(); // warm-up
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) fn();
    best = Math.max(best, OPS / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return best;
}

function report(
  name: string,
  ours: number,
  reference: number,
  sdpBytes: number,
  referenceName = 'werift',
): void {
  console.log(
    JSON.stringify({
      bench: 'sdp',
      name,
      sdpBytes,
      tsrtcOpsPerSec: Math.round(ours),
      reference: referenceName,
      referenceOpsPerSec: Math.round(reference),
      ratio: Number((ours / reference).toFixed(2)),
    }),
  );
}

const fixtures = join(import.meta.dirname, '..', 'test', 'sdp', 'fixtures');
const offerText = readFileSync(join(fixtures, 'chromium-live-av-data-offer.sdp'), 'utf8');
const offer = parseSdp(offerText);
const weriftOffer = WeriftSessionDescription.parse(offerText);

report(
  'parse chromium offer',
  opsPerSecond(() => parseSdp(offerText)),
  opsPerSecond(() => WeriftSessionDescription.parse(offerText)),
  offerText.length,
);
report(
  'write chromium offer',
  opsPerSecond(() => writeSdp(offer)),
  opsPerSecond(() => weriftOffer.string),
  offerText.length,
);
const answerText = writeSdp(createAnswer(offer, ANSWER_OPTIONS));
report(
  'parse + write answer',
  opsPerSecond(() => writeSdp(parseSdp(answerText))),
  opsPerSecond(() => WeriftSessionDescription.parse(answerText).string),
  answerText.length,
);
// JSEP: a full answer model from the parsed offer (no werift equivalent outside its peer connection, so the
// reference is our own parse of the same offer).
report(
  'createAnswer',
  opsPerSecond(() => createAnswer(offer, ANSWER_OPTIONS)),
  opsPerSecond(() => parseSdp(offerText)),
  offerText.length,
  'tsrtc parseSdp of the same offer',
);
