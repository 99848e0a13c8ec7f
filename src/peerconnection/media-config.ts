/**
 * What a negotiated pair of descriptions means for the media engine: a pure function from the local and
 * remote SDP models to the MediaSession's plain-data configuration (src/rtp/session-config.ts).
 *
 * Per audio/video section (matched by mid, else by position): our effective direction (ours intersected
 * with the peer's reversed); the payload types we send, in the peer's order of preference, limited to
 * formats we offered or answered too; the payload types we accept (ours); RTX pairs where both listed RTX;
 * rtcp-fb both listed; header extension ids both listed; reduced-size when both said rtcp-rsize; our SSRCs
 * from our own a=ssrc / ssrc-group:FID lines (or `options.sendEncodings` when the description has none,
 * e.g. an answer written without them, or RID-only simulcast); the peer's SSRCs and RIDs.
 */
import type { CodecName } from '../media/encoded-frame.js';
import type { RtpExtensionIds } from '../rtp/extension-map.js';
import { RTP_EXTENSION_URI } from '../rtp/header-extensions.js';
import {
  type MediaCodecConfig,
  type MediaSectionConfig,
  type MediaSessionConfig,
  type ReceiveSsrcConfig,
  type RtcpFeedbackConfig,
  type SendEncodingConfig,
  sends,
} from '../rtp/session-config.js';
import { isRtx, rtxFor, sameCodecFormat } from '../sdp/codecs.js';
import { directionOf, intersectDirections, reverseDirection } from '../sdp/jsep/direction.js';
import type {
  HeaderExtension,
  MediaSection,
  RtcpFeedback,
  SessionDescription,
  SsrcAttribute,
  SsrcGroup,
} from '../sdp/types.js';

export interface MediaConfigOptions {
  /**
   * Our send encodings for a section we send on whose local description lists no SSRCs (an answer written
   * without a=ssrc, or RID-only simulcast: `rids` are our a=rid send lines, in order). Sections without
   * either send nothing.
   */
  sendEncodings?: (mid: string, rids: readonly string[]) => SendEncodingConfig[];
}

const CODEC_NAMES: Readonly<Record<string, CodecName>> = {
  opus: 'opus',
  pcmu: 'pcmu',
  pcma: 'pcma',
  g722: 'g722',
  vp8: 'vp8',
  vp9: 'vp9',
  h264: 'h264',
  av1: 'av1',
};

/** The negotiated media configuration of a local/remote description pair. */
export function mediaSessionConfigFrom(
  local: SessionDescription,
  remote: SessionDescription,
  options: MediaConfigOptions = {},
): MediaSessionConfig {
  const media: MediaSectionConfig[] = [];
  local.media.forEach((section, index) => {
    if (section.kind !== 'audio' && section.kind !== 'video') return;
    const peer =
      (section.mid !== undefined ? remote.media.find((m) => m.mid === section.mid) : undefined) ??
      remote.media[index];
    if (!peer || peer.kind !== section.kind || rejected(section) || rejected(peer)) return;
    media.push(sectionConfig(local, section, remote, peer, options));
  });
  return { media };
}

function rejected(section: MediaSection): boolean {
  return section.port === 0 && !section.bundleOnly;
}

function sectionConfig(
  local: SessionDescription,
  section: MediaSection,
  remote: SessionDescription,
  peer: MediaSection,
  options: MediaConfigOptions,
): MediaSectionConfig {
  const kind = section.kind as 'audio' | 'video';
  const mid = section.mid ?? peer.mid ?? '';
  const direction = intersectDirections(
    directionOf(local, section),
    reverseDirection(directionOf(remote, peer)),
  );
  const config: MediaSectionConfig = {
    mid,
    kind,
    direction,
    sendCodecs: matchCodecs(kind, peer, section),
    receiveCodecs: matchCodecs(kind, section, peer),
    extensions: extensionIds(local, section, remote, peer),
    rtcpReducedSize: section.rtcpReducedSize && peer.rtcpReducedSize,
    sendEncodings: [],
    receiveSsrcs: [],
    receiveRids: [],
  };
  if (sends(direction)) {
    const rids = section.rids.filter((r) => r.direction === 'send').map((r) => r.id);
    config.sendEncodings = ssrcEncodings(section.ssrcs, section.ssrcGroups, rids);
    if (config.sendEncodings.length === 0 && options.sendEncodings)
      config.sendEncodings = options.sendEncodings(mid, rids);
  }
  if (direction === 'sendrecv' || direction === 'recvonly') {
    config.receiveSsrcs = ssrcEncodings(peer.ssrcs, peer.ssrcGroups, []).map(
      (e): ReceiveSsrcConfig =>
        e.rtxSsrc === undefined ? { ssrc: e.ssrc } : { ssrc: e.ssrc, rtxSsrc: e.rtxSsrc },
    );
    const order = peer.simulcast?.send?.flatMap((alternatives) => alternatives.map((s) => s.rid));
    const rids = peer.rids.filter((r) => r.direction === 'send').map((r) => r.id);
    config.receiveRids = order ? order.filter((r) => rids.includes(r)) : rids;
  }
  return config;
}

