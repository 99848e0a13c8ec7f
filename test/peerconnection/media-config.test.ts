/**
 * mediaSessionConfigFrom: what negotiated Chromium offers and answers (test/sdp/fixtures) and our own mean
 * for the media engine; and a pair of configurations from one offer/answer exchange carrying media.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../src/common/random.js';
import { mediaSessionConfigFrom } from '../../src/peerconnection/media-config.js';
import { MediaSession } from '../../src/rtp/media-session.js';
import { createAnswer, createOffer, parseSdp, type SessionDescription } from '../../src/sdp/index.js';
import { keyPair, opusFrame, SessionPeer, videoSource } from '../rtp/session/harness.js';
import { fixture } from '../sdp/fixtures.js';
import { ANSWER_OPTIONS, OFFER_OPTIONS } from '../sdp/local-capabilities.js';
import { SimNetwork } from '../sim/network.js';

const ALL = { nack: true, pli: true, fir: true, remb: true, transportCc: true };

/** Our answer to a remote offer, sending on every section, with a=ssrc lines as the peer connection writes. */
function ourAnswer(
  offer: SessionDescription,
  ssrcs: Record<string, [number, number?]> = {},
): SessionDescription {
  const answer = createAnswer(offer, { ...ANSWER_OPTIONS, localDirection: () => 'sendrecv' });
  for (const section of answer.media) {
    const pair = section.mid !== undefined ? ssrcs[section.mid] : undefined;
    if (!pair) continue;
    const [ssrc, rtx] = pair;
    if (rtx !== undefined) section.ssrcGroups.push({ semantics: 'FID', ssrcs: [ssrc, rtx] });
    for (const s of [ssrc, rtx])
      if (s !== undefined) section.ssrcs.push({ ssrc: s, attribute: 'cname', value: 'x' });
  }
  return answer;
}

