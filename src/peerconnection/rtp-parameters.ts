/**
 * RTCRtpEncodingParameters (W3C webrtc-pc §5.2): the WebIDL conversion of an encoding and the checks
 * addTransceiver() applies to `sendEncodings` (rid grammar, all or none with a rid, ranges), with the
 * TypeError and RangeError the specification names.
 */
import type { RTCPriorityType } from '../datachannel/data-channel.js';
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
