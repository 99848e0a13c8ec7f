/**
 * What a remote description must satisfy beyond its syntax and JSEP shape, and the repairs browsers make
 * before they check it: sections without a=mid get one (an answer's from the offer, by position), and no
 * two sections may carry the same track (RFC 8830 §2).
 */
import { operationError } from '../common/errors.js';
import type { Fingerprint, SessionDescription } from '../sdp/types.js';

/**
 * Give every m-section without a=mid one, as libwebrtc does: an answer's comes from the offer's section at
 * the same index; an offer's is its index (or the first free number after it).
 */
export function fillMissingMids(desc: SessionDescription, offer: SessionDescription | undefined): void {
  const used = new Set(desc.media.flatMap((m) => (m.mid === undefined ? [] : [m.mid])));
  desc.media.forEach((m, i) => {
    if (m.mid !== undefined) return;
    let mid = offer ? offer.media[i]?.mid : undefined;
    if (mid === undefined || used.has(mid)) {
      let n = i;
      while (used.has(String(n))) n++;
      mid = String(n);
    }
    m.mid = mid;
    used.add(mid);
  });
}

/** OperationError when two used sections carry the same (stream id, track id) pair. */
export function assertUniqueMsids(desc: SessionDescription): void {
  const seen = new Set<string>();
  for (const m of desc.media) {
    if (m.port === 0 && !m.bundleOnly) continue;
    for (const msid of m.msids) {
      if (msid.trackId === undefined) continue;
      const key = `${msid.streamId} ${msid.trackId}`;
      if (seen.has(key)) throw operationError(`two m-sections carry the same a=msid:${key}`);
      seen.add(key);
    }
  }
}

/** A fingerprint as compared across descriptions (algorithm and value, case-insensitive). */
export function fingerprintKey(f: Fingerprint): string {
  return `${f.algorithm.toLowerCase()} ${f.value.toLowerCase()}`;
}
