/**
 * RTP header extensions (RFC 8285): the one-byte (0xBEDE) and two-byte (0x100X) element forms, and typed
 * codecs for the extensions WebRTC uses. Elements are views into the packet, never copies.
 */
import { ProtocolError } from '../common/errors.js';

/** One extension element: local id (from `a=extmap`) and its data (a view). */
export interface RtpHeaderExtension {
  id: number;
  data: Uint8Array;
}

export const ONE_BYTE_PROFILE = 0xbede;
/** Two-byte profile 0x100 followed by 4 application bits (RFC 8285 §4.3). */
export const TWO_BYTE_PROFILE = 0x1000;

export function isOneByteProfile(profile: number): boolean {
  return profile === ONE_BYTE_PROFILE;
}
export function isTwoByteProfile(profile: number): boolean {
  return (profile & 0xfff0) === TWO_BYTE_PROFILE;
}

/** The URIs negotiated in SDP `a=extmap` lines for the typed extensions below. */
export const RTP_EXTENSION_URI = {
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  rid: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  repairedRid: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  absSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  transportWideCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  toffset: 'urn:ietf:params:rtp-hdrext:toffset',
  playoutDelay: 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
} as const;

/**
 * Parse the extension block body (after the 4-byte profile/length word) into elements.
 * Throws ProtocolError when an element runs past the block.
 */
export function parseExtensionElements(profile: number, block: Uint8Array): RtpHeaderExtension[] {
  const out: RtpHeaderExtension[] = [];
  const end = block.byteLength;
  let at = 0;
  if (isOneByteProfile(profile)) {
    while (at < end) {
      const b = block[at]!;
      const id = b >> 4;
      if (id === 0) {
        at++; // padding byte (an id of 0 is padding whatever its length nibble)
        continue;
      }
      if (id === 15) break; // reserved: stop processing (RFC 8285 §4.2)
      const len = (b & 0x0f) + 1;
      if (at + 1 + len > end) throw new ProtocolError('RTP one-byte extension element overruns the block');
      out.push({ id, data: block.subarray(at + 1, at + 1 + len) });
      at += 1 + len;
    }
  } else if (isTwoByteProfile(profile)) {
    while (at < end) {
      const id = block[at]!;
      if (id === 0) {
        at++;
        continue;
      }
      if (at + 2 > end) throw new ProtocolError('RTP two-byte extension header truncated');
      const len = block[at + 1]!;
      if (at + 2 + len > end) throw new ProtocolError('RTP two-byte extension element overruns the block');
      out.push({ id, data: block.subarray(at + 2, at + 2 + len) });
      at += 2 + len;
    }
  }
  return out;
}

/** Whether the elements fit the one-byte form (ids 1–14, 1–16 bytes each). */
export function fitsOneByteForm(extensions: readonly RtpHeaderExtension[]): boolean {
  for (const e of extensions) {
    if (e.id < 1 || e.id > 14 || e.data.byteLength < 1 || e.data.byteLength > 16) return false;
  }
  return true;
}

/** Body length in bytes (padded to 4) of the elements written in the given form. */
export function extensionBlockLength(extensions: readonly RtpHeaderExtension[], oneByte: boolean): number {
  let n = 0;
  for (const e of extensions) n += (oneByte ? 1 : 2) + e.data.byteLength;
  return (n + 3) & ~3;
}

/** Write elements at `offset`; zero-pads to a 4-byte boundary; returns bytes written. */
export function writeExtensionElements(
  extensions: readonly RtpHeaderExtension[],
  oneByte: boolean,
  out: Uint8Array,
  offset: number,
): number {
  let at = offset;
  for (const e of extensions) {
    const len = e.data.byteLength;
    if (oneByte) {
      if (e.id < 1 || e.id > 14 || len < 1 || len > 16)
        throw new RangeError(`extension ${e.id} does not fit one-byte form`);
      out[at++] = (e.id << 4) | (len - 1);
    } else {
      if (e.id < 1 || e.id > 255 || len > 255)
        throw new RangeError(`extension ${e.id} does not fit two-byte form`);
      out[at++] = e.id;
      out[at++] = len;
    }
    out.set(e.data, at);
    at += len;
  }
  while ((at - offset) & 3) out[at++] = 0;
  return at - offset;
}

