/** RTP header extensions (`a=extmap`, RFC 8285) in offers and answers (RFC 8829 §5.2.1, §5.3.1). */
import type { HeaderExtension } from '../types.js';
import { reverseDirection } from './direction.js';

/** A header extension we support; `preferredId` is used in our offers when free. */
export interface LocalHeaderExtension {
  uri: string;
  preferredId?: number;
}

/**
 * The answer's extensions: those offered that we support, with the offered ids. An offered direction is
 * answered reversed (the offerer's `sendonly` is our `recvonly`).
 */
export function negotiateHeaderExtensions(
  offered: readonly HeaderExtension[],
  local: readonly (LocalHeaderExtension | string)[],
): HeaderExtension[] {
  const uris = new Set(local.map((l) => (typeof l === 'string' ? l : l.uri)));
  const out: HeaderExtension[] = [];
  for (const e of offered) {
    if (!uris.has(e.uri) || out.some((o) => o.uri === e.uri)) continue;
    const answer: HeaderExtension = { id: e.id, uri: e.uri };
    if (e.direction) answer.direction = reverseDirection(e.direction);
    out.push(answer);
  }
  return out;
}

/**
 * Ids for our offer: the preferred id when free, else the lowest free one-byte id (1–14), then two-byte ids
 * (15–255, which need `a=extmap-allow-mixed` or the two-byte header). Ids in `taken` (for example those already
 * negotiated in this session) are kept for their URIs.
 */
export function offerHeaderExtensions(
  local: readonly (LocalHeaderExtension | string)[],
  taken: readonly HeaderExtension[] = [],
): HeaderExtension[] {
  const used = new Set<number>(taken.map((t) => t.id));
  for (const l of local) if (typeof l !== 'string' && l.preferredId !== undefined) used.add(l.preferredId);
  const out: HeaderExtension[] = [];
  for (const l of local) {
    const uri = typeof l === 'string' ? l : l.uri;
    const known = taken.find((t) => t.uri === uri);
    let id = known?.id ?? (typeof l === 'string' ? undefined : l.preferredId);
    if (id === undefined) {
      for (let candidate = 1; candidate <= 255; candidate++) {
        if (!used.has(candidate)) {
          id = candidate;
          break;
        }
      }
    }
    if (id === undefined) continue;
    used.add(id);
    out.push({ id, uri });
  }
  return out;
}
