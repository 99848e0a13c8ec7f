/** Mids and m-line slots for (re-)offers (RFC 8829 §5.2.1, §5.2.2). */
import type { SessionDescription } from '../types.js';
import { isRejected } from './bundle.js';

/** The lowest non-negative integer mid not in `used` (browsers use "0", "1", …). */
export function nextMid(used: Iterable<string>): string {
  const taken = new Set(used);
  let n = 0;
  while (taken.has(String(n))) n++;
  return String(n);
}

/** Every mid of a description. */
export function midsOf(desc: SessionDescription): string[] {
  return desc.media.flatMap((m) => (m.mid === undefined ? [] : [m.mid]));
}

/**
 * Indexes of rejected sections a new transceiver or data channel may take over in a re-offer (JSEP §5.2.2:
 * m-lines are never removed, rejected ones are recycled with a new mid). Bundle-only sections are not rejected.
 */
export function recyclableSectionIndices(desc: SessionDescription): number[] {
  const out: number[] = [];
  desc.media.forEach((m, i) => {
    if (isRejected(desc, m)) out.push(i);
  });
  return out;
}
