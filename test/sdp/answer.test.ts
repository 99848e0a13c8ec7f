import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createAnswer,
  type MediaSection,
  parseSdp,
  validateDescription,
  writeSdp,
} from '../../src/sdp/index.js';
import { fixture } from './fixtures.js';
import { ANSWER_OPTIONS, LOCAL_CODECS } from './local-capabilities.js';

function pts(section: MediaSection): number[] {
  return section.codecs.map((c) => c.payloadType);
}

describe('JSEP answer to Chromium 156 offer (audio + video + data)', () => {
  const offer = parseSdp(fixture('chromium-av-data-offer'));
  const answer = createAnswer(offer, ANSWER_OPTIONS);
  const [audio, video, data] = answer.media;

  it('keeps the m-lines, mids and the BUNDLE group', () => {
    assert.deepEqual(
      answer.media.map((m) => [m.kind, m.mid, m.port]),
      [
        ['audio', '0', 9],
        ['video', '1', 9],
        ['application', '2', 9],
      ],
    );
    assert.deepEqual(answer.groups, [{ semantics: 'BUNDLE', mids: ['0', '1', '2'] }]);
    assert.equal(answer.extmapAllowMixed, true);
    assert.deepEqual(validateDescription(answer, 'answer', offer), []);
  });

  it('audio: the offered payload types we support, with our fmtp and common feedback', () => {
    assert.deepEqual(pts(audio!), [111, 63, 9, 0, 8, 126]);
    assert.deepEqual(audio!.formats, ['111', '63', '9', '0', '8', '126']);
    assert.deepEqual(audio!.codecs[0], {
      payloadType: 111,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      parameters: { minptime: '10', useinbandfec: '1' },
      feedback: [{ type: 'transport-cc' }],
    });
    assert.deepEqual(audio!.codecs[1]!.parameters, { '111/111': '' }, 'RED keeps its parts');
    assert.deepEqual(audio!.headerExtensions, [
      { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
      { id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
    ]);
  });

  it('video: H.264 matched by profile and packetization mode, RTX following its primary', () => {
    // VP8+rtx, H.264 Constrained Baseline pm=1 (109) + rtx, VP9 profile 0 + rtx. Not: Baseline 42001f,
    // CB pm=0, Main, High, AV1, VP9 profile 2, video RED/ulpfec (not in our list) and their RTX.
    assert.deepEqual(pts(video!), [96, 97, 109, 114, 98, 99]);
    const h264 = video!.codecs[2]!;
    assert.equal(h264.name, 'H264');
    assert.deepEqual(h264.parameters, {
      'level-asymmetry-allowed': '1',
      'packetization-mode': '1',
      'profile-level-id': '42e01f',
    });
    assert.deepEqual(video!.codecs[3], {
      payloadType: 114,
      name: 'rtx',
      clockRate: 90000,
      parameters: { apt: '109' },
      feedback: [],
    });
    assert.deepEqual(video!.codecs[0]!.feedback, [
      { type: 'goog-remb' },
      { type: 'transport-cc' },
      { type: 'ccm', parameter: 'fir' },
      { type: 'nack' },
      { type: 'nack', parameter: 'pli' },
    ]);
    assert.deepEqual(
      video!.headerExtensions.map((e) => e.id),
      [2, 3, 4],
    );
  });

  it('directions, rtcp-mux/rsize, DTLS and ICE attributes', () => {
    for (const m of [audio!, video!]) {
      assert.equal(m.direction, 'recvonly', 'offer sendrecv, no local track');
      assert.equal(m.rtcpMux, true);
      assert.equal(m.rtcpReducedSize, true);
    }
    for (const m of answer.media) {
      assert.equal(m.setup, 'active');
      assert.equal(m.iceUfrag, 'tsRT');
      assert.deepEqual(m.iceOptions, ['trickle']);
      assert.equal(m.fingerprints.length, 1);
    }
  });

  it('data: the modern form with our max-message-size', () => {
    assert.equal(data!.protocol, 'UDP/DTLS/SCTP');
    assert.deepEqual(data!.formats, ['webrtc-datachannel']);
    assert.equal(data!.sctpPort, 5000);
    assert.equal(data!.maxMessageSize, 262144);
  });

  it('round-trips through text', () => {
    const text = writeSdp(answer);
    assert.deepEqual(parseSdp(text), answer);
    assert.match(
      text,
      /^v=0\r\no=- 1234567890123456789 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n/,
    );
  });

  it('local wishes: sendrecv where we have a track', () => {
    const a = createAnswer(offer, {
      ...ANSWER_OPTIONS,
      localDirection: (mid) => (mid === '0' ? 'sendrecv' : 'inactive'),
    });
    assert.equal(a.media[0]!.direction, 'sendrecv');
    assert.equal(a.media[1]!.direction, 'inactive');
  });
});

describe('JSEP answer: rejection, legacy data, simulcast, Firefox', () => {
  it('rejects sections with no common codec and keeps the rest bundled', () => {
    const offer = parseSdp(fixture('chromium-av-data-offer'));
    const a = createAnswer(offer, { ...ANSWER_OPTIONS, codecs: { audio: LOCAL_CODECS.audio } });
    assert.equal(a.media[1]!.port, 0);
    assert.equal(a.media[1]!.mid, '1');
    assert.deepEqual(a.groups, [{ semantics: 'BUNDLE', mids: ['0', '2'] }]);
    assert.deepEqual(validateDescription(a, 'answer', offer), []);
  });

  it('rejecting the offerer-tagged section rejects the whole group', () => {
    const offer = parseSdp(fixture('chromium-av-data-offer'));
    const a = createAnswer(offer, { ...ANSWER_OPTIONS, codecs: { video: LOCAL_CODECS.video } });
    assert.deepEqual(
      a.media.map((m) => m.port),
      [0, 0, 0],
    );
    assert.deepEqual(a.groups, []);
  });

  it('answers a legacy DTLS/SCTP offer in the legacy form', () => {
    const a = createAnswer(parseSdp(fixture('legacy-dtls-sctp-offer')), ANSWER_OPTIONS);
    const m = a.media[0]!;
    assert.equal(m.protocol, 'DTLS/SCTP');
    assert.deepEqual(m.formats, ['5000']);
    assert.deepEqual(m.sctpmap, { port: 5000, protocol: 'webrtc-datachannel', streams: 65535 });
    assert.equal(m.sctpPort, undefined);
    assert.equal(m.mid, 'data');
  });

  it('receives offered simulcast: rids reversed, simulcast:recv', () => {
    const a = createAnswer(parseSdp(fixture('chromium-simulcast-offer')), ANSWER_OPTIONS);
    const m = a.media[0]!;
    assert.equal(m.direction, 'recvonly');
    assert.deepEqual(
      m.rids.map((r) => `${r.id} ${r.direction}`),
      ['q recv', 'h recv', 'f recv'],
    );
    assert.match(writeSdp(a), /\r\na=simulcast:recv q;h;f\r\n/);
  });

  it('Firefox: session-level fingerprint and setup fallback; its H.264 without packetization-mode', () => {
    const offer = parseSdp(fixture('firefox-av-data-offer'));
    const a = createAnswer(offer, ANSWER_OPTIONS);
    assert.deepEqual(
      a.media.map((m) => m.setup),
      ['active', 'active', 'active'],
    );
    // 126 is CB pm=1 (ours); 97 is CB pm=0; 105 is Baseline.
    assert.deepEqual(pts(a.media[1]!), [120, 124, 121, 125, 126, 127]);
    assert.deepEqual(a.media[2]!.formats, ['webrtc-datachannel']);
    assert.deepEqual(validateDescription(a, 'answer', offer), []);
  });
});
