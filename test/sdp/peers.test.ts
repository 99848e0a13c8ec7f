/**
 * The SDP layer against the real npm peers (run inside netns.sh: they gather loopback only). Each peer works
 * in its own process (peer-worker.ts); here we check that its live SDP parses, round-trips, validates and
 * keeps the committed fixtures' shape, that it accepted our answer, and that its answer to our offer validates.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseSdp, type SessionDescription, validateDescription, writeSdp } from '../../src/sdp/index.js';
import { CHROMIUM } from './chromium-sdp.js';
import { fixture, fixtureNames } from './fixtures.js';
import { ok } from './ok.js';
import type { PeerName } from './peer-sdp.js';
import type { PeerWorkerResult } from './peer-worker.js';

const run = promisify(execFile);
const MODULES: Record<PeerName, string> = {
  'node-datachannel': 'node-datachannel',
  wrtc: '@roamhq/wrtc',
  werift: 'werift',
};

/** Undefined when the peer is there; under CI a missing peer fails, else the test skips. */
async function skipReason(peer: PeerName | 'chromium'): Promise<string | undefined> {
  if (peer === 'chromium') {
    if (existsSync(CHROMIUM)) return undefined;
    if (process.env.CI) throw new Error(`${CHROMIUM} is required in CI (apt-get install chromium)`);
    return `${CHROMIUM} is not installed`;
  }
  try {
    await import(MODULES[peer]);
    return undefined;
  } catch (e) {
    if (process.env.CI) throw new Error(`${MODULES[peer]} is required in CI: ${String(e)}`);
    return `${MODULES[peer]} is not installed (${String(e)})`;
  }
}

async function runWorker(peer: PeerName | 'chromium'): Promise<PeerWorkerResult> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'peer-worker.ts'), peer],
    {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as PeerWorkerResult;
}

function shape(d: SessionDescription): string[] {
  return d.media.map((m) => `${m.kind} ${m.protocol} ${m.codecs.map((c) => c.name.toLowerCase()).join(',')}`);
}

for (const peer of ['node-datachannel', 'wrtc', 'werift', 'chromium'] as const) {
  describe(`SDP with ${peer}`, { timeout: 180_000 }, async () => {
    const skip = await skipReason(peer);
    const result = skip ? undefined : await runWorker(peer);

    it('live SDP parses, round-trips, validates, and keeps the committed fixtures’ shape', { skip }, () => {
      const samples = Object.entries(result!.samples);
      ok(samples.length >= 8, `only ${samples.length} samples`);
      if (peer === 'chromium')
        ok(
          samples.every(([name]) => name.startsWith('chromium-live-')),
          'sample names',
        );
      for (const [name, text] of samples) {
        const model = parseSdp(text);
        assert.deepEqual(parseSdp(writeSdp(model)), model, name);
        // libwebrtc's output is our writer's canonical form: it must come back byte for byte.
        if (peer === 'chromium' || peer === 'wrtc') assert.equal(writeSdp(model), text, name);
        assert.deepEqual(validateDescription(model, name.includes('answer') ? 'answer' : 'offer'), [], name);
        ok(fixtureNames().includes(name), `no committed fixture for ${name}`);
        assert.deepEqual(shape(model), shape(parseSdp(fixture(name))), `${name} changed shape`);
      }
    });

    it('accepted our answer to its offer', { skip }, () => {
      const offer = parseSdp(result!.exchange.theirOffer);
      ok(offer.media.length > 0, 'the peer offered nothing');
      // We answer recvonly (no local track): a W3C offerer's transceivers now only send.
      if (peer !== 'node-datachannel')
        assert.deepEqual(result!.exchange.currentDirections, ['sendonly', 'sendonly']);
    });

    it('answered our audio + video + data offer; the answer validates against it', { skip }, () => {
      const offer = parseSdp(result!.ourOffer);
      const answer = parseSdp(result!.exchange.theirAnswer);
      assert.deepEqual(validateDescription(answer, 'answer', offer), []);
      assert.deepEqual(
        answer.media.map((m) => m.mid),
        ['0', '1', '2'],
      );
      for (const m of answer.media.slice(0, 2)) {
        ok(m.codecs.length > 0, `${peer} rejected our ${m.kind}`);
        const offered = new Set(offer.media.find((o) => o.mid === m.mid)!.codecs.map((c) => c.payloadType));
        for (const c of m.codecs)
          ok(offered.has(c.payloadType), `${peer} answered PT ${c.payloadType}, not offered`);
        if (peer === 'chromium' && m.kind === 'audio')
          ok(
            m.codecs.some((c) => c.name === 'red'),
            'Chromium accepts our audio RED',
          );
      }
      assert.equal(answer.media[2]!.kind, 'application');
      ok(answer.media[2]!.port !== 0, `${peer} rejected the data section`);
    });
  });
}
