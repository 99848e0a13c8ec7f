/**
 * Typed access to the header extensions WebRTC negotiates. Ids are per session (`a=extmap`), so callers
 * pass the id map they negotiated.
 */
import {
  type AudioLevel,
  type PlayoutDelay,
  parseAbsSendTime,
  parseAudioLevel,
  parsePlayoutDelay,
  parseSdesItem,
  parseToffset,
  parseTransportSequenceNumber,
  RTP_EXTENSION_URI,
  type RtpHeaderExtension,
  serializeAbsSendTime,
  serializeAudioLevel,
  serializePlayoutDelay,
  serializeSdesItem,
  serializeToffset,
  serializeTransportSequenceNumber,
} from './header-extensions.js';

/** Negotiated local ids of the typed extensions (absent = not negotiated). */
export interface RtpExtensionIds {
  mid?: number;
  rid?: number;
  repairedRid?: number;
  absSendTime?: number;
  transportWideCc?: number;
  audioLevel?: number;
  toffset?: number;
  playoutDelay?: number;
}

/** Decoded values; a field is present when its extension was negotiated, present and well formed. */
export interface RtpExtensionValues {
  mid?: string;
  rid?: string;
  repairedRid?: string;
  /** Raw 24-bit 6.18 fixed-point seconds. */
  absSendTime?: number;
  transportSequenceNumber?: number;
  audioLevel?: AudioLevel;
  toffset?: number;
  playoutDelay?: PlayoutDelay;
}

/** Build the id map from SDP `a=extmap` pairs (id, uri). Unknown URIs are ignored. */
export function extensionIdsFromExtmap(extmap: Iterable<{ id: number; uri: string }>): RtpExtensionIds {
  const ids: RtpExtensionIds = {};
  const byUri = new Map<string, keyof RtpExtensionIds>(
    Object.entries(RTP_EXTENSION_URI).map(([k, uri]) => [uri, k as keyof RtpExtensionIds]),
  );
  for (const { id, uri } of extmap) {
    const key = byUri.get(uri);
    if (key) ids[key] = id;
  }
  return ids;
}

/** Decode the typed extensions of a packet's elements; malformed elements are skipped. */
export function readExtensions(
  extensions: readonly RtpHeaderExtension[],
  ids: RtpExtensionIds,
): RtpExtensionValues {
  const v: RtpExtensionValues = {};
  for (const e of extensions) {
    try {
      switch (e.id) {
        case ids.mid:
          v.mid = parseSdesItem(e.data);
          break;
        case ids.rid:
          v.rid = parseSdesItem(e.data);
          break;
        case ids.repairedRid:
          v.repairedRid = parseSdesItem(e.data);
          break;
        case ids.absSendTime:
          v.absSendTime = parseAbsSendTime(e.data);
          break;
        case ids.transportWideCc:
          v.transportSequenceNumber = parseTransportSequenceNumber(e.data);
          break;
        case ids.audioLevel:
          v.audioLevel = parseAudioLevel(e.data);
          break;
        case ids.toffset:
          v.toffset = parseToffset(e.data);
          break;
        case ids.playoutDelay:
          v.playoutDelay = parsePlayoutDelay(e.data);
          break;
      }
    } catch {
      // a malformed element is ignored, as a receiver must (RFC 8285 §4.1)
    }
  }
  return v;
}

/** Encode typed values into elements, in a stable order, for the negotiated ids only. */
export function writeExtensions(values: RtpExtensionValues, ids: RtpExtensionIds): RtpHeaderExtension[] {
  const out: RtpHeaderExtension[] = [];
  const add = (id: number | undefined, data: () => Uint8Array): void => {
    if (id !== undefined) out.push({ id, data: data() });
  };
  if (values.mid !== undefined) add(ids.mid, () => serializeSdesItem(values.mid!));
  if (values.rid !== undefined) add(ids.rid, () => serializeSdesItem(values.rid!));
  if (values.repairedRid !== undefined) add(ids.repairedRid, () => serializeSdesItem(values.repairedRid!));
  if (values.absSendTime !== undefined) add(ids.absSendTime, () => serializeAbsSendTime(values.absSendTime!));
  if (values.transportSequenceNumber !== undefined)
    add(ids.transportWideCc, () => serializeTransportSequenceNumber(values.transportSequenceNumber!));
  if (values.audioLevel !== undefined) add(ids.audioLevel, () => serializeAudioLevel(values.audioLevel!));
  if (values.toffset !== undefined) add(ids.toffset, () => serializeToffset(values.toffset!));
  if (values.playoutDelay !== undefined)
    add(ids.playoutDelay, () => serializePlayoutDelay(values.playoutDelay!));
  return out;
}
