/**
 * Codec facts the SDP layer needs: RFC 3551's static payload types, RTX pairs (`apt`), and when two codec
 * descriptions are the same format (name, clock, channels, and the fmtp parameters that change the format).
 */
import type { Rtpmap } from './attributes.js';
import { sameH264Format } from './h264.js';
import type { Codec, MediaKind } from './types.js';

const STATIC: Readonly<Record<number, Rtpmap>> = {
  0: { payloadType: 0, name: 'PCMU', clockRate: 8000 },
  3: { payloadType: 3, name: 'GSM', clockRate: 8000 },
  4: { payloadType: 4, name: 'G723', clockRate: 8000 },
  5: { payloadType: 5, name: 'DVI4', clockRate: 8000 },
  6: { payloadType: 6, name: 'DVI4', clockRate: 16000 },
  7: { payloadType: 7, name: 'LPC', clockRate: 8000 },
  8: { payloadType: 8, name: 'PCMA', clockRate: 8000 },
  9: { payloadType: 9, name: 'G722', clockRate: 8000 },
  10: { payloadType: 10, name: 'L16', clockRate: 44100, channels: 2 },
  11: { payloadType: 11, name: 'L16', clockRate: 44100 },
  12: { payloadType: 12, name: 'QCELP', clockRate: 8000 },
  13: { payloadType: 13, name: 'CN', clockRate: 8000 },
  14: { payloadType: 14, name: 'MPA', clockRate: 90000 },
  15: { payloadType: 15, name: 'G728', clockRate: 8000 },
  16: { payloadType: 16, name: 'DVI4', clockRate: 11025 },
  17: { payloadType: 17, name: 'DVI4', clockRate: 22050 },
  18: { payloadType: 18, name: 'G729', clockRate: 8000 },
  25: { payloadType: 25, name: 'CelB', clockRate: 90000 },
  26: { payloadType: 26, name: 'JPEG', clockRate: 90000 },
  28: { payloadType: 28, name: 'nv', clockRate: 90000 },
  31: { payloadType: 31, name: 'H261', clockRate: 90000 },
  32: { payloadType: 32, name: 'MPV', clockRate: 90000 },
  33: { payloadType: 33, name: 'MP2T', clockRate: 90000 },
  34: { payloadType: 34, name: 'H263', clockRate: 90000 },
};

/** The RFC 3551 mapping of a static payload type (0–34), or undefined. */
export function staticPayloadType(payloadType: number): Rtpmap | undefined {
  const s = STATIC[payloadType];
  return s ? { ...s } : undefined;
}

/** `audio/opus`, `video/H264`: the W3C mimeType of a codec in a section of this kind. */
export function mimeTypeOf(kind: MediaKind, codec: Pick<Codec, 'name'>): string {
  return `${kind}/${codec.name}`;
}

export function isRtx(codec: Pick<Codec, 'name'>): boolean {
  return codec.name.toLowerCase() === 'rtx';
}

/** Codecs that carry no media of their own: retransmission, redundancy and forward error correction. */
export function isResilienceCodec(codec: Pick<Codec, 'name'>): boolean {
  const n = codec.name.toLowerCase();
  return n === 'rtx' || n === 'red' || n === 'ulpfec' || n === 'flexfec-03';
}

/** The payload type an RTX codec repairs (`apt`), or undefined. */
export function rtxAssociatedPayloadType(codec: Codec): number | undefined {
  if (!isRtx(codec)) return undefined;
  const apt = codec.parameters.apt;
  if (apt === undefined || !/^\d{1,3}$/.test(apt)) return undefined;
  const n = Number(apt);
  return n <= 127 ? n : undefined;
}

/** The RTX codec that repairs `payloadType` in this list, or undefined. */
export function rtxFor(codecs: readonly Codec[], payloadType: number): Codec | undefined {
  return codecs.find((c) => rtxAssociatedPayloadType(c) === payloadType);
}

/** Channels, with RFC 4566's default of 1 for audio (video has none). */
function channelsOf(kind: MediaKind, codec: Pick<Codec, 'channels'>): number | undefined {
  return codec.channels ?? (kind === 'audio' ? 1 : undefined);
}

function sameProfileParameter(a: Record<string, string>, b: Record<string, string>, key: string): boolean {
  return (a[key] ?? '0') === (b[key] ?? '0');
}

/**
 * True when both describe the same media format: equal name (case-insensitive), clock rate and channels, and,
 * where the format depends on fmtp, equal profile: H.264 profile + packetization-mode, VP9 `profile-id`, AV1
 * `profile`, H.265 `profile-id`. RTX is matched through its primary by the caller.
 */
export function sameCodecFormat(
  kind: MediaKind,
  a: Pick<Codec, 'name' | 'clockRate' | 'channels' | 'parameters'>,
  b: Pick<Codec, 'name' | 'clockRate' | 'channels' | 'parameters'>,
): boolean {
  if (a.name.toLowerCase() !== b.name.toLowerCase() || a.clockRate !== b.clockRate) return false;
  if (channelsOf(kind, a) !== channelsOf(kind, b)) return false;
  switch (a.name.toLowerCase()) {
    case 'h264':
      return sameH264Format(a.parameters, b.parameters);
    case 'vp9':
    case 'h265':
      return sameProfileParameter(a.parameters, b.parameters, 'profile-id');
    case 'av1':
      return sameProfileParameter(a.parameters, b.parameters, 'profile');
    default:
      return true;
  }
}

/** The lowest dynamic payload type (96–127, then 35–63 as RFC 8829 §5.2.1 allows) not in `used`. */
export function freeDynamicPayloadType(used: ReadonlySet<number>): number | undefined {
  for (let pt = 96; pt <= 127; pt++) if (!used.has(pt)) return pt;
  for (let pt = 63; pt >= 35; pt--) if (!used.has(pt)) return pt;
  return undefined;
}
