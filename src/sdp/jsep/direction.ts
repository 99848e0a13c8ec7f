/** Media directions for offer/answer (RFC 3264 §6.1, RFC 8829 §5.3.1). */
import type { MediaDirection, MediaSection, SessionDescription } from '../types.js';

export function directionFrom(send: boolean, recv: boolean): MediaDirection {
  if (send && recv) return 'sendrecv';
  if (send) return 'sendonly';
  if (recv) return 'recvonly';
  return 'inactive';
}

export function hasSend(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

export function hasRecv(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'recvonly';
}

/** The direction as seen from the other side: sendonly ↔ recvonly. */
export function reverseDirection(direction: MediaDirection): MediaDirection {
  return directionFrom(hasRecv(direction), hasSend(direction));
}

/** The directions both allow: the intersection of their send and receive halves. */
export function intersectDirections(a: MediaDirection, b: MediaDirection): MediaDirection {
  return directionFrom(hasSend(a) && hasSend(b), hasRecv(a) && hasRecv(b));
}

/**
 * The direction of a section: its own attribute, else a session-level one (Firefox writes `a=sendrecv` at the
 * session level), else `sendrecv` (RFC 3264 §5.1).
 */
export function directionOf(desc: SessionDescription, section: MediaSection): MediaDirection {
  if (section.direction) return section.direction;
  for (const a of desc.attributes) {
    if (a.value === undefined && (a.name === 'sendrecv' || a.name === 'sendonly' || a.name === 'recvonly'))
      return a.name;
    if (a.value === undefined && a.name === 'inactive') return 'inactive';
  }
  return 'sendrecv';
}

/**
 * The answer's direction (RFC 8829 §5.3.1): we send only if we want to and the offerer receives, and receive
 * only if we want to and the offerer sends.
 */
export function answerDirection(offered: MediaDirection, local: MediaDirection): MediaDirection {
  return intersectDirections(reverseDirection(offered), local);
}
