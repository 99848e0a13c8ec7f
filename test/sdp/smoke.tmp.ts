import { deepStrictEqual } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { parseSdp, writeSdp } from '../../src/sdp/index.js';

const dir = '/work/main/test/sdp/fixtures';
for (const f of readdirSync(dir)) {
  const text = readFileSync(`${dir}/${f}`, 'utf8');
  try {
    const d = parseSdp(text);
    const out = writeSdp(d);
    deepStrictEqual(parseSdp(out), d);
    console.log(f, out === text ? 'BYTE-EQUAL' : 'semantic', d.media.length);
    if (process.argv[2] === f) console.log(out);
  } catch (e) {
    console.log(f, 'FAIL', e);
  }
}
