import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addCandidate,
  answerBundleGroup,
  answerDirection,
  answerSetupRole,
  assertValidDescription,
  bundleOnlyForInitialOffer,
  candidateAttribute,
  createDataChannelSection,
  dataChannelSection,
  emptyMediaSection,
  fingerprintMatches,
  fingerprintsOf,
  h264AnswerProfileLevelId,
  iceParametersOf,
  incrementSessionVersion,
  isRejected,
  type MediaDirection,
  negotiatedDtlsRole,
  negotiateHeaderExtensions,
  offerCodecs,
  offerHeaderExtensions,
  parseCandidateAttribute,
  parseH264ProfileLevelId,
  parseSdp,
  sameCodecFormat,
  sectionIndexFor,
  setDefaultCandidate,
  setupOf,
  supportsTrickle,
  transportSectionIndex,
  validateDescription,
  writeSdp,
} from '../../src/sdp/index.js';
import { fixture } from './fixtures.js';
import { LOCAL_CODECS } from './local-capabilities.js';
import { ok } from './ok.js';

describe('JSEP: directions and DTLS roles', () => {
  it('answer direction = offer reversed ∩ local wish (RFC 8829 §5.3.1)', () => {
    const table: [MediaDirection, MediaDirection, MediaDirection][] = [
      ['sendrecv', 'sendrecv', 'sendrecv'],
      ['sendrecv', 'recvonly', 'recvonly'],
      ['sendrecv', 'sendonly', 'sendonly'],
      ['sendonly', 'sendrecv', 'recvonly'],
      ['sendonly', 'sendonly', 'inactive'],
      ['recvonly', 'sendrecv', 'sendonly'],
      ['recvonly', 'recvonly', 'inactive'],
      ['inactive', 'sendrecv', 'inactive'],
    ];
    for (const [offered, local, expected] of table)
      assert.equal(answerDirection(offered, local), expected, `${offered} × ${local}`);
  });

  it('setup: actpass → active (or passive if preferred), active ↔ passive, absent means active', () => {
    assert.equal(answerSetupRole('actpass'), 'active');
    assert.equal(answerSetupRole('actpass', 'passive'), 'passive');
    assert.equal(answerSetupRole('active'), 'passive');
    assert.equal(answerSetupRole('passive'), 'active');
    assert.equal(answerSetupRole(undefined), 'passive');
    assert.equal(answerSetupRole('holdconn'), undefined);
    assert.equal(negotiatedDtlsRole(true, 'active'), 'server');
    assert.equal(negotiatedDtlsRole(true, 'passive'), 'client');
    assert.equal(negotiatedDtlsRole(false, 'active'), 'client');
    assert.equal(negotiatedDtlsRole(false, 'passive'), 'server');
  });
});

describe('JSEP: BUNDLE', () => {
  it('bundle-only sections of an initial offer per policy', () => {
    const kinds = ['audio', 'video', 'audio', 'application', 'video'];
    assert.deepEqual(bundleOnlyForInitialOffer('max-compat', kinds), [false, false, false, false, false]);
    assert.deepEqual(bundleOnlyForInitialOffer('max-bundle', kinds), [false, true, true, true, true]);
    assert.deepEqual(bundleOnlyForInitialOffer('balanced', kinds), [false, false, true, false, true]);
  });

  it('transport owner, rejected vs bundle-only sections', () => {
    const d = parseSdp(fixture('ice-lite-answer'));
    assert.equal(transportSectionIndex(d, 1), 0);
    assert.equal(transportSectionIndex(d, 0), 0);
    assert.equal(transportSectionIndex(d, 5), undefined);
    assert.equal(isRejected(d, d.media[1]!), false, 'port 0 + bundle-only in a group is wanted');
    d.groups = [];
    assert.equal(isRejected(d, d.media[1]!), true);
    assert.equal(transportSectionIndex(d, 1), 1);
  });

  it('answer group keeps the offerer tag first, drops rejected mids', () => {
    const group = { semantics: 'BUNDLE', mids: ['a', 'b', 'c'] };
    assert.deepEqual(
      answerBundleGroup(group, (m) => m !== 'b'),
      {
        group: { semantics: 'BUNDLE', mids: ['a', 'c'] },
        rejectedMids: ['b'],
      },
    );
    assert.deepEqual(
      answerBundleGroup(group, (m) => m !== 'a'),
      { group: undefined, rejectedMids: ['a', 'b', 'c'] },
    );
  });
});

