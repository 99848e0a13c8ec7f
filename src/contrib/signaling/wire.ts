/**
 * aiortc's signaling wire format (`aiortc.contrib.signaling.object_to_string` / `object_from_string`): one JSON
 * object per message, keys sorted, Python's `json.dumps` separators, so a tsrtc peer and an aiortc peer can
 * talk over the same pipe, socket or copy-and-paste session.
 */
import { RTCIceCandidate } from '../../ice/candidate.js';
import { RTCSessionDescription } from '../../peerconnection/session-description.js';

/** The "remote party hung up" sentinel (aiortc's `BYE`). */
export class SignalingBye {
  readonly type = 'bye';
}
export const BYE: SignalingBye = new SignalingBye();

export type SignalingObject = RTCSessionDescription | RTCIceCandidate | SignalingBye;

/** 256 KiB: an SDP with hundreds of m-lines still fits; anything larger is refused, not buffered. */
export const MAX_SIGNALING_MESSAGE_BYTES = 256 * 1024;

/** A malformed, unknown or oversized signaling message. The channel stays usable after one. */
export class SignalingError extends Error {
  constructor(
    message: string,
    readonly code: 'malformed' | 'oversize' | 'connection',
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

/** Like Python's `json.dumps(obj, sort_keys=True)`: `", "` and `": "` separators, non-ASCII as \uXXXX. */
function pythonJson(fields: Record<string, string | number | null>): string {
  const body = Object.keys(fields)
    .sort()
    .map((k) => `${JSON.stringify(k)}: ${JSON.stringify(fields[k])}`)
    .join(', ');
  return `{${body}}`.replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function objectToString(obj: SignalingObject): string {
  if (obj instanceof RTCSessionDescription) return pythonJson({ sdp: obj.sdp, type: obj.type });
  if (obj instanceof RTCIceCandidate) {
    const attribute = obj.candidate.replace(/^a=/, '');
    return pythonJson({
      candidate:
        attribute === '' || attribute.startsWith('candidate:') ? attribute : `candidate:${attribute}`,
      id: obj.sdpMid,
      label: obj.sdpMLineIndex,
      type: 'candidate',
    });
  }
  if (obj instanceof SignalingBye) return pythonJson({ type: 'bye' });
  throw new TypeError('objectToString: expected an RTCSessionDescription, an RTCIceCandidate or BYE');
}

function describe(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 60)}…` : oneLine;
}

/**
 * Parse one message. Throws SignalingError (never anything else) for invalid JSON, an unknown type, missing or
 * mistyped fields, or a text over `maxBytes` UTF-8 bytes. An empty `candidate` is end-of-candidates.
 */
export function objectFromString(text: string, maxBytes = MAX_SIGNALING_MESSAGE_BYTES): SignalingObject {
  if (Buffer.byteLength(text, 'utf8') > maxBytes)
    throw new SignalingError(`signaling message over ${maxBytes} bytes refused`, 'oversize');
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw new SignalingError(`signaling message is not JSON: "${describe(text)}"`, 'malformed');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message))
    throw new SignalingError(`signaling message is not a JSON object: "${describe(text)}"`, 'malformed');
  const m = message as Record<string, unknown>;
  switch (m.type) {
    case 'offer':
    case 'answer':
    case 'pranswer':
    case 'rollback':
      if (typeof m.sdp !== 'string' && !(m.type === 'rollback' && m.sdp === undefined))
        throw new SignalingError(`signaling ${m.type} has no "sdp" string`, 'malformed');
      return new RTCSessionDescription({ type: m.type, sdp: typeof m.sdp === 'string' ? m.sdp : '' });
    case 'candidate':
      return candidateFrom(m);
    case 'bye':
      return BYE;
    default:
      throw new SignalingError(`signaling message has unknown type ${JSON.stringify(m.type)}`, 'malformed');
  }
}

function candidateFrom(m: Record<string, unknown>): RTCIceCandidate {
  const { candidate, id, label } = m;
  if (typeof candidate !== 'string')
    throw new SignalingError('signaling candidate has no "candidate" string', 'malformed');
  if (id !== undefined && id !== null && typeof id !== 'string')
    throw new SignalingError('signaling candidate "id" (sdpMid) must be a string or null', 'malformed');
  if (label !== undefined && label !== null && !(Number.isInteger(label) && (label as number) >= 0))
    throw new SignalingError(
      'signaling candidate "label" (sdpMLineIndex) must be an integer ≥ 0',
      'malformed',
    );
  const sdpMid = (id as string | null | undefined) ?? null;
  const sdpMLineIndex = (label as number | null | undefined) ?? null;
  if (sdpMid === null && sdpMLineIndex === null)
    throw new SignalingError('signaling candidate has neither "id" nor "label"', 'malformed');
  const trimmed = candidate.trim().replace(/^a=/, '');
  try {
    const parsed = new RTCIceCandidate({ candidate: trimmed, sdpMid, sdpMLineIndex });
    if (trimmed !== '' && parsed.parsed === undefined) throw new TypeError('unparsable');
    return parsed;
  } catch {
    throw new SignalingError(
      `signaling candidate is not an ICE candidate: "${describe(candidate)}"`,
      'malformed',
    );
  }
}