describe('mediaSessionConfigFrom', () => {
  it('as the Chromium offerer: our SSRCs from our a=ssrc lines, the answer recvonly, codecs in its order', () => {
    const local = parseSdp(fixture('chromium-live-av-data-offer'));
    const remote = parseSdp(fixture('chromium-live-av-data-answer'));
    const config = mediaSessionConfigFrom(local, remote);
    assert.deepEqual(
      config.media.map((m) => [m.mid, m.kind, m.direction]),
      [
        ['0', 'audio', 'sendonly'],
        ['1', 'video', 'sendonly'],
      ],
    );
    const [audio, video] = config.media;
    assert.deepEqual(audio!.sendEncodings, [{ ssrc: 2843064508 }]);
    assert.deepEqual(video!.sendEncodings, [{ ssrc: 2251009392, rtxSsrc: 3509425691 }]);
    assert.deepEqual(audio!.receiveSsrcs, []);
    assert.deepEqual(audio!.sendCodecs[0], {
      payloadType: 111,
      codec: 'opus',
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      parameters: { minptime: '10', useinbandfec: '1' },
      feedback: { nack: false, pli: false, fir: false, remb: false, transportCc: true },
    });
    assert.deepEqual(
      audio!.sendCodecs.map((c) => [c.payloadType, c.codec]),
      [
        [111, 'opus'],
        [63, undefined],
        [9, 'g722'],
        [0, 'pcmu'],
        [8, 'pcma'],
        [13, undefined],
        [110, undefined],
        [126, undefined],
      ],
    );
    const vp8 = video!.sendCodecs[0]!;
    assert.equal(vp8.codec, 'vp8');
    assert.equal(vp8.payloadType, 96);
    assert.equal(vp8.rtxPayloadType, 97);
    assert.deepEqual(vp8.feedback, ALL);
    assert.equal(video!.sendCodecs.find((c) => c.codec === 'av1')?.rtxPayloadType, 46);
    assert.deepEqual(audio!.extensions, { audioLevel: 1, absSendTime: 2, transportWideCc: 3, mid: 4 });
    assert.deepEqual(video!.extensions, {
      toffset: 14,
      absSendTime: 2,
      transportWideCc: 3,
      playoutDelay: 5,
      mid: 4,
      rid: 10,
      repairedRid: 11,
    });
    assert.equal(audio!.rtcpReducedSize, true);
  });

  it('answering Chromium: its SSRCs to receive, ours from our answer, payload types in its order ∩ ours', () => {
    const offer = parseSdp(fixture('chromium-live-av-data-offer'));
    const answer = ourAnswer(offer, { '0': [111_111], '1': [222_222, 333_333] });
    const config = mediaSessionConfigFrom(answer, offer);
    const [audio, video] = config.media;
    assert.equal(audio!.direction, 'sendrecv');
    assert.deepEqual(audio!.receiveSsrcs, [{ ssrc: 2843064508 }]);
    assert.deepEqual(video!.receiveSsrcs, [{ ssrc: 2251009392, rtxSsrc: 3509425691 }]);
    assert.deepEqual(video!.sendEncodings, [{ ssrc: 222_222, rtxSsrc: 333_333 }]);
    // we send what Chromium listed first among the formats we answered with
    assert.deepEqual(
      video!.sendCodecs.map((c) => [c.payloadType, c.codec, c.rtxPayloadType]),
      video!.receiveCodecs.map((c) => [c.payloadType, c.codec, c.rtxPayloadType]),
    );
    assert.equal(video!.sendCodecs[0]!.codec, 'vp8');
    assert.ok(
      video!.sendCodecs.some((c) => c.codec === 'h264' && c.parameters['packetization-mode'] === '1'),
    );
    assert.ok(
      video!.sendCodecs.every(
        (c) => c.codec === undefined || ['vp8', 'vp9', 'h264', 'av1'].includes(c.codec),
      ),
    );
    // our extensions: mid, abs-send-time and transport-cc for video, mid and audio level for audio
    assert.deepEqual(video!.extensions, { absSendTime: 2, transportWideCc: 3, mid: 4 });
    assert.deepEqual(audio!.extensions, { audioLevel: 1, mid: 4 });
  });

  it('takes our send encodings from the option when our description lists no SSRCs', () => {
    const offer = parseSdp(fixture('chromium-live-av-data-offer'));
    const answer = ourAnswer(offer);
    assert.deepEqual(
      mediaSessionConfigFrom(answer, offer).media.map((m) => m.sendEncodings),
      [[], []],
    );
    const config = mediaSessionConfigFrom(answer, offer, {
      sendEncodings: (mid) => [{ ssrc: mid === '0' ? 5 : 6 }],
    });
    assert.deepEqual(
      config.media.map((m) => m.sendEncodings),
      [[{ ssrc: 5 }], [{ ssrc: 6 }]],
    );
  });

  it('receives simulcast by RID, in the offered order', () => {
    const offer = parseSdp(fixture('chromium-live-simulcast-offer'));
    const answer = createAnswer(offer, { ...ANSWER_OPTIONS, localDirection: () => 'recvonly' });
    const [video] = mediaSessionConfigFrom(answer, offer).media;
    assert.equal(video!.direction, 'recvonly');
    assert.deepEqual(video!.receiveRids, ['q', 'h', 'f']);
    assert.deepEqual(video!.receiveSsrcs, []);
    assert.deepEqual(video!.sendEncodings, []);
  });

  it('leaves out rejected sections and data; inactive sections neither send nor receive', () => {
    const offer = parseSdp(fixture('chromium-live-av-data-offer'));
    const answer = ourAnswer(offer, { '0': [1] });
    answer.media[1]!.port = 0; // video rejected
    answer.media[0]!.direction = 'inactive';
    const config = mediaSessionConfigFrom(answer, offer);
    assert.deepEqual(
      config.media.map((m) => [m.mid, m.direction, m.sendEncodings.length, m.receiveSsrcs.length]),
      [['0', 'inactive', 0, 0]],
    );
  });

  it('configures two sessions from one offer/answer exchange that then carry media', () => {
    const offer = createOffer(OFFER_OPTIONS);
    const answer = ourAnswer(offer, { '0': [3001], '1': [4001, 4002] });
    const offerer = mediaSessionConfigFrom(offer, answer);
    const answerer = mediaSessionConfigFrom(answer, offer);
    assert.deepEqual(offerer.media[1]!.sendEncodings, [{ ssrc: 2001, rtxSsrc: 2002 }]);
    assert.deepEqual(answerer.media[1]!.receiveSsrcs, [{ ssrc: 2001, rtxSsrc: 2002 }]);
    const keys = keyPair(1, 3);
    const net = new SimNetwork({ seed: 3, conditions: { delay: 10, loss: 0.03 } });
    const addressA = { address: '10.0.0.1', port: 1 };
    const addressB = { address: '10.0.0.2', port: 1 };
    const a = net.add(
      new SessionPeer(
        new MediaSession({ wallClockAtZero: 0, random: new SeededRandom(1), config: offerer, keys: keys.a }),
        addressA,
        addressB,
      ),
    );
    const b = net.add(
      new SessionPeer(
        new MediaSession({ wallClockAtZero: 0, random: new SeededRandom(2), config: answerer, keys: keys.b }),
        addressB,
        addressA,
      ),
    );
    videoSource(a, '1', { size: 3000 });
    videoSource(b, '1', { size: 3000 });
    let n = 0;
    a.schedule(0, (now) => a.session.writeFrame(now, '0', undefined, opusFrame(n++)), 20);
    net.runFor(3000);
    const toB = b.of('frame');
    assert.ok(toB.filter((f) => f.mid === '1' && f.ssrc === 2001).length > 80, 'video to B');
    assert.ok(toB.filter((f) => f.mid === '0' && f.ssrc === 1001).length > 140, 'audio to B');
    assert.ok(a.of('frame').filter((f) => f.mid === '1' && f.ssrc === 4001).length > 80, 'video to A');
    assert.ok(
      b.session.getStats(net.now).inbound.find((s) => s.ssrc === 2001)!.rtxPacketsReceived > 0,
      'RTX',
    );
  });
});
