import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSdp, writeSdp } from '../../src/sdp/index.js';
import { fixture, fixtureNames, isCanonical } from './fixtures.js';
import { ok } from './ok.js';

describe('SDP round trip over every fixture', () => {
  const names = fixtureNames();

  it('has fixtures from every stack the issue names', () => {
    for (const stack of ['chromium', 'firefox', 'safari', 'node-datachannel', 'wrtc', 'werift']) {
      ok(
        names.some((n) => n.startsWith(`${stack}-`)),
        `no fixture from ${stack}`,
      );
    }
    ok(names.some((n) => n.includes('simulcast')));
    ok(names.some((n) => n.endsWith('-gathered')));
    ok(names.some((n) => n.includes('answer')));
  });

  for (const name of names) {
    it(`${name}: parse → write → parse gives the same model`, () => {
      const text = fixture(name);
      const model = parseSdp(text);
      ok(model.media.length > 0);
      const written = writeSdp(model);
      ok(written.endsWith('\r\n'));
      ok(!/[^\r]\n/.test(written), 'every line ends in CRLF');
      assert.deepEqual(parseSdp(written), model);
      // The writer is a fixed point: writing the re-parsed model gives the same text.
      assert.equal(writeSdp(parseSdp(written)), written);
      if (isCanonical(name)) assert.equal(written, text, 'a canonical fixture comes back byte for byte');
    });
  }

  it('accepts LF-only line endings and gives the same model as CRLF', () => {
    const text = fixture('chromium-av-data-offer');
    ok(text.includes('\r\n'));
    assert.deepEqual(parseSdp(text.replaceAll('\r\n', '\n')), parseSdp(text));
  });

  it('keeps unknown attributes at session and media level, in order', () => {
    const model = parseSdp(fixture('ice-lite-answer'));
    assert.deepEqual(model.media[0]!.attributes, [{ name: 'x-google-flag', value: 'conference' }]);
    assert.deepEqual(model.media[1]!.attributes, [{ name: 'custom-unknown' }]);
    const firefox = parseSdp(fixture('firefox-av-data-offer'));
    assert.deepEqual(firefox.attributes, [{ name: 'sendrecv' }]);
    ok(writeSdp(firefox).includes('\r\na=sendrecv\r\n'));
  });
});
