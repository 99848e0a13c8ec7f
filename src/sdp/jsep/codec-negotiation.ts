/**
 * Codec lists for offers and answers (RFC 8829 §5.2.1, §5.3.1): payload types in an offer, and the
 * intersection of an offer with what we support for an answer — keeping the offerer's payload types and order,
 * matching H.264 by profile and packetization mode, RTX following its primary, RED following its parts.
 */
import {
  freeDynamicPayloadType,
  isResilienceCodec,
  isRtx,
  rtxAssociatedPayloadType,
  sameCodecFormat,
  staticPayloadType,
} from '../codecs.js';
import { h264AnswerProfileLevelId } from '../h264.js';
import type { Codec, MediaKind, RtcpFeedback } from '../types.js';

/** A codec we support, in W3C RTCRtpCodec style (`mimeType` is `audio/opus`, `video/H264`, `video/rtx`, …). */
export interface LocalCodec {
  mimeType: string;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string>;
  rtcpFeedback?: RtcpFeedback[];
  /** The payload type to use in our offers; a free dynamic one is chosen when absent. */
  preferredPayloadType?: number;
  /** The payload type of this codec's RTX in our offers (re-offers keep the negotiated one). */
  preferredRtxPayloadType?: number;
}

function nameOf(local: LocalCodec): string {
  const slash = local.mimeType.indexOf('/');
  return slash < 0 ? local.mimeType : local.mimeType.slice(slash + 1);
}

function asCodec(local: LocalCodec, payloadType: number): Codec {
  const codec: Codec = {
    payloadType,
    name: nameOf(local),
    clockRate: local.clockRate,
    parameters: { ...(local.parameters ?? {}) },
    feedback: (local.rtcpFeedback ?? []).map((f) => ({ ...f })),
  };
  if (local.channels !== undefined) codec.channels = local.channels;
  return codec;
}

function sameFeedback(a: RtcpFeedback, b: RtcpFeedback): boolean {
  return a.type === b.type && (a.parameter ?? '') === (b.parameter ?? '');
}

/** Feedback both sides listed, in the offer's order. */
function intersectFeedback(offered: readonly RtcpFeedback[], local: readonly RtcpFeedback[]): RtcpFeedback[] {
  return offered.filter((o) => local.some((l) => sameFeedback(o, l))).map((f) => ({ ...f }));
}

/** RED's fmtp (`111/111`) names its parts; the answer keeps it only when every part is accepted. */
function redParts(codec: Codec): number[] | undefined {
  const key = Object.keys(codec.parameters)[0];
  if (key === undefined) return [];
  const parts = key.split('/').map(Number);
  return parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 127) ? parts : undefined;
}

/** The fmtp parameters we answer with for a matched codec. */
function answerParameters(offered: Codec, local: LocalCodec): Record<string, string> {
  const name = offered.name.toLowerCase();
  if (name === 'red') return { ...offered.parameters };
  const out: Record<string, string> = { ...(local.parameters ?? {}) };
  if (name === 'h264') {
    const profileLevelId = h264AnswerProfileLevelId(local.parameters ?? {}, offered.parameters);
    if (profileLevelId !== undefined) out['profile-level-id'] = profileLevelId;
    out['packetization-mode'] = offered.parameters['packetization-mode'] ?? '0';
  }
  // The profile is part of the format: answer the offered one.
  for (const key of ['profile-id', 'profile']) {
    const v = offered.parameters[key];
    if (v !== undefined && name !== 'h264') out[key] = v;
  }
  return out;
}

/**
 * The answer's codecs for one offered section: each offered codec we support (offer order, offered payload
 * type), answer fmtp per codec, rtcp-fb the intersection of both (the offer's `rtcp-fb:*` counts), RTX only for
 * accepted primaries and only if we support `rtx`, RED only if all its parts are accepted. Empty when nothing
 * matches: the section must then be rejected.
 */
