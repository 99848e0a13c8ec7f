/**
 * Remote ICE candidates (W3C addIceCandidate): matched to the section they name, recorded there so the
 * remote description shows them, and given to the transport of ours that section meets (the transport of
 * its BUNDLE tag, or its own). End-of-candidates likewise, per section or for all of them. Candidates that a
 * remote description carries reach the transports through `ConnectionTransports` (`followRemoteIce`,
 * `apply`).
 */
import { operationError } from '../common/errors.js';
import { RTCIceCandidate, type RTCIceCandidateInit } from '../ice/candidate.js';
import { transportSectionIndex } from '../sdp/jsep/bundle.js';
import { sectionIndexFor } from '../sdp/jsep/index.js';
import type { SessionDescription } from '../sdp/types.js';
import type { ConnectionTransports } from './transports.js';

/** The mid of the section whose transport section `index` of a remote description uses. */
function transportMid(model: SessionDescription, index: number): string | undefined {
  return model.media[transportSectionIndex(model, index) ?? index]?.mid;
}

/** Add one remote candidate (`null` or an empty one: end of candidates). Throws OperationError (W3C). */
export function addRemoteCandidate(
  model: SessionDescription,
  init: RTCIceCandidateInit | null,
  transports: ConnectionTransports,
  record: boolean,
): void {
  if (!init?.candidate) {
    // End of candidates: for the section named, or for all of them when none is (W3C).
    const named = init && (init.sdpMid != null || init.sdpMLineIndex != null);
    const index = named ? sectionIndexFor(model, init) : undefined;
    if (named && index === undefined) throw operationError('no media section matches the end-of-candidates');
    model.media.forEach((m, i) => {
      if (index === undefined || index === i) m.endOfCandidates = true;
    });
    if (index === undefined) transports.endOfRemoteCandidates();
    else transports.addRemoteCandidate(transportMid(model, index), null);
    return;
  }
  const index = sectionIndexFor(model, init);
  if (index === undefined)
    throw operationError(
      `no media section matches sdpMid ${init.sdpMid} / sdpMLineIndex ${init.sdpMLineIndex}`,
    );
  const section = model.media[index]!;
  const ufrag = section.iceUfrag ?? model.iceUfrag;
  if (init.usernameFragment && ufrag && init.usernameFragment !== ufrag) {
    throw operationError('the candidate belongs to another ICE generation (usernameFragment mismatch)');
  }
  let candidate: RTCIceCandidate;
  try {
    candidate = new RTCIceCandidate({
      ...init,
      sdpMid: init.sdpMid ?? section.mid ?? null,
      sdpMLineIndex: index,
    });
  } catch (err) {
    throw operationError(`invalid candidate: ${(err as Error).message}`);
  }
  if (!candidate.parsed) throw operationError(`the candidate cannot be parsed: ${init.candidate}`);
  // The remote description shows it in the section it was given for (W3C "add candidate to remoteDescription").
  if (record) section.candidates.push({ ...candidate.parsed, extensions: [] });
  transports.addRemoteCandidate(transportMid(model, index), candidate);
}
