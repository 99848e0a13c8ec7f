/**
 * BUNDLE (RFC 8843) for JSEP: which section's transport a section uses, which sections an initial offer marks
 * `bundle-only` under each bundle policy (RFC 8829 §4.1.1, §5.2.1), and the answer's BUNDLE group.
 */
import type { MediaGroup, MediaKind, MediaSection, SessionDescription } from '../types.js';

export type BundlePolicy = 'balanced' | 'max-compat' | 'max-bundle';

/** The BUNDLE groups of a description. */
export function bundleGroups(desc: SessionDescription): MediaGroup[] {
  return desc.groups.filter((g) => g.semantics === 'BUNDLE');
}

/** The BUNDLE group holding `mid`, or undefined. */
export function bundleGroupOf(desc: SessionDescription, mid: string | undefined): MediaGroup | undefined {
  if (mid === undefined) return undefined;
  return bundleGroups(desc).find((g) => g.mids.includes(mid));
}

/** The tagged mid of a group: the first one, whose section carries the transport (RFC 8843 §7.2.1, §7.3.1). */
export function bundleTag(group: MediaGroup): string | undefined {
  return group.mids[0];
}

/**
 * A section is rejected when its port is 0 and it is not a `bundle-only` section of a BUNDLE group
 * (RFC 8843 §6: a bundle-only section has port 0 yet is wanted).
 */
export function isRejected(desc: SessionDescription, section: MediaSection): boolean {
  if (section.port !== 0) return false;
  return !(section.bundleOnly && bundleGroupOf(desc, section.mid) !== undefined);
}

/**
 * The index of the section whose transport (ICE, DTLS) `index` uses: the tagged section of its BUNDLE group,
 * or itself. Undefined when the index is out of range or the tag names no section.
 */
export function transportSectionIndex(desc: SessionDescription, index: number): number | undefined {
  const section = desc.media[index];
  if (!section) return undefined;
  const group = bundleGroupOf(desc, section.mid);
  const tag = group ? bundleTag(group) : undefined;
  if (tag === undefined) return index;
  const owner = desc.media.findIndex((m) => m.mid === tag);
  return owner >= 0 ? owner : undefined;
}

/**
 * Which sections of an initial offer are `bundle-only` (port 0): none under max-compat; all but the first
 * under max-bundle; under balanced, all but the first of each kind.
 */
export function bundleOnlyForInitialOffer(policy: BundlePolicy, kinds: readonly MediaKind[]): boolean[] {
  const seen = new Set<string>();
  return kinds.map((kind, i) => {
    if (policy === 'max-compat') return false;
    if (policy === 'max-bundle') return i > 0;
    const first = !seen.has(kind);
    seen.add(kind);
    return !first;
  });
}

/** Mark a section `bundle-only` in an offer: port 0 and the attribute (RFC 8843 §7.2). */
export function markBundleOnly(section: MediaSection): void {
  section.port = 0;
  section.bundleOnly = true;
}

export interface AnswerBundle {
  /** The answer's group, with the offerer's tagged mid first; undefined when nothing stays bundled. */
  group: MediaGroup | undefined;
  /** Mids of the offered group that must be rejected in the answer. */
  rejectedMids: string[];
}

/**
 * The answer to an offered BUNDLE group given which mids we accept. The offerer-tagged section becomes our
 * tagged one; if we reject it, every section of the group is rejected (RFC 8843 §7.3.3).
 */
export function answerBundleGroup(offered: MediaGroup, accept: (mid: string) => boolean): AnswerBundle {
  const tag = bundleTag(offered);
  if (tag === undefined || !accept(tag)) return { group: undefined, rejectedMids: [...offered.mids] };
  const mids = offered.mids.filter((m) => accept(m));
  return {
    group: { semantics: 'BUNDLE', mids },
    rejectedMids: offered.mids.filter((m) => !mids.includes(m)),
  };
}
