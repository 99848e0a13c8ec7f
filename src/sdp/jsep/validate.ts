/**
 * Semantic checks a parsed description must pass before a peer connection applies it (RFC 8829 §5.7/§5.8):
 * unique mids, ICE credentials and DTLS fingerprint for every used transport, a resolved `setup` in answers,
 * BUNDLE groups naming real sections, and answers whose m-lines match the offer's.
 */
import { domError } from '../../common/errors.js';
import type { SessionDescription } from '../types.js';
import { bundleGroups, isRejected, transportSectionIndex } from './bundle.js';
import { fingerprintsOf, iceParametersOf, setupOf } from './transport.js';

export type SdpType = 'offer' | 'pranswer' | 'answer';

export interface SdpProblem {
  /** The W3C error name a browser rejects with for this problem. */
  name: 'OperationError' | 'InvalidAccessError';
  message: string;
  /** The m-section concerned, when there is one. */
  mediaIndex?: number;
}

/** RFC 8839 §5.4 sizes, enforced by browsers. */
const UFRAG = /^[A-Za-z0-9+/]{4,256}$/;
const PWD = /^[A-Za-z0-9+/]{22,256}$/;

function checkSections(desc: SessionDescription, type: SdpType, problems: SdpProblem[]): void {
  const mids = new Set<string>();
  desc.media.forEach((section, i) => {
    if (section.mid !== undefined) {
      if (mids.has(section.mid))
        problems.push({ name: 'OperationError', message: `duplicate a=mid:${section.mid}`, mediaIndex: i });
      mids.add(section.mid);
    }
    if (isRejected(desc, section)) return;
    if (section.mid === undefined)
      problems.push({ name: 'OperationError', message: `m-section ${i} has no a=mid`, mediaIndex: i });
    if (transportSectionIndex(desc, i) !== i) return;
    const ice = iceParametersOf(desc, section);
    if (!ice) {
      problems.push({
        name: 'OperationError',
        message: `m-section ${i} has no ICE ufrag/pwd`,
        mediaIndex: i,
      });
    } else if (!UFRAG.test(ice.usernameFragment) || !PWD.test(ice.password)) {
      problems.push({
        name: 'OperationError',
        message: `m-section ${i}: ICE ufrag must be 4–256 and pwd 22–256 ice-chars`,
        mediaIndex: i,
      });
    }
    if (fingerprintsOf(desc, section).length === 0)
      problems.push({
        name: 'OperationError',
        message: `m-section ${i} has no DTLS fingerprint`,
        mediaIndex: i,
      });
    const setup = setupOf(desc, section);
    if (type !== 'offer' && setup === 'actpass')
      problems.push({
        name: 'OperationError',
        message: `m-section ${i}: an answer cannot say setup:actpass`,
        mediaIndex: i,
      });
  });
  for (const group of bundleGroups(desc)) {
    for (const mid of group.mids) {
      if (!mids.has(mid))
        problems.push({
          name: 'OperationError',
          message: `a=group:BUNDLE names mid ${mid}, which no m-section has`,
        });
    }
  }
}

function checkAnswerMatchesOffer(
  answer: SessionDescription,
  offer: SessionDescription,
  problems: SdpProblem[],
): void {
  if (answer.media.length !== offer.media.length) {
    problems.push({
      name: 'InvalidAccessError',
      message: `the answer has ${answer.media.length} m-sections, the offer ${offer.media.length}`,
    });
    return;
  }
  answer.media.forEach((section, i) => {
    const offered = offer.media[i]!;
    const answerSetup = section.port === 0 ? undefined : setupOf(answer, section);
    const offerSetup = setupOf(offer, offered) ?? 'active';
    // actpass may be answered either way; active needs passive and passive needs active (RFC 4145 §4.1).
    if (
      answerSetup !== undefined &&
      ((offerSetup === 'active' && answerSetup !== 'passive') ||
        (offerSetup === 'passive' && answerSetup !== 'active'))
    )
      problems.push({
        name: 'InvalidAccessError',
        message: `answer m-section ${i}: setup:${answerSetup} does not fit the offered setup:${offerSetup}`,
        mediaIndex: i,
      });
    if (section.kind !== offered.kind || section.mid !== offered.mid)
      problems.push({
        name: 'InvalidAccessError',
        message: `answer m-section ${i} (${section.kind}, mid ${section.mid}) does not match the offer's (${offered.kind}, mid ${offered.mid})`,
        mediaIndex: i,
      });
  });
}

/** Every problem found; empty when the description can be applied. `offer` is needed to check an answer. */
export function validateDescription(
  desc: SessionDescription,
  type: SdpType,
  offer?: SessionDescription,
): SdpProblem[] {
  const problems: SdpProblem[] = [];
  checkSections(desc, type, problems);
  if (type !== 'offer' && offer) checkAnswerMatchesOffer(desc, offer, problems);
  return problems;
}

/** Throw the first problem as its W3C DOMException. */
export function assertValidDescription(
  desc: SessionDescription,
  type: SdpType,
  offer?: SessionDescription,
): void {
  const first = validateDescription(desc, type, offer)[0];
  if (first) throw domError(first.name, first.message);
}