// ---- typed codecs -------------------------------------------------------------------------------------

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** `mid`, `rid` and `repaired-rid` carry an SDES-style identifier as UTF-8 bytes. */
export function parseSdesItem(data: Uint8Array): string {
  let end = data.byteLength;
  while (end > 0 && data[end - 1] === 0) end--; // some senders pad with NULs
  return utf8Decoder.decode(data.subarray(0, end));
}
export function serializeSdesItem(value: string): Uint8Array {
  return utf8Encoder.encode(value);
}

/** abs-send-time: 24-bit 6.18 fixed-point seconds. Returns the raw 24-bit value. */
export function parseAbsSendTime(data: Uint8Array): number {
  if (data.byteLength < 3) throw new ProtocolError('abs-send-time shorter than 3 bytes');
  return (data[0]! << 16) | (data[1]! << 8) | data[2]!;
}
export function serializeAbsSendTime(value24: number): Uint8Array {
  return Uint8Array.of((value24 >>> 16) & 0xff, (value24 >>> 8) & 0xff, value24 & 0xff);
}
/** Convert a time in milliseconds to the 24-bit abs-send-time value (wraps every 64 s). */
export function absSendTimeFromMs(ms: number): number {
  return Math.round((ms * 262.144) % 0x1000000) & 0xffffff; // 2^18 / 1000 units per ms
}

/** transport-wide-cc: the 16-bit transport-wide sequence number. */
export function parseTransportSequenceNumber(data: Uint8Array): number {
  if (data.byteLength < 2) throw new ProtocolError('transport-wide-cc shorter than 2 bytes');
  return (data[0]! << 8) | data[1]!;
}
export function serializeTransportSequenceNumber(seq: number): Uint8Array {
  return Uint8Array.of((seq >>> 8) & 0xff, seq & 0xff);
}

/** RFC 6464 client-to-mixer audio level: voice-activity flag and level in -dBov (0..127). */
export interface AudioLevel {
  voiceActivity: boolean;
  level: number;
}
export function parseAudioLevel(data: Uint8Array): AudioLevel {
  if (data.byteLength < 1) throw new ProtocolError('ssrc-audio-level is empty');
  return { voiceActivity: (data[0]! & 0x80) !== 0, level: data[0]! & 0x7f };
}
export function serializeAudioLevel(value: AudioLevel): Uint8Array {
  return Uint8Array.of((value.voiceActivity ? 0x80 : 0) | (value.level & 0x7f));
}

/** RFC 5450 transmission time offset: a signed 24-bit number of RTP clock ticks. */
export function parseToffset(data: Uint8Array): number {
  if (data.byteLength < 3) throw new ProtocolError('toffset shorter than 3 bytes');
  return (((data[0]! << 16) | (data[1]! << 8) | data[2]!) << 8) >> 8;
}
export function serializeToffset(offset: number): Uint8Array {
  return Uint8Array.of((offset >> 16) & 0xff, (offset >> 8) & 0xff, offset & 0xff);
}

/** playout-delay: minimum and maximum delay in milliseconds (12-bit fields in 10 ms units). */
export interface PlayoutDelay {
  minMs: number;
  maxMs: number;
}
export function parsePlayoutDelay(data: Uint8Array): PlayoutDelay {
  if (data.byteLength < 3) throw new ProtocolError('playout-delay shorter than 3 bytes');
  const v = (data[0]! << 16) | (data[1]! << 8) | data[2]!;
  return { minMs: (v >>> 12) * 10, maxMs: (v & 0xfff) * 10 };
}
export function serializePlayoutDelay(value: PlayoutDelay): Uint8Array {
  const min = Math.min(0xfff, Math.round(value.minMs / 10));
  const max = Math.min(0xfff, Math.round(value.maxMs / 10));
  const v = (min << 12) | max;
  return Uint8Array.of((v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}
