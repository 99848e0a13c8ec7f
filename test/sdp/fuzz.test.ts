/**
 * Mutated fixtures, from a seeded PRNG: the parser either returns a model (which then round-trips and goes
 * through the JSEP helpers without throwing) or throws SdpSyntaxError — never anything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createAnswer,
  parseSdp,
  SdpSyntaxError,
  validateDescription,
  writeSdp,
} from '../../src/sdp/index.js';
import { Prng } from '../sim/network.js';
import { fixture, fixtureNames } from './fixtures.js';
import { LOCAL_CODECS } from './local-capabilities.js';
import { ok } from './ok.js';

const ITERATIONS = 2500;
const NASTY = [
  ':',
  ' ',
  '/',
  '=',
  ';',
  ',',
  '~',
  '*',
  '\r',
  '\n',
  '\t',
  '0',
  '9',
  '-',
  '\u0000',
  'é',
  '__proto__',
];

function mutate(text: string, rng: Prng): string {
  let lines = text.split('\r\n');
  const count = 1 + rng.int(4);
  for (let n = 0; n < count; n++) {
    const i = rng.int(lines.length);
    const line = lines[i] ?? '';
    switch (rng.int(8)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, line);
        break;
      case 2: {
        const j = rng.int(lines.length);
        lines[i] = lines[j] ?? '';
        lines[j] = line;
        break;
      }
      case 3:
        lines[i] = line.slice(0, rng.int(line.length + 1));
        break;
      case 4: {
        const at = rng.int(line.length + 1);
        lines[i] = line.slice(0, at) + NASTY[rng.int(NASTY.length)] + line.slice(at + 1);
        break;
      }
      case 5:
        lines[i] = line.replace(/\d+/, () =>
          String(rng.int(2) ? 4294967296 * (1 + rng.int(9)) : rng.int(200)),
        );
        break;
      case 6: {
        let garbage = '';
        const len = rng.int(40);
        for (let k = 0; k < len; k++) garbage += String.fromCharCode(rng.int(128));
        lines.splice(i, 0, rng.int(2) ? `a=${garbage}` : garbage);
        break;
      }
      default:
        lines = lines.slice(0, i);
    }
  }
  return lines.join(rng.int(3) === 0 ? '\n' : '\r\n');
}

describe('SDP parser fuzz', () => {
  it(`${ITERATIONS} mutated fixtures: a model that round-trips, or SdpSyntaxError`, () => {
    const rng = new Prng(0x5d9);
    const texts = fixtureNames().map(fixture);
    let parsed = 0;
    let rejected = 0;
    for (let n = 0; n < ITERATIONS; n++) {
      const input = mutate(texts[rng.int(texts.length)]!, rng);
      let model: ReturnType<typeof parseSdp>;
      try {
        model = parseSdp(input);
      } catch (e) {
        if (!(e instanceof SdpSyntaxError)) {
          assert.fail(`iteration ${n}: threw ${String(e)} for:\n${input}`);
        }
        ok(e.sdpLineNumber >= 0);
        rejected++;
        continue;
      }
      parsed++;
      const written = writeSdp(model);
      assert.deepEqual(parseSdp(written), model, `iteration ${n} does not round-trip:\n${input}`);
      validateDescription(model, 'offer');
      createAnswer(model, {
        sessionId: '1',
        iceUfrag: 'abcd',
        icePwd: 'abcdefghijklmnopqrstuv',
        fingerprints: [],
        codecs: LOCAL_CODECS,
      });
    }
    // The mutations must exercise both outcomes, or the test proves nothing.
    ok(parsed > ITERATIONS / 10, `only ${parsed} mutated inputs parsed`);
    ok(rejected > ITERATIONS / 10, `only ${rejected} mutated inputs rejected`);
  });

  it('random bytes never throw anything but SdpSyntaxError', () => {
    const rng = new Prng(77);
    for (let n = 0; n < 2000; n++) {
      let s = rng.int(2) ? 'v=0\r\n' : '';
      const len = rng.int(300);
      for (let k = 0; k < len; k++) s += String.fromCharCode(rng.int(256));
      try {
        parseSdp(s);
      } catch (e) {
        ok(e instanceof SdpSyntaxError, `threw ${String(e)}`);
      }
    }
  });
});