export function negotiateCodecs(
  kind: MediaKind,
  offered: readonly Codec[],
  local: readonly LocalCodec[],
  offeredWildcardFeedback: readonly RtcpFeedback[] = [],
  /** Order the answer by `local` (setCodecPreferences, JSEP §5.3.1) instead of the offer's order. */
  localOrder = false,
): Codec[] {
  const localRtx = local.find((l) => nameOf(l).toLowerCase() === 'rtx');
  const accepted = new Map<number, Codec>();
  for (const codec of offered) {
    if (isRtx(codec) || codec.name.toLowerCase() === 'red') continue;
    const match = local.find((l) => sameCodecFormat(kind, codec, asCodec(l, codec.payloadType)));
    if (!match) continue;
    const answer: Codec = {
      payloadType: codec.payloadType,
      name: codec.name,
      clockRate: codec.clockRate,
      parameters: answerParameters(codec, match),
      feedback: intersectFeedback([...offeredWildcardFeedback, ...codec.feedback], match.rtcpFeedback ?? []),
    };
    if (codec.channels !== undefined) answer.channels = codec.channels;
    accepted.set(codec.payloadType, answer);
  }
  for (const codec of offered) {
    if (codec.name.toLowerCase() !== 'red') continue;
    const parts = redParts(codec);
    const match = local.find((l) => sameCodecFormat(kind, codec, asCodec(l, codec.payloadType)));
    if (!match || parts === undefined || !parts.every((p) => accepted.has(p))) continue;
    accepted.set(codec.payloadType, {
      ...asCodec(match, codec.payloadType),
      name: codec.name,
      parameters: answerParameters(codec, match),
      feedback: intersectFeedback(codec.feedback, match.rtcpFeedback ?? []),
    });
  }
  const out: Codec[] = [];
  for (const codec of offered) {
    const primary = rtxAssociatedPayloadType(codec);
    if (primary !== undefined) {
      if (localRtx && accepted.has(primary))
        out.push({
          ...asCodec(localRtx, codec.payloadType),
          name: codec.name,
          parameters: { apt: String(primary) },
        });
      continue;
    }
    const answer = accepted.get(codec.payloadType);
    if (answer) out.push(answer);
  }
  return localOrder ? orderByLocal(kind, out, local) : out;
}

/** Primaries in the order of `local`; an RTX or RED entry stays right after the codec it follows. */
function orderByLocal(kind: MediaKind, codecs: Codec[], local: readonly LocalCodec[]): Codec[] {
  const rank = (c: Codec): number => {
    const i = local.findIndex((l) => sameCodecFormat(kind, c, asCodec(l, c.payloadType)));
    return i < 0 ? local.length : i;
  };
  const groups: Codec[][] = [];
  for (const c of codecs) {
    if (isRtx(c) && groups.length > 0) groups[groups.length - 1]!.push(c);
    else groups.push([c]);
  }
  return groups
    .map((g, i) => ({ g, i, r: rank(g[0]!) }))
    .sort((x, y) => x.r - y.r || x.i - y.i)
    .flatMap((x) => x.g);
}

/**
 * Codecs for an offer: our list in preference order with payload types assigned (static ones for the
 * RFC 3551 formats, else `preferredPayloadType`, else free dynamic ones), and an RTX codec after each video
 * primary when `video/rtx` is among `local`. Codecs that do not fit in the payload type space are dropped.
 * `reserved` payload types (another kind's, in the same BUNDLE group) are not used for new assignments.
 */
export function offerCodecs(
  kind: MediaKind,
  local: readonly LocalCodec[],
  reserved: ReadonlySet<number> = new Set(),
): Codec[] {
  const used = new Set<number>(reserved);
  for (const l of local) {
    if (l.preferredPayloadType !== undefined) used.add(l.preferredPayloadType);
    if (l.preferredRtxPayloadType !== undefined) used.add(l.preferredRtxPayloadType);
  }
  const take = (preferred: number | undefined): number | undefined => {
    const pt = preferred ?? freeDynamicPayloadType(used);
    if (pt !== undefined) used.add(pt);
    return pt;
  };
  const rtx = local.find((l) => nameOf(l).toLowerCase() === 'rtx');
  const out: Codec[] = [];
  for (const l of local) {
    if (l === rtx) continue;
    const stat = [...Array(35).keys()].find((pt) => {
      const s = staticPayloadType(pt);
      return s !== undefined && sameCodecFormat(kind, { ...s, parameters: {} }, asCodec(l, pt));
    });
    const pt = l.preferredPayloadType ?? (stat !== undefined && !used.has(stat) ? stat : undefined);
    const payloadType = take(pt);
    if (payloadType === undefined) continue;
    out.push(asCodec(l, payloadType));
    const name = nameOf(l).toLowerCase();
    if (rtx && kind === 'video' && name !== 'ulpfec' && name !== 'flexfec-03') {
      const rtxPt = take(l.preferredRtxPayloadType);
      if (rtxPt !== undefined) out.push({ ...asCodec(rtx, rtxPt), parameters: { apt: String(payloadType) } });
    }
  }
  // Audio RED names its redundant encoding (`111/111`, RFC 2198 as browsers use it): the first real codec.
  const primary = out.find((c) => !isResilienceCodec(c));
  for (const c of out) {
    if (
      c.name.toLowerCase() === 'red' &&
      kind === 'audio' &&
      primary &&
      Object.keys(c.parameters).length === 0
    )
      c.parameters = { [`${primary.payloadType}/${primary.payloadType}`]: '' };
  }
  return out;
}