describe('JSEP: data channel sections', () => {
  it('recognizes the modern and legacy forms, and nothing else', () => {
    const modern = dataChannelSection(parseSdp(fixture('chromium-av-data-offer')).media[2]!);
    assert.deepEqual(modern, {
      sctpPort: 5000,
      maxMessageSize: 262144,
      legacy: false,
      protocol: 'UDP/DTLS/SCTP',
    });
    const legacy = dataChannelSection(parseSdp(fixture('legacy-dtls-sctp-offer')).media[0]!);
    assert.deepEqual(legacy, { sctpPort: 5000, maxMessageSize: 65536, legacy: true, protocol: 'DTLS/SCTP' });
    assert.equal(dataChannelSection(parseSdp(fixture('chromium-av-data-offer')).media[0]!), undefined);
    const firefox = dataChannelSection(parseSdp(fixture('firefox-av-data-offer')).media[2]!);
    assert.equal(firefox?.maxMessageSize, 1073741823);
    const other = emptyMediaSection('application', 'UDP/BFCP', ['*']);
    assert.equal(dataChannelSection(other), undefined);
  });

  it('creates both forms, which serialize as browsers write them', () => {
    const text = (m: ReturnType<typeof createDataChannelSection>): string => {
      const d = parseSdp('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n');
      d.media.push(m);
      return writeSdp(d);
    };
    assert.match(
      text(createDataChannelSection({ mid: '0', maxMessageSize: 262144 })),
      /m=application 9 UDP\/DTLS\/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n$/,
    );
    assert.match(
      text(createDataChannelSection({ legacy: true })),
      /m=application 9 DTLS\/SCTP 5000\r\nc=IN IP4 0.0.0.0\r\na=sctpmap:5000 webrtc-datachannel 65535\r\n$/,
    );
  });
});

