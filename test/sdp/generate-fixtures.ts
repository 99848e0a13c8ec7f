/**
 * Writes the npm peers' and Chromium's real SDP into test/sdp/fixtures/ (`<peer>-<scenario>-<offer|answer>[-gathered].sdp`).
 * Run inside the loopback-only namespace:
 *   ../shared/scripts/netns.sh npx tsx test/sdp/generate-fixtures.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumSamples } from './chromium-sdp.js';
import { type PeerName, peerSamples } from './peer-sdp.js';

const dir = join(import.meta.dirname, 'fixtures');
const peers: PeerName[] = ['node-datachannel', 'wrtc', 'werift'];
for (const peer of peers) {
  const samples = await peerSamples(peer);
  for (const [name, sdp] of samples) {
    writeFileSync(join(dir, `${name}.sdp`), sdp);
    console.log(`wrote ${name}.sdp (${sdp.length} bytes)`);
  }
}
const browser = await chromiumSamples();
for (const [name, sdp] of browser ?? []) {
  writeFileSync(join(dir, `${name}.sdp`), sdp);
  console.log(`wrote ${name}.sdp (${sdp.length} bytes)`);
}
if (!browser) console.log('no Chromium: chromium-live-* fixtures not written');
const ndc = (await import('node-datachannel')).default;
ndc.cleanup();
process.exit(0);
