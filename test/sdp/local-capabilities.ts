/** A codec and header-extension set like the one the peer connection will offer (aiortc's plus H.264 CB). */
import type { AnswerOptions, LocalCodec, LocalHeaderExtension, OfferOptions } from '../../src/sdp/index.js';

const VIDEO_FEEDBACK = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'goog-remb' },
  { type: 'transport-cc' },
];

export const LOCAL_CODECS: Record<'audio' | 'video', LocalCodec[]> = {
  audio: [
    {
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      parameters: { minptime: '10', useinbandfec: '1' },
      rtcpFeedback: [{ type: 'transport-cc' }],
    },
    { mimeType: 'audio/red', clockRate: 48000, channels: 2 },
    { mimeType: 'audio/G722', clockRate: 8000 },
    { mimeType: 'audio/PCMU', clockRate: 8000 },
    { mimeType: 'audio/PCMA', clockRate: 8000 },
    { mimeType: 'audio/telephone-event', clockRate: 8000 },
  ],
  video: [
    { mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: VIDEO_FEEDBACK },
    {
      mimeType: 'video/H264',
      clockRate: 90000,
      parameters: { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '42e01f' },
      rtcpFeedback: VIDEO_FEEDBACK,
    },
    {
      mimeType: 'video/VP9',
      clockRate: 90000,
      parameters: { 'profile-id': '0' },
      rtcpFeedback: VIDEO_FEEDBACK,
    },
    { mimeType: 'video/rtx', clockRate: 90000 },
  ],
};

export const LOCAL_HEADER_EXTENSIONS: Record<'audio' | 'video', (LocalHeaderExtension | string)[]> = {
  audio: ['urn:ietf:params:rtp-hdrext:sdes:mid', 'urn:ietf:params:rtp-hdrext:ssrc-audio-level'],
  video: [
    'urn:ietf:params:rtp-hdrext:sdes:mid',
    'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  ],
};

/** Our side of the answers in the tests. */
export const ANSWER_OPTIONS: AnswerOptions = {
  sessionId: '1234567890123456789',
  iceUfrag: 'tsRT',
  icePwd: 'abcdefghijklmnopqrstuvwx',
  fingerprints: [{ algorithm: 'sha-256', value: Array(32).fill('AB').join(':') }],
  codecs: LOCAL_CODECS,
  headerExtensions: LOCAL_HEADER_EXTENSIONS,
};

/** Our offer in the tests: audio and video with a sending track each (video with RTX), and data. */
export const OFFER_OPTIONS: OfferOptions = {
  sessionId: '7654321',
  iceUfrag: ANSWER_OPTIONS.iceUfrag,
  icePwd: ANSWER_OPTIONS.icePwd,
  fingerprints: ANSWER_OPTIONS.fingerprints,
  codecs: LOCAL_CODECS,
  headerExtensions: LOCAL_HEADER_EXTENSIONS,
  initial: true,
  sections: [
    { kind: 'audio', mid: '0', sender: { streamIds: ['s'], trackId: 'a', cname: 'tsrtc', ssrc: 1001 } },
    {
      kind: 'video',
      mid: '1',
      sender: { streamIds: ['s'], trackId: 'v', cname: 'tsrtc', ssrc: 2001, rtxSsrc: 2002 },
    },
    { kind: 'application', mid: '2' },
  ],
};
