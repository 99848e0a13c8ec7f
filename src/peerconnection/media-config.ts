/**
 * What a negotiated pair of descriptions means for the media session: per live audio/video section, the
 * direction both sides agreed on, the codecs we send (the peer's, in its order) and accept (ours), RTX
 * payload types, RTCP feedback both listed, header extension ids, reduced-size RTCP, our SSRCs (our
 * a=ssrc / FID lines) and the peer's, and simulcast rids. A pure function of the two SDP models.
 */
import type { CodecName } from '../media/encoded-frame.js';
import { extensionIdsFromExtmap } from '../rtp/extension-map.js';
import {
  type MediaCodecConfig,
  type MediaSectionConfig,
  type MediaSectionDirection,
  type MediaSessionConfig,
  NO_FEEDBACK,
  type ReceiveSsrcConfig,
  type RtcpFeedbackConfig,
  type SendEncodingConfig,
} from '../rtp/session-config.js';
import { isRtx, rtxAssociatedPayloadType } from '../sdp/codecs.js';
import type { Codec, MediaDirection, MediaSection, SessionDescription } from '../sdp/types.js';

const CODEC_NAMES: Record<string, CodecName> = {
  opus: 'opus',
  pcmu: 'pcmu',
  pcma: 'pcma',
  g722: 'g722',
  vp8: 'vp8',
  vp9: 'vp9',
  h264: 'h264',
  av1: 'av1',
};

/** The codec tsrtc carries frames for, from an rtpmap name (H.264 in packetization mode 0 or 1 only). */
function codecNameOf(codec: Codec): CodecName | undefined {
  const name = CODEC_NAMES[codec.name.toLowerCase()];
  if (name === 'h264') {
    const mode = codec.parameters['packetization-mode'] ?? '0';
    if (mode !== '0' && mode !== '1') return undefined;
  }
  return name;
}

function feedbackOf(
  codec: Codec,
  other: Codec | undefined,
  wildcard: readonly Codec['feedback'][number][],
): RtcpFeedbackConfig {
  const listed = (type: string, parameter?: string): boolean => {
    const has = (list: readonly { type: string; parameter?: string }[]): boolean =>
      list.some((f) => f.type === type && (f.parameter ?? '') === (parameter ?? ''));
    return (has(codec.feedback) || has(wildcard)) && (other === undefined || has(other.feedback));
  };
  return {
    nack: listed('nack'),
    pli: listed('nack', 'pli'),
    fir: listed('ccm', 'fir'),
    remb: listed('goog-remb'),
    transportCc: listed('transport-cc'),
  };
}

/** The media codecs of `section` (payload types of that description), RTX folded into its primary. */
function codecConfigs(section: MediaSection, other: MediaSection | undefined): MediaCodecConfig[] {
  const out: MediaCodecConfig[] = [];
  for (const codec of section.codecs) {
    if (isRtx(codec)) continue;
    const counterpart = other?.codecs.find((c) => c.payloadType === codec.payloadType);
    const rtx = section.codecs.find((c) => isRtx(c) && rtxAssociatedPayloadType(c) === codec.payloadType);
    const config: MediaCodecConfig = {
      payloadType: codec.payloadType,
      codec: codecNameOf(codec),
      name: codec.name,
      clockRate: codec.clockRate,
      parameters: { ...codec.parameters },
      feedback: other ? feedbackOf(codec, counterpart, section.wildcardFeedback) : { ...NO_FEEDBACK },
    };
    if (codec.channels !== undefined) config.channels = codec.channels;
    if (rtx && (!other || other.codecs.some((c) => c.payloadType === rtx.payloadType)))
      config.rtxPayloadType = rtx.payloadType;
    out.push(config);
  }
  return out;
}

function sends(d: MediaDirection | undefined): boolean {
  return d === undefined || d === 'sendrecv' || d === 'sendonly';
}
function receives(d: MediaDirection | undefined): boolean {
  return d === undefined || d === 'sendrecv' || d === 'recvonly';
}

/** Our direction as both descriptions allow it: we send if we said so and the peer receives, and so on. */
function agreedDirection(local: MediaSection, remote: MediaSection): MediaSectionDirection {
  const send = sends(local.direction) && receives(remote.direction);
  const recv = receives(local.direction) && sends(remote.direction);
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

/** Streams a description announces: each media SSRC with its FID-grouped RTX SSRC. */
function announcedSsrcs(section: MediaSection): ReceiveSsrcConfig[] {
  const rtxOf = new Map<number, number>();
  const repairs = new Set<number>();
  for (const g of section.ssrcGroups) {
    if (g.semantics !== 'FID' || g.ssrcs.length < 2) continue;
    rtxOf.set(g.ssrcs[0]!, g.ssrcs[1]!);
    repairs.add(g.ssrcs[1]!);
  }
  // Simulcast SIM groups and FEC groups add no media SSRC of their own beyond those listed.
  const media = [...new Set(section.ssrcs.map((s) => s.ssrc))].filter((ssrc) => !repairs.has(ssrc));
  return media.map((ssrc) => {
    const rtxSsrc = rtxOf.get(ssrc);
    return rtxSsrc === undefined ? { ssrc } : { ssrc, rtxSsrc };
  });
}

function sendEncodings(local: MediaSection, direction: MediaSectionDirection): SendEncodingConfig[] {
  if (direction !== 'sendrecv' && direction !== 'sendonly') return [];
  const streams = announcedSsrcs(local);
  const rids = local.rids.filter((r) => r.direction === 'send').map((r) => r.id);
  return streams.map((s, i) => {
    const e: SendEncodingConfig = { ssrc: s.ssrc };
    if (s.rtxSsrc !== undefined) e.rtxSsrc = s.rtxSsrc;
    if (rids.length > 1 && rids[i] !== undefined) e.rid = rids[i];
    return e;
  });
}

/** The media session configuration for a negotiated local/remote pair. */
export function mediaSessionConfigFrom(
  local: SessionDescription,
  remote: SessionDescription,
): MediaSessionConfig {
  const media: MediaSectionConfig[] = [];
  for (const l of local.media) {
    const kind = l.kind === 'audio' ? 'audio' : l.kind === 'video' ? 'video' : undefined;
    if (!kind || l.mid === undefined) continue;
    const r = remote.media.find((m) => m.mid === l.mid);
    if (!r || (l.port === 0 && !l.bundleOnly) || (r.port === 0 && !r.bundleOnly)) continue;
    const direction = agreedDirection(l, r);
    // Extension ids: the answer's (both sides then use the same ids under BUNDLE).
    const extmap = r.headerExtensions.filter((e) =>
      l.headerExtensions.some((x) => x.uri === e.uri && x.id === e.id),
    );
    media.push({
      mid: l.mid,
      kind,
      direction,
      sendCodecs: codecConfigs(r, l).filter((c) => l.codecs.some((x) => x.payloadType === c.payloadType)),
      receiveCodecs: codecConfigs(l, r),
      extensions: extensionIdsFromExtmap(extmap),
      rtcpReducedSize: l.rtcpReducedSize && r.rtcpReducedSize,
      sendEncodings: sendEncodings(l, direction),
      receiveSsrcs: announcedSsrcs(r),
      receiveRids: r.rids.filter((x) => x.direction === 'send').map((x) => x.id),
    });
  }
  return { media };
}
