/**
 * RTCRtpEncodingParameters (W3C webrtc-pc §5.2): the WebIDL conversion of an encoding and the checks
 * addTransceiver() applies to `sendEncodings` (rid grammar, all or none with a rid, ranges), with the
 * TypeError and RangeError the specification names.
 */
import type { RTCPriorityType } from '../datachannel/data-channel.js';
import { mimeTypeOf } from '../sdp/codecs.js';
import type { MediaSection } from '../sdp/types.js';
import { DEGRADATION_PREFERENCES, type RTCDegradationPreference } from './send-adaptation.js';
import { toDictionary, toDOMString, toEnum, toSequence, toUnsigned } from './webidl.js';

export interface RTCRtpEncodingParameters {
  rid?: string;
  active?: boolean;
  maxBitrate?: number;
  maxFramerate?: number;
  scaleResolutionDownBy?: number;
  priority?: RTCPriorityType;
  networkPriority?: RTCPriorityType;
  scalabilityMode?: string;
}

const PRIORITIES: readonly RTCPriorityType[] = ['very-low', 'low', 'medium', 'high'];
/** RFC 8851 §10 rid-id (1*(alpha-numeric / "-" / "_")), at most the 16 bytes RFC 8852's header carries. */
const RID = /^[A-Za-z0-9_-]{1,16}$/;
/** Simulcast layers a sender may have (Chromium's limit). */
export const MAX_ENCODINGS = 4;

function toDouble(value: unknown, what: string): number {
  if (typeof value === 'symbol' || typeof value === 'bigint') throw new TypeError(`${what} must be a number`);
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`${what} must be a finite number`);
  return n;
}

/** WebIDL conversion of one RTCRtpEncodingParameters (members it does not know are dropped). */
export function toEncoding(value: unknown, what: string): RTCRtpEncodingParameters {
  const d = toDictionary(value, what);
  const e: RTCRtpEncodingParameters = { active: d.active === undefined ? true : Boolean(d.active) };
  if (d.maxBitrate !== undefined) e.maxBitrate = toUnsigned(d.maxBitrate, 32, `${what}.maxBitrate`, true);
  if (d.maxFramerate !== undefined) e.maxFramerate = toDouble(d.maxFramerate, `${what}.maxFramerate`);
  if (d.networkPriority !== undefined)
    e.networkPriority = toEnum(d.networkPriority, PRIORITIES, `${what}.networkPriority`);
  e.priority = d.priority === undefined ? 'low' : toEnum(d.priority, PRIORITIES, `${what}.priority`);
  if (d.rid !== undefined) e.rid = toDOMString(d.rid, `${what}.rid`);
  if (d.scalabilityMode !== undefined)
    e.scalabilityMode = toDOMString(d.scalabilityMode, `${what}.scalabilityMode`);
  if (d.scaleResolutionDownBy !== undefined)
    e.scaleResolutionDownBy = toDouble(d.scaleResolutionDownBy, `${what}.scaleResolutionDownBy`);
  return e;
}

/** The ranges every encoding must respect (addTransceiver and setParameters). */
export function checkEncodingRanges(encodings: readonly RTCRtpEncodingParameters[]): void {
  for (const e of encodings) {
    if (e.scaleResolutionDownBy !== undefined && e.scaleResolutionDownBy < 1) {
      throw new RangeError('scaleResolutionDownBy must be at least 1');
    }
    if (e.maxFramerate !== undefined && e.maxFramerate < 0)
      throw new RangeError('maxFramerate must not be negative');
  }
}

/** addTransceiver()'s `sendEncodings`: converted, checked and completed as the W3C steps say. */
export function toSendEncodings(value: unknown, kind: 'audio' | 'video'): RTCRtpEncodingParameters[] {
  const encodings = toSequence(value, 'sendEncodings', (e, i) => toEncoding(e, `sendEncodings[${i}]`));
  const withRid = encodings.filter((e) => e.rid !== undefined);
  for (const e of withRid) {
    if (!RID.test(e.rid!)) throw new TypeError(`rid '${e.rid}' is not 1-16 letters, digits, '-' or '_'`);
  }
  if (withRid.length > 0 && withRid.length < encodings.length) {
    throw new TypeError('either every encoding has a rid or none has');
  }
  if (new Set(withRid.map((e) => e.rid)).size < withRid.length) throw new TypeError('rids must be unique');
  if (kind === 'audio') {
    for (const e of encodings) {
      delete e.scaleResolutionDownBy;
      delete e.maxFramerate;
    }
  }
  checkEncodingRanges(encodings);
  if (encodings.length === 0) return [{ active: true, priority: 'low' }];
  // More layers than supported are dropped from the end; a lone encoding needs no rid.
  encodings.length = Math.min(encodings.length, MAX_ENCODINGS);
  if (encodings.length === 1) delete encodings[0]!.rid;
  if (kind === 'video' && encodings.every((e) => e.scaleResolutionDownBy === undefined)) {
    encodings.forEach((e, i) => {
      e.scaleResolutionDownBy = 2 ** (encodings.length - i - 1);
    });
  }
  return encodings;
}

