/** What we offer and accept for audio and video (negotiation; the media path uses the same list). */
import { isNodeAvInstalled } from '../media/codecs/node-av.js';
import type { LocalCodec } from '../sdp/jsep/codec-negotiation.js';
import type { LocalHeaderExtension } from '../sdp/jsep/header-extensions.js';
import { toDictionary, toDOMString, toUnsigned } from './webidl.js';

const videoFeedback = [
  { type: 'goog-remb' },
  { type: 'transport-cc' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
];

export const AUDIO_CODECS: LocalCodec[] = [
  {
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    parameters: { minptime: '10', useinbandfec: '1' },
    rtcpFeedback: [{ type: 'transport-cc' }],
    preferredPayloadType: 111,
  },
  { mimeType: 'audio/G722', clockRate: 8000, preferredPayloadType: 9 },
  { mimeType: 'audio/PCMU', clockRate: 8000, preferredPayloadType: 0 },
  { mimeType: 'audio/PCMA', clockRate: 8000, preferredPayloadType: 8 },
];

export const VIDEO_CODECS: LocalCodec[] = [
  { mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: videoFeedback, preferredPayloadType: 96 },
  { mimeType: 'video/rtx', clockRate: 90000 },
  {
    mimeType: 'video/VP9',
    clockRate: 90000,
    parameters: { 'profile-id': '0' },
    rtcpFeedback: videoFeedback,
    preferredPayloadType: 98,
  },
  {
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '42e01f' },
    rtcpFeedback: videoFeedback,
    preferredPayloadType: 102,
  },
  {
    // Packetization-mode 0 (one NAL unit per packet): x264 keeps its slices within a packet.
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'level-asymmetry-allowed': '1', 'packetization-mode': '0', 'profile-level-id': '42e01f' },
    rtcpFeedback: videoFeedback,
    preferredPayloadType: 104,
  },
  {
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '4d001f' },
    rtcpFeedback: videoFeedback,
    preferredPayloadType: 106,
  },
  { mimeType: 'video/AV1', clockRate: 90000, rtcpFeedback: videoFeedback, preferredPayloadType: 45 },
];

export const AUDIO_HEADER_EXTENSIONS: LocalHeaderExtension[] = [
  { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', preferredId: 1 },
  { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', preferredId: 2 },
  { uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', preferredId: 3 },
  { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 4 },
];

export const VIDEO_HEADER_EXTENSIONS: LocalHeaderExtension[] = [
  { uri: 'urn:ietf:params:rtp-hdrext:toffset', preferredId: 14 },
  { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', preferredId: 2 },
  { uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', preferredId: 3 },
  { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 4 },
  { uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', preferredId: 10 },
  { uri: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id', preferredId: 11 },
];

export interface RTCRtpCodecCapability {
  mimeType: string;
  clockRate: number;
  channels?: number;
  sdpFmtpLine?: string;
}

export interface RTCRtpCapabilities {
  codecs: RTCRtpCodecCapability[];
  headerExtensions: { uri: string }[];
}

export function capabilitiesFor(kind: string): RTCRtpCapabilities | null {
  const codecs = kind === 'audio' ? AUDIO_CODECS : kind === 'video' ? VIDEO_CODECS : undefined;
  const exts = kind === 'audio' ? AUDIO_HEADER_EXTENSIONS : VIDEO_HEADER_EXTENSIONS;
  if (!codecs) return null;
  return {
    // What works here: without node-av only G.711 is encoded and decoded (and no video codec needs RTX).
    codecs: codecs
      .filter((c) => isNodeAvInstalled() || /\/(PCMU|PCMA)$/i.test(c.mimeType))
      .map((c) => {
        const out: RTCRtpCodecCapability = { mimeType: c.mimeType, clockRate: c.clockRate };
        if (c.channels !== undefined) out.channels = c.channels;
        const fmtp = Object.entries(c.parameters ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(';');
        if (fmtp) out.sdpFmtpLine = fmtp;
        return out;
      }),
    headerExtensions: exts.map((e) => ({ uri: e.uri })),
  };
}

/** W3C "codec dictionary match": mimeType (case-insensitive), clockRate, channels and sdpFmtpLine. */
export function sameCodec(a: RTCRtpCodecCapability, b: RTCRtpCodecCapability): boolean {
  return (
    a.mimeType.toLowerCase() === b.mimeType.toLowerCase() &&
    a.clockRate === b.clockRate &&
    a.channels === b.channels &&
    a.sdpFmtpLine === b.sdpFmtpLine
  );
}

export function describeCodec(c: RTCRtpCodecCapability): string {
  return `${c.mimeType}/${c.clockRate}${c.channels ? `/${c.channels}` : ''}${c.sdpFmtpLine ? ` ${c.sdpFmtpLine}` : ''}`;
}

/** WebIDL RTCRtpCodec: mimeType and clockRate required. */
export function toCodecCapability(value: unknown, what: string): RTCRtpCodecCapability {
  const d = toDictionary(value, what);
  if (d.clockRate === undefined || d.mimeType === undefined) {
    throw new TypeError(`${what} needs mimeType and clockRate`);
  }
  const c: RTCRtpCodecCapability = {
    mimeType: toDOMString(d.mimeType, `${what}.mimeType`),
    clockRate: toUnsigned(d.clockRate, 32, `${what}.clockRate`, false),
  };
  if (d.channels !== undefined) c.channels = toUnsigned(d.channels, 16, `${what}.channels`, false);
  if (d.sdpFmtpLine !== undefined) c.sdpFmtpLine = toDOMString(d.sdpFmtpLine, `${what}.sdpFmtpLine`);
  return c;
}
