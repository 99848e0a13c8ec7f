import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createOffer,
  midsOf,
  nextMid,
  offerRtpParameters,
  parseSdp,
  recyclableSectionIndices,
  validateDescription,
  writeSdp,
} from '../../src/sdp/index.js';
import { LOCAL_CODECS, OFFER_OPTIONS } from './local-capabilities.js';
import { ok } from './ok.js';

describe('JSEP offer builder', () => {
  const offer = createOffer(OFFER_OPTIONS);

  it('one BUNDLE group, actpass, ICE and DTLS in every section; valid and round-trips', () => {
    assert.deepEqual(offer.groups, [{ semantics: 'BUNDLE', mids: ['0', '1', '2'] }]);
    for (const m of offer.media) {
      assert.equal(m.setup, 'actpass');
      assert.equal(m.iceUfrag, OFFER_OPTIONS.iceUfrag);
      assert.deepEqual(m.iceOptions, ['trickle']);
      assert.equal(m.port, 9, 'balanced: the first section of each kind is not bundle-only');
    }
    assert.deepEqual(validateDescription(offer, 'offer'), []);
    const text = writeSdp(offer);
    assert.deepEqual(parseSdp(text), offer);
    assert.match(
      text,
      /^v=0\r\no=- 7654321 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\nm=audio 9 UDP\/TLS\/RTP\/SAVPF /,
    );
  });

  it('payload types are unique across kinds and extension ids mean one URI across sections', () => {
    const [audio, video] = offer.media;
    const audioPts = new Set(audio!.codecs.map((c) => c.payloadType));
    for (const c of video!.codecs)
      ok(!audioPts.has(c.payloadType), `payload type ${c.payloadType} used twice`);
    const byId = new Map<number, string>();
    for (const m of offer.media) {
      for (const e of m.headerExtensions) {
        assert.equal(byId.get(e.id) ?? e.uri, e.uri, `extension id ${e.id}`);
        byId.set(e.id, e.uri);
      }
    }
    assert.equal(
      audio!.headerExtensions.find((e) => e.uri === 'urn:ietf:params:rtp-hdrext:sdes:mid')!.id,
      video!.headerExtensions.find((e) => e.uri === 'urn:ietf:params:rtp-hdrext:sdes:mid')!.id,
    );
  });

  it('a sending track gives msid, FID group and cname lines', () => {
    const video = offer.media[1]!;
    assert.deepEqual(video.msids, [{ streamId: 's', trackId: 'v' }]);
    assert.deepEqual(video.ssrcGroups, [{ semantics: 'FID', ssrcs: [2001, 2002] }]);
    assert.deepEqual(
      video.ssrcs.map((s) => `${s.ssrc} ${s.attribute}:${s.value}`),
      ['2001 cname:tsrtc', '2001 msid:s v', '2002 cname:tsrtc', '2002 msid:s v'],
    );
    assert.equal(video.direction, 'sendrecv');
    assert.equal(offer.media[2]!.sctpPort, 5000);
  });

  it('max-bundle marks all but the first section bundle-only in an initial offer only', () => {
    const initial = createOffer({ ...OFFER_OPTIONS, bundlePolicy: 'max-bundle' });
    assert.deepEqual(
      initial.media.map((m) => [m.port, m.bundleOnly]),
      [
        [9, false],
        [0, true],
        [0, true],
      ],
    );
    assert.deepEqual(validateDescription(initial, 'offer'), []);
    const later = createOffer({ ...OFFER_OPTIONS, bundlePolicy: 'max-bundle', initial: false });
    ok(later.media.every((m) => m.port === 9 && !m.bundleOnly));
  });

  it('a rejected (stopped) section keeps its slot with port 0 and leaves the BUNDLE group', () => {
    const sections = OFFER_OPTIONS.sections.map((s) => (s.mid === '1' ? { ...s, rejected: true } : s));
    const o = createOffer({ ...OFFER_OPTIONS, sections });
    assert.equal(o.media[1]!.port, 0);
    assert.deepEqual(o.groups[0]!.mids, ['0', '2']);
  });

  it('a re-offer keeps the negotiated payload types and extension ids', () => {
    const previous = offer.media[1]!;
    const vp8 = previous.codecs.find((c) => c.name === 'VP8')!.payloadType;
    const reordered = { ...LOCAL_CODECS, video: [...LOCAL_CODECS.video].reverse() };
    const sections = OFFER_OPTIONS.sections.map((s) => (s.mid === '1' ? { ...s, previous } : s));
    const again = createOffer({ ...OFFER_OPTIONS, codecs: reordered, sections });
    const video = again.media[1]!;
    assert.equal(video.codecs.find((c) => c.name === 'VP8')!.payloadType, vp8);
    const rtxOf = (codecs: typeof video.codecs): string[] =>
      codecs
        .filter((c) => c.name === 'rtx')
        .map((c) => `${c.payloadType} apt=${c.parameters.apt}`)
        .sort();
    assert.deepEqual(rtxOf(video.codecs), rtxOf(previous.codecs), 'RTX keeps its payload types');
    assert.deepEqual(
      video.headerExtensions.map((e) => `${e.id} ${e.uri}`).sort(),
      previous.headerExtensions.map((e) => `${e.id} ${e.uri}`).sort(),
    );
  });
});

describe('JSEP mids and m-line recycling', () => {
  it('next mid, and rejected sections to recycle', () => {
    assert.equal(nextMid([]), '0');
    assert.equal(nextMid(['0', '1', '3']), '2');
    const sections = OFFER_OPTIONS.sections.map((s) => (s.mid === '1' ? { ...s, rejected: true } : s));
    const o = createOffer({ ...OFFER_OPTIONS, sections });
    assert.deepEqual(midsOf(o), ['0', '1', '2']);
    assert.deepEqual(recyclableSectionIndices(o), [1]);
    assert.deepEqual(
      recyclableSectionIndices(createOffer({ ...OFFER_OPTIONS, bundlePolicy: 'max-bundle' })),
      [],
    );
  });
});

describe('JSEP shared RTP parameters for hand-built offers', () => {
  it('audio and video get disjoint payload types and one id per extension URI', () => {
    const { codecs, extensions } = offerRtpParameters(OFFER_OPTIONS);
    const audio = codecs.get('audio')!.map((c) => c.payloadType);
    const video = codecs.get('video')!.map((c) => c.payloadType);
    assert.deepEqual(
      audio.filter((pt) => video.includes(pt)),
      [],
    );
    assert.equal(new Set(extensions.map((e) => e.id)).size, extensions.length);
    assert.equal(new Set(extensions.map((e) => e.uri)).size, extensions.length);
  });
});