/** RTCRtpCodec / RTCRtpCodecParameters (W3C §5.2.4): a negotiated codec with its payload type. */
export interface RTCRtpCodecParameters {
  payloadType: number;
  mimeType: string;
  clockRate: number;
  channels?: number;
  sdpFmtpLine?: string;
}

export interface RTCRtpHeaderExtensionParameters {
  uri: string;
  id: number;
  encrypted?: boolean;
}

export interface RTCRtcpParameters {
  cname?: string;
  reducedSize?: boolean;
}

export interface RTCRtpParameters {
  headerExtensions: RTCRtpHeaderExtensionParameters[];
  rtcp: RTCRtcpParameters;
  codecs: RTCRtpCodecParameters[];
}

export interface RTCRtpSendParameters extends RTCRtpParameters {
  transactionId: string;
  encodings: RTCRtpEncodingParameters[];
  /** W3C webrtc-extensions: what gives way when bandwidth is short (default 'balanced'). */
  degradationPreference?: RTCDegradationPreference;
}

export type RTCRtpReceiveParameters = RTCRtpParameters;

/** The members setParameters() may not change (W3C: read-only parameters), comparable as text. */
function readOnlyView(p: RTCRtpSendParameters): string {
  return canonical({
    codecs: p.codecs,
    headerExtensions: p.headerExtensions,
    rtcp: p.rtcp,
    rids: p.encodings.map((e) => e.rid ?? null),
  });
}

/** JSON with object keys sorted, so that member order does not matter. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function toParameters(value: unknown): { d: Record<string, unknown>; encodings: RTCRtpEncodingParameters[] } {
  const d = toDictionary(value, 'RTCRtpSendParameters');
  if (d.encodings === undefined) throw new TypeError('RTCRtpSendParameters.encodings is required');
  const encodings = toSequence(d.encodings, 'encodings', (e, i) => toEncoding(e, `encodings[${i}]`));
  return { d, encodings };
}

/**
 * setParameters()'s checks (W3C §5.2): against the parameters getParameters() last returned (InvalidStateError
 * when there are none, InvalidModificationError for another transaction, a changed encoding count or order,
 * a changed read-only member) and the ranges (RangeError). Returns the encodings to apply.
 */
export function checkSetParameters(
  value: unknown,
  last: RTCRtpSendParameters | null,
  kind: 'audio' | 'video',
): { encodings: RTCRtpEncodingParameters[]; degradationPreference: RTCDegradationPreference | undefined } {
  const { d, encodings } = toParameters(value);
  const degradationPreference =
    d.degradationPreference === undefined
      ? undefined
      : toEnum(d.degradationPreference, DEGRADATION_PREFERENCES, 'degradationPreference');
  if (last === null) {
    throw new DOMException(
      'setParameters() needs the parameters of a getParameters() call in this task',
      'InvalidStateError',
    );
  }
  const next: RTCRtpSendParameters = {
    transactionId: toDOMString(d.transactionId, 'transactionId'),
    encodings,
    codecs: (d.codecs ?? last.codecs) as RTCRtpCodecParameters[],
    headerExtensions: (d.headerExtensions ?? last.headerExtensions) as RTCRtpHeaderExtensionParameters[],
    rtcp: (d.rtcp ?? last.rtcp) as RTCRtcpParameters,
  };
  const modification = (message: string) => new DOMException(message, 'InvalidModificationError');
  if (next.transactionId !== last.transactionId) {
    throw modification('transactionId is not the one getParameters() returned last');
  }
  if (encodings.length !== last.encodings.length) throw modification('the number of encodings cannot change');
  if (readOnlyView(next) !== readOnlyView(last)) {
    throw modification("codecs, headerExtensions, rtcp and the encodings' rids are read-only");
  }
  if (kind === 'audio') {
    for (const e of encodings) {
      delete e.scaleResolutionDownBy;
      delete e.maxFramerate;
    }
  }
  checkEncodingRanges(encodings);
  return { encodings, degradationPreference };
}

/** The codecs, header extensions and RTCP settings a negotiated section gives a sender or receiver. */
export function parametersOf(
  section: MediaSection,
  kind: 'audio' | 'video',
  cname?: string,
): RTCRtpParameters {
  return {
    codecs: section.codecs.map((c) => {
      const codec: RTCRtpCodecParameters = {
        payloadType: c.payloadType,
        mimeType: mimeTypeOf(kind, c),
        clockRate: c.clockRate,
      };
      if (c.channels !== undefined) codec.channels = c.channels;
      const fmtp = Object.entries(c.parameters)
        .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
        .join(';');
      if (fmtp) codec.sdpFmtpLine = fmtp;
      return codec;
    }),
    headerExtensions: section.headerExtensions.map((h) => ({ uri: h.uri, id: h.id })),
    rtcp:
      cname === undefined
        ? { reducedSize: section.rtcpReducedSize }
        : { cname, reducedSize: section.rtcpReducedSize },
  };
}
