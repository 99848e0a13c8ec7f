import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSdp, SdpSyntaxError, writeSdp } from '../../src/sdp/index.js';
import { fixture } from './fixtures.js';
import { ok } from './ok.js';

function syntaxErrorAt(text: string, line: number, pattern: RegExp): void {
  assert.throws(
    () => parseSdp(text),
    (e: unknown) => {
      ok(e instanceof SdpSyntaxError, `expected SdpSyntaxError, got ${String(e)}`);
      ok(e instanceof DOMException);
      assert.equal(e.name, 'SyntaxError');
      assert.equal(e.errorDetail, 'sdp-syntax-error');
      assert.equal(e.sdpLineNumber, line);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

const MINIMAL = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

describe('SDP parser: the model of a Chromium offer', () => {
  const d = parseSdp(fixture('chromium-av-data-offer'));

  it('reads the session level', () => {
    assert.deepEqual(d.origin, {
      username: '-',
      sessionId: '4611731400430051336',
      sessionVersion: '2',
      netType: 'IN',
      addrType: 'IP4',
      address: '127.0.0.1',
    });
    assert.deepEqual(d.groups, [{ semantics: 'BUNDLE', mids: ['0', '1', '2'] }]);
    assert.equal(d.extmapAllowMixed, true);
    assert.deepEqual(d.msidSemantics, [{ semantic: 'WMS', identifiers: [] }]);
    assert.deepEqual(d.timing, [{ start: 0, stop: 0, repeats: [] }]);
    assert.deepEqual(
      d.media.map((m) => [m.kind, m.mid, m.protocol]),
      [
        ['audio', '0', 'UDP/TLS/RTP/SAVPF'],
        ['video', '1', 'UDP/TLS/RTP/SAVPF'],
        ['application', '2', 'UDP/DTLS/SCTP'],
      ],
    );
  });

  it('reads transport attributes per section', () => {
    const audio = d.media[0]!;
    assert.equal(audio.iceUfrag, 'Xk3v');
    assert.equal(audio.icePwd, 'Vq2rW6pT0sJk4yL1mN8bC5dE');
    assert.deepEqual(audio.iceOptions, ['trickle']);
    assert.equal(audio.setup, 'actpass');
    assert.equal(audio.fingerprints.length, 1);
    assert.equal(audio.fingerprints[0]!.algorithm, 'sha-256');
    assert.match(audio.fingerprints[0]!.value, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.deepEqual(audio.rtcp, { port: 9, netType: 'IN', addrType: 'IP4', address: '0.0.0.0' });
    assert.equal(audio.rtcpMux, true);
    assert.equal(audio.rtcpReducedSize, true);
    assert.equal(audio.direction, 'sendrecv');
    assert.equal(audio.candidates.length, 0);
  });

  it('reads codecs with fmtp maps, rtcp-fb and RTX pairs in m-line order', () => {
    const audio = d.media[0]!;
    assert.deepEqual(
      audio.codecs.map((c) => c.payloadType),
      [111, 63, 9, 0, 8, 13, 110, 126],
    );
    assert.deepEqual(audio.codecs[0], {
      payloadType: 111,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      parameters: { minptime: '10', useinbandfec: '1' },
      feedback: [{ type: 'transport-cc' }],
    });
    assert.deepEqual(audio.codecs[1]!.parameters, { '111/111': '' });
    const video = d.media[1]!;
    assert.equal(video.codecs.length, video.formats.length);
    const vp8 = video.codecs.find((c) => c.name === 'VP8')!;
    assert.deepEqual(vp8.feedback, [
      { type: 'goog-remb' },
      { type: 'transport-cc' },
      { type: 'ccm', parameter: 'fir' },
      { type: 'nack' },
      { type: 'nack', parameter: 'pli' },
    ]);
    const h264 = video.codecs.find((c) => c.payloadType === 109)!;
    assert.deepEqual(h264.parameters, {
      'level-asymmetry-allowed': '1',
      'packetization-mode': '1',
      'profile-level-id': '42e01f',
    });
    assert.deepEqual(video.codecs.find((c) => c.payloadType === 114)!.parameters, { apt: '109' });
    assert.deepEqual(video.ssrcGroups, [{ semantics: 'FID', ssrcs: [1418027643, 3094375218] }]);
    assert.deepEqual(video.ssrcs[0], { ssrc: 1418027643, attribute: 'cname', value: 'Qm4bZ1xT9kLw2sVe' });
    assert.equal(video.msids[0]!.streamId, '4c0e2f1a-6b3d-4e8a-9f21-7d5c3b9a1e60');
    assert.deepEqual(video.headerExtensions[0], { id: 14, uri: 'urn:ietf:params:rtp-hdrext:toffset' });
  });

  it('reads the data channel section', () => {
    const data = d.media[2]!;
    assert.deepEqual(data.formats, ['webrtc-datachannel']);
    assert.equal(data.sctpPort, 5000);
    assert.equal(data.maxMessageSize, 262144);
    assert.equal(data.codecs.length, 0);
  });
});

describe('SDP parser: other stacks and forms', () => {
  it('gathered candidates keep their extensions, mDNS names included', () => {
    const d = parseSdp(fixture('chromium-av-data-offer-gathered'));
    const [mdns, host, srflx] = d.media[0]!.candidates;
    assert.equal(mdns!.address, '6f2c1d8e-3b4a-4c5d-9e7f-0a1b2c3d4e5f.local');
    assert.deepEqual(mdns!.extensions, [
      ['generation', '0'],
      ['network-cost', '999'],
    ]);
    assert.equal(host!.address, '127.0.0.1');
    assert.equal(srflx!.type, 'srflx');
    assert.equal(srflx!.relatedAddress, '0.0.0.0');
    assert.equal(srflx!.relatedPort, 0);
    assert.equal(d.media[0]!.port, 50002);
  });

  it('Firefox: session-level fingerprint and ice-options, extmap direction, end-of-candidates', () => {
    const d = parseSdp(fixture('firefox-av-data-offer'));
    assert.equal(d.fingerprints.length, 1);
    assert.deepEqual(d.iceOptions, ['trickle']);
    assert.deepEqual(d.msidSemantics, [{ semantic: 'WMS', identifiers: ['*'] }]);
    assert.deepEqual(d.media[0]!.headerExtensions[1], {
      id: 2,
      direction: 'recvonly',
      uri: 'urn:ietf:params:rtp-hdrext:csrc-audio-level',
    });
    assert.deepEqual(d.media[0]!.codecs.find((c) => c.payloadType === 101)!.parameters, { '0-15': '' });
    const answer = parseSdp(fixture('firefox-data-answer-gathered'));
    assert.equal(answer.media[0]!.endOfCandidates, true);
    assert.equal(answer.media[0]!.candidates[1]!.tcpType, 'active');
    assert.equal(answer.media[0]!.setup, 'active');
  });

  it('legacy DTLS/SCTP with sctpmap', () => {
    const m = parseSdp(fixture('legacy-dtls-sctp-offer')).media[0]!;
    assert.equal(m.protocol, 'DTLS/SCTP');
    assert.deepEqual(m.formats, ['5000']);
    assert.deepEqual(m.sctpmap, { port: 5000, protocol: 'webrtc-datachannel', streams: 1024 });
  });

  it('ice-lite, session-level credentials, bandwidth, rtcp-fb *, bundle-only', () => {
    const d = parseSdp(fixture('ice-lite-answer'));
    assert.equal(d.iceLite, true);
    assert.equal(d.iceUfrag, 'srv0ufrag');
    assert.equal(d.fingerprints[1]!.algorithm, 'sha-512');
    const [audio, video] = d.media;
    assert.deepEqual(audio!.bandwidths, [
      { type: 'AS', value: 64 },
      { type: 'TIAS', value: 64000 },
    ]);
    assert.deepEqual(audio!.wildcardFeedback, [{ type: 'nack' }]);
    assert.equal(audio!.rtcpMuxOnly, true);
    assert.equal(video!.bundleOnly, true);
    assert.equal(video!.port, 0);
  });

  it('simulcast and rid lines', () => {
    const m = parseSdp(fixture('chromium-simulcast-offer')).media[0]!;
    assert.deepEqual(
      m.rids.map((r) => [r.id, r.direction]),
      [
        ['q', 'send'],
        ['h', 'send'],
        ['f', 'send'],
      ],
    );
    assert.deepEqual(m.simulcast, {
      send: [[{ rid: 'q', paused: false }], [{ rid: 'h', paused: false }], [{ rid: 'f', paused: false }]],
    });
    const text = `${MINIMAL}m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 VP8/90000\r\na=rid:1 recv pt=96,97;max-width=1280;max-height=720\r\na=rid:2 recv\r\na=simulcast:recv 1,~2 send 3\r\n`;
    const v = parseSdp(text).media[0]!;
    assert.deepEqual(v.rids[0], {
      id: '1',
      direction: 'recv',
      payloadTypes: [96, 97],
      restrictions: { 'max-width': '1280', 'max-height': '720' },
    });
    assert.deepEqual(v.simulcast, {
      recv: [
        [
          { rid: '1', paused: false },
          { rid: '2', paused: true },
        ],
      ],
      send: [[{ rid: '3', paused: false }]],
      recvFirst: true,
    });
    assert.equal(writeSdp(parseSdp(text)), text);
  });

  it('static payload types get RFC 3551 names without rtpmap; a dynamic one without rtpmap keeps its lines', () => {
    const text = `${MINIMAL}m=audio 9 RTP/AVP 0 8 96\r\na=fmtp:8 x=1\r\na=fmtp:96 y=2\r\n`;
    const m = parseSdp(text).media[0]!;
    assert.deepEqual(
      m.codecs.map((c) => [c.payloadType, c.name, c.clockRate]),
      [
        [0, 'PCMU', 8000],
        [8, 'PCMA', 8000],
      ],
    );
    assert.deepEqual(m.codecs[1]!.parameters, { x: '1' });
    assert.deepEqual(m.attributes, [{ name: 'fmtp', value: '96 y=2' }]);
  });
});

describe('SDP parser: errors', () => {
  it('rejects what makes a description unusable, naming the line', () => {
    syntaxErrorAt('', 0, /empty/);
    syntaxErrorAt('o=- 1 2 IN IP4 192.0.2.234\r\n', 1, /start with v=/);
    syntaxErrorAt('v=1\r\n', 1, /version/);
    syntaxErrorAt('v=0\r\no=- x 2 IN IP4 127.0.0.1\r\n', 2, /o= needs/);
    syntaxErrorAt('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n', 0, /missing t=/);
    syntaxErrorAt('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nt=0 0\r\n', 0, /missing s=/);
    syntaxErrorAt(`${MINIMAL}garbage\r\n`, 5, /letter/);
    syntaxErrorAt(`${MINIMAL}y=what\r\n`, 5, /unknown line type/);
    syntaxErrorAt(`${MINIMAL}m=audio\r\n`, 5, /m= needs/);
    syntaxErrorAt(`${MINIMAL}m=audio 70000 RTP/AVP 0\r\n`, 5, /m= needs/);
    syntaxErrorAt(`${MINIMAL}m=audio 9 RTP/AVP opus\r\n`, 5, /payload type/);
    syntaxErrorAt(`${MINIMAL}m=audio 9 RTP/AVP 96\r\na=rtpmap:96 opus\r\n`, 6, /rtpmap/);
    syntaxErrorAt(`${MINIMAL}m=audio 9 RTP/AVP 96\r\na=rtpmap:96 a/1\r\na=rtpmap:96 b/2\r\n`, 7, /second/);
    syntaxErrorAt(`${MINIMAL}a=setup:sometimes\r\n`, 5, /setup/);
    syntaxErrorAt(`${MINIMAL}m=audio 9 RTP/AVP 0\r\na=setup:client\r\n`, 6, /setup/);
    syntaxErrorAt(`${MINIMAL}a=fingerprint:sha-256 XYZ\r\n`, 5, /fingerprint/);
    syntaxErrorAt(`${MINIMAL}m=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp\r\n`, 6, /candidate/);
    syntaxErrorAt(`${MINIMAL}m=audio 9 RTP/AVP 0\r\na=extmap:0 urn:x\r\n`, 6, /extmap/);
    syntaxErrorAt(`${MINIMAL}m=audio 9 RTP/AVP 0\r\na=mid\r\n`, 6, /needs a value/);
    syntaxErrorAt(`${MINIMAL}m=audio 9 RTP/AVP 0\r\ns=again\r\n`, 6, /not allowed in a media section/);
    syntaxErrorAt(`${MINIMAL}o=- 1 2 IN IP4 127.0.0.1\r\n`, 5, /duplicate/);
  });

  it('keeps error messages short for huge garbage', () => {
    assert.throws(
      () => parseSdp(`${MINIMAL}m=${'x'.repeat(100_000)}\r\n`),
      (e: unknown) => e instanceof SdpSyntaxError && e.message.length < 300,
    );
  });

  it('never lets a hostile fmtp key reach the prototype', () => {
    const m = parseSdp(`${MINIMAL}m=audio 9 RTP/AVP 96\r\na=rtpmap:96 x/1\r\na=fmtp:96 __proto__=1;a=2\r\n`)
      .media[0]!;
    assert.deepEqual(m.codecs[0]!.parameters, { a: '2' });
    assert.equal(Object.getPrototypeOf(m.codecs[0]!.parameters), Object.prototype);
  });
});
