import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { extensionIdsFromExtmap, readExtensions, writeExtensions } from '../../src/rtp/extension-map.js';
import {
  absSendTimeFromMs,
  parseAbsSendTime,
  parsePlayoutDelay,
  parseToffset,
  RTP_EXTENSION_URI,
  serializeAbsSendTime,
  serializePlayoutDelay,
  serializeToffset,
} from '../../src/rtp/header-extensions.js';
import { RtpPacket } from '../../src/rtp/packet.js';

const ids = extensionIdsFromExtmap([
  { id: 1, uri: RTP_EXTENSION_URI.mid },
  { id: 2, uri: RTP_EXTENSION_URI.rid },
  { id: 3, uri: RTP_EXTENSION_URI.repairedRid },
  { id: 4, uri: RTP_EXTENSION_URI.absSendTime },
  { id: 5, uri: RTP_EXTENSION_URI.transportWideCc },
  { id: 6, uri: RTP_EXTENSION_URI.audioLevel },
  { id: 7, uri: RTP_EXTENSION_URI.toffset },
  { id: 8, uri: RTP_EXTENSION_URI.playoutDelay },
  { id: 9, uri: 'urn:example:unknown' },
]);

describe('typed header extensions', () => {
  it('maps extmap URIs to ids', () => {
    assert.deepEqual(ids, {
      mid: 1,
      rid: 2,
      repairedRid: 3,
      absSendTime: 4,
      transportWideCc: 5,
      audioLevel: 6,
      toffset: 7,
      playoutDelay: 8,
    });
  });

  const values = {
    mid: '0',
    rid: 'hi',
    repairedRid: 'lo',
    absSendTime: 0x123456,
    transportSequenceNumber: 0xfffe,
    audioLevel: { voiceActivity: true, level: 42 },
    toffset: -5,
    playoutDelay: { minMs: 100, maxMs: 40950 },
  };

  for (const form of ['one-byte', 'two-byte'] as const) {
    it(`round-trips every typed extension in the ${form} form`, () => {
      const extensions = writeExtensions(values, ids);
      assert.equal(extensions.length, 8);
      const p = new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, extensions });
      if (form === 'two-byte') p.extensionProfile = 0x1000;
      const wire = p.serialize();
      assert.equal((wire[12]! << 8) | wire[13]!, form === 'one-byte' ? 0xbede : 0x1000);
      const back = RtpPacket.parse(wire);
      assert.deepEqual(readExtensions(back.extensions, ids), values);
    });
  }

  it('encodes the wire formats exactly', () => {
    assert.equal(toHex(serializeAbsSendTime(0xabcdef)), 'abcdef');
    assert.equal(parseAbsSendTime(Uint8Array.of(0xab, 0xcd, 0xef)), 0xabcdef);
    assert.equal(absSendTimeFromMs(1000), 1 << 18);
    assert.equal(toHex(serializeToffset(-1)), 'ffffff');
    assert.equal(parseToffset(Uint8Array.of(0x80, 0, 0)), -0x800000);
    assert.equal(toHex(serializePlayoutDelay({ minMs: 10, maxMs: 20 })), '001002');
    assert.deepEqual(parsePlayoutDelay(Uint8Array.of(0x00, 0x10, 0x02)), { minMs: 10, maxMs: 20 });
  });

  it('skips malformed or unknown elements', () => {
    const v = readExtensions(
      [
        { id: 4, data: Uint8Array.of(1) },
        { id: 9, data: Uint8Array.of(1, 2, 3) },
        { id: 1, data: Uint8Array.of(0x61, 0x00) },
      ],
      ids,
    );
    assert.deepEqual(v, { mid: 'a' });
  });
});