/**
 * Codecs of `from` (its payload types and order) that `other` lists too (same format), with RTX where both
 * list one and the rtcp-fb both list. RTX entries themselves become `rtxPayloadType` fields.
 */
function matchCodecs(kind: 'audio' | 'video', from: MediaSection, other: MediaSection): MediaCodecConfig[] {
  const out: MediaCodecConfig[] = [];
  for (const codec of from.codecs) {
    if (isRtx(codec)) continue;
    const match = other.codecs.find((c) => !isRtx(c) && sameCodecFormat(kind, c, codec));
    if (!match) continue;
    const config: MediaCodecConfig = {
      payloadType: codec.payloadType,
      codec: CODEC_NAMES[codec.name.toLowerCase()],
      name: codec.name,
      clockRate: codec.clockRate,
      parameters: { ...codec.parameters },
      feedback: feedbackOf(
        [...from.wildcardFeedback, ...codec.feedback],
        [...other.wildcardFeedback, ...match.feedback],
      ),
    };
    if (codec.channels !== undefined) config.channels = codec.channels;
    const rtx = rtxFor(from.codecs, codec.payloadType);
    if (rtx && rtxFor(other.codecs, match.payloadType)) config.rtxPayloadType = rtx.payloadType;
    out.push(config);
  }
  return out;
}

function feedbackOf(a: readonly RtcpFeedback[], b: readonly RtcpFeedback[]): RtcpFeedbackConfig {
  const both = (type: string, parameter?: string): boolean => {
    const has = (list: readonly RtcpFeedback[]) =>
      list.some(
        (f) => f.type.toLowerCase() === type && (f.parameter?.toLowerCase() ?? undefined) === parameter,
      );
    return has(a) && has(b);
  };
  return {
    nack: both('nack'),
    pli: both('nack', 'pli'),
    fir: both('ccm', 'fir'),
    remb: both('goog-remb'),
    transportCc: both('transport-cc'),
  };
}

/** Ids of the typed extensions both sides listed (section lines, else session-level ones); ours win. */
function extensionIds(
  local: SessionDescription,
  section: MediaSection,
  remote: SessionDescription,
  peer: MediaSection,
): RtpExtensionIds {
  const ours: HeaderExtension[] = [...section.headerExtensions, ...local.headerExtensions];
  const theirs: HeaderExtension[] = [...peer.headerExtensions, ...remote.headerExtensions];
  const ids: RtpExtensionIds = {};
  for (const [key, uri] of Object.entries(RTP_EXTENSION_URI) as [keyof RtpExtensionIds, string][]) {
    const mine = ours.find((e) => e.uri === uri && e.direction !== 'inactive');
    if (mine && theirs.some((e) => e.uri === uri && e.direction !== 'inactive')) ids[key] = mine.id;
  }
  return ids;
}

/**
 * Streams from a=ssrc and a=ssrc-group lines: each FID group is a media SSRC and its RTX; with a SIM group
 * the layers come in its order (paired with `rids` when their counts agree); other SSRCs stand alone.
 */
function ssrcEncodings(
  attributes: readonly SsrcAttribute[],
  groups: readonly SsrcGroup[],
  rids: readonly string[],
): SendEncodingConfig[] {
  const rtxOf = new Map<number, number>();
  const repairs = new Set<number>();
  for (const g of groups) {
    if (g.semantics.toUpperCase() !== 'FID' || g.ssrcs.length < 2) continue;
    rtxOf.set(g.ssrcs[0]!, g.ssrcs[1]!);
    repairs.add(g.ssrcs[1]!);
  }
  const sim = groups.find((g) => g.semantics.toUpperCase() === 'SIM');
  const order = sim
    ? sim.ssrcs
    : [...new Set(attributes.map((a) => a.ssrc))].filter(
        (ssrc) => !repairs.has(ssrc) && isMediaSsrc(ssrc, groups),
      );
  return order.map((ssrc, i) => {
    const e: SendEncodingConfig = { ssrc };
    const rtx = rtxOf.get(ssrc);
    if (rtx !== undefined) e.rtxSsrc = rtx;
    if (sim && rids.length === order.length) e.rid = rids[i]!;
    return e;
  });
}

/** An SSRC that is not the FEC or RTX member of some group. */
function isMediaSsrc(ssrc: number, groups: readonly SsrcGroup[]): boolean {
  return !groups.some((g) => g.semantics.toUpperCase().startsWith('FEC') && g.ssrcs.indexOf(ssrc) > 0);
}