describe('JSEP: codecs and header extensions', () => {
  it('H.264 profile-level-id: profiles, level 1b, answer levels', () => {
    assert.deepEqual(parseH264ProfileLevelId('42e01f'), { profile: 'constrained-baseline', level: 31 });
    assert.deepEqual(parseH264ProfileLevelId('42001f'), { profile: 'baseline', level: 31 });
    assert.deepEqual(parseH264ProfileLevelId('4d001f'), { profile: 'main', level: 31 });
    assert.deepEqual(parseH264ProfileLevelId('640c1f'), { profile: 'constrained-high', level: 31 });
    assert.deepEqual(parseH264ProfileLevelId('64001f'), { profile: 'high', level: 31 });
    assert.deepEqual(parseH264ProfileLevelId('42f00b'), { profile: 'constrained-baseline', level: 0 });
    assert.equal(parseH264ProfileLevelId('zz0000'), undefined);
    assert.equal(parseH264ProfileLevelId('ff0000'), undefined);
    assert.deepEqual(parseH264ProfileLevelId(undefined), { profile: 'constrained-baseline', level: 31 });
    const ours = { 'profile-level-id': '42e02a', 'level-asymmetry-allowed': '1' };
    assert.equal(
      h264AnswerProfileLevelId(ours, { 'profile-level-id': '42e01f', 'level-asymmetry-allowed': '1' }),
      '42e02a',
    );
    assert.equal(h264AnswerProfileLevelId(ours, { 'profile-level-id': '42e01f' }), '42e01f');
    assert.equal(h264AnswerProfileLevelId(ours, { 'profile-level-id': '42e00b' }), '42e00b');
    assert.equal(h264AnswerProfileLevelId(ours, { 'profile-level-id': '4d001f' }), undefined);
  });

  it('format matching: name case, channels default, profiles', () => {
    const opus = { name: 'opus', clockRate: 48000, channels: 2, parameters: {} };
    ok(sameCodecFormat('audio', opus, { ...opus, name: 'OPUS' }));
    ok(!sameCodecFormat('audio', opus, { ...opus, channels: undefined }));
    const pcmu = { name: 'PCMU', clockRate: 8000, parameters: {} };
    ok(sameCodecFormat('audio', pcmu, { ...pcmu, channels: 1 }), 'audio channels default to 1');
    const vp9 = { name: 'VP9', clockRate: 90000, parameters: { 'profile-id': '2' } };
    ok(!sameCodecFormat('video', vp9, { ...vp9, parameters: {} }));
    ok(sameCodecFormat('video', { ...vp9, parameters: { 'profile-id': '0' } }, { ...vp9, parameters: {} }));
  });

  it('offer codecs: static payload types for RFC 3551 formats, dynamic ones, RTX after each video primary', () => {
    const audio = offerCodecs('audio', LOCAL_CODECS.audio);
    assert.deepEqual(
      audio.map((c) => `${c.payloadType} ${c.name}`),
      ['96 opus', '97 red', '9 G722', '0 PCMU', '8 PCMA', '98 telephone-event'],
    );
    const video = offerCodecs('video', LOCAL_CODECS.video);
    assert.deepEqual(
      video.map((c) => `${c.payloadType} ${c.name}${c.parameters.apt ? ` apt=${c.parameters.apt}` : ''}`),
      ['96 VP8', '97 rtx apt=96', '98 H264', '99 rtx apt=98', '100 VP9', '101 rtx apt=100'],
    );
    assert.deepEqual(audio[1]!.parameters, { '96/96': '' }, 'RED names opus as its redundant encoding');
    const preferred = offerCodecs('audio', [{ ...LOCAL_CODECS.audio[0]!, preferredPayloadType: 111 }]);
    assert.equal(preferred[0]!.payloadType, 111);
  });

  it('header extensions: answer keeps offered ids and reverses directions; offer assigns free ids', () => {
    const offered = [
      { id: 3, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
      { id: 6, direction: 'recvonly' as const, uri: 'urn:x' },
      { id: 7, uri: 'urn:unsupported' },
    ];
    assert.deepEqual(negotiateHeaderExtensions(offered, ['urn:ietf:params:rtp-hdrext:sdes:mid', 'urn:x']), [
      { id: 3, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
      { id: 6, direction: 'sendonly', uri: 'urn:x' },
    ]);
    assert.deepEqual(
      offerHeaderExtensions(['urn:a', { uri: 'urn:b', preferredId: 1 }, 'urn:c'], [{ id: 2, uri: 'urn:c' }]),
      [
        { id: 3, uri: 'urn:a' },
        { id: 1, uri: 'urn:b' },
        { id: 2, uri: 'urn:c' },
      ],
    );
  });
});

describe('JSEP: transport attributes with session fallback', () => {
  it('ICE parameters and fingerprints from the session when the section has none', () => {
    const lite = parseSdp(fixture('ice-lite-answer'));
    assert.deepEqual(iceParametersOf(lite, lite.media[0]!), {
      usernameFragment: 'srv0ufrag',
      password: 'srv0password0password00',
      iceLite: true,
      options: [],
    });
    assert.equal(fingerprintsOf(lite, lite.media[0]!).length, 2);
    const firefox = parseSdp(fixture('firefox-av-data-offer'));
    assert.equal(fingerprintsOf(firefox, firefox.media[1]!)[0]!.algorithm, 'sha-256');
    assert.equal(setupOf(firefox, firefox.media[1]!), 'actpass');
    assert.equal(supportsTrickle(firefox), true);
    assert.equal(supportsTrickle(lite), false);
    assert.equal(
      iceParametersOf(
        parseSdp('v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\n'),
        emptyMediaSection('audio', 'RTP/AVP'),
      ),
      undefined,
    );
  });

  it('fingerprints compare without regard to case', () => {
    const f = { algorithm: 'SHA-256', value: 'ab:cd' };
    ok(fingerprintMatches(f, [{ algorithm: 'sha-256', value: 'AB:CD' }]));
    ok(!fingerprintMatches(f, [{ algorithm: 'sha-1', value: 'AB:CD' }]));
  });

  it('candidates: trickled text in and out, duplicates ignored, default candidate, target section', () => {
    const d = parseSdp(fixture('chromium-av-data-offer'));
    const c = parseCandidateAttribute(
      'candidate:1510613869 1 udp 2122194687 127.0.0.1 50002 typ host generation 0 ufrag Xk3v network-id 1',
    );
    ok(c);
    assert.equal(c.usernameFragment, 'Xk3v');
    assert.equal(
      candidateAttribute(c),
      'candidate:1510613869 1 udp 2122194687 127.0.0.1 50002 typ host ufrag Xk3v generation 0 network-id 1',
    );
    assert.equal(parseCandidateAttribute(''), undefined);
    assert.equal(parseCandidateAttribute('candidate:garbage'), undefined);
    const index = sectionIndexFor(d, { sdpMid: '1' });
    assert.equal(index, 1);
    assert.equal(sectionIndexFor(d, { sdpMid: null, sdpMLineIndex: 2 }), 2);
    assert.equal(sectionIndexFor(d, { sdpMid: 'nope' }), undefined);
    assert.equal(sectionIndexFor(d, { sdpMLineIndex: 3 }), undefined);
    const section = d.media[index!]!;
    assert.equal(addCandidate(section, c), true);
    assert.equal(addCandidate(section, c), false);
    setDefaultCandidate(section, c);
    assert.match(
      writeSdp(d),
      /m=video 50002 [^\r]*\r\nc=IN IP4 127.0.0.1\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=candidate:1510613869 1 udp/,
    );
  });

  it('session version increments past 2^53', () => {
    const d = parseSdp(fixture('chromium-av-data-offer'));
    d.origin.sessionVersion = '18446744073709551614';
    incrementSessionVersion(d);
    assert.equal(d.origin.sessionVersion, '18446744073709551615');
  });
});

describe('JSEP: validation of remote descriptions', () => {
  const offer = parseSdp(fixture('chromium-av-data-offer'));

  it('every fixture offer is valid', () => {
    for (const name of [
      'chromium-av-data-offer',
      'firefox-av-data-offer',
      'safari-av-data-offer',
      'legacy-dtls-sctp-offer',
    ])
      assert.deepEqual(validateDescription(parseSdp(fixture(name)), 'offer'), [], name);
  });

  it('finds missing credentials, fingerprints, mids, actpass answers, mismatched answers', () => {
    const broken = parseSdp(fixture('chromium-av-data-offer'));
    // Without BUNDLE every section owns its transport, so each is checked.
    broken.groups = [];
    broken.media[0]!.icePwd = undefined;
    broken.media[1]!.fingerprints = [];
    broken.media[2]!.mid = '0';
    const messages = validateDescription(broken, 'offer').map((p) => p.message);
    ok(messages.some((m) => /m-section 0 has no ICE/.test(m)));
    ok(messages.some((m) => /m-section 1 has no DTLS fingerprint/.test(m)));
    ok(messages.some((m) => /duplicate a=mid:0/.test(m)));
    ok(validateDescription(offer, 'answer').some((p) => /actpass/.test(p.message)));
    const activeOffer = parseSdp(fixture('chromium-data-answer'));
    const activeAnswer = parseSdp(fixture('chromium-data-answer'));
    ok(
      validateDescription(activeAnswer, 'answer', activeOffer).some((p) =>
        /setup:active does not fit/.test(p.message),
      ),
      'an active offer cannot be answered active',
    );
    activeAnswer.media[0]!.setup = 'passive';
    assert.deepEqual(validateDescription(activeAnswer, 'answer', activeOffer), []);
    const short = parseSdp(fixture('chromium-data-answer'));
    const problems = validateDescription(short, 'answer', offer);
    assert.equal(problems[0]!.name, 'InvalidAccessError');
    assert.throws(
      () => assertValidDescription(short, 'answer', offer),
      (e: unknown) => e instanceof DOMException && e.name === 'InvalidAccessError',
    );
    assert.throws(
      () => assertValidDescription(broken, 'offer'),
      (e: unknown) => e instanceof DOMException && e.name === 'OperationError',
    );
  });
});
