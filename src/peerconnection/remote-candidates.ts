/**
 * Remote ICE candidates (W3C addIceCandidate, and those a remote description carries): matched to the
 * section they name, recorded there so the remote description shows them, and given to our one ICE
 * transport when that section uses it. End-of-candidates likewise, per section or for all of them.
 */
import { operationError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { RTCIceCandidate, type RTCIceCandidateInit, writeCandidate } from '../ice/candidate.js';
import { transportSectionIndex } from '../sdp/jsep/bundle.js';
import { sectionIndexFor } from '../sdp/jsep/index.js';
import type { SessionDescription } from '../sdp/types.js';
import { remoteIceParameters, transportSection } from './negotiation.js';
import type { ConnectionTransports } from './transports.js';

const log = createLogger('pc:candidates');

/** Add one remote candidate (`null` or an empty one: end of candidates). Throws OperationError (W3C). */
export function addRemoteCandidate(
  model: SessionDescription,
  init: RTCIceCandidateInit | null,
  transports: ConnectionTransports,
  record: boolean,
): void {
  const transport = transportSection(model);
  const usesOurTransport = (i: number): boolean =>
    transport !== undefined && model.media[transportSectionIndex(model, i) ?? i] === transport;
  if (!init?.candidate) {
    // End of candidates: for the section named, or for all of them when none is (W3C).
    const named = init && (init.sdpMid != null || init.sdpMLineIndex != null);
    const index = named ? sectionIndexFor(model, init) : undefined;
    if (named && index === undefined) throw operationError('no media section matches the end-of-candidates');
    model.media.forEach((m, i) => {
      if (index === undefined || index === i) m.endOfCandidates = true;
    });
    if (index === undefined || usesOurTransport(index)) transports.addRemoteCandidate(null);
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
  // A section the peer did not bundle onto our one transport has ICE of its own, which we do not run.
  if (usesOurTransport(index)) transports.addRemoteCandidate(candidate);
}

/** A remote description's ICE credentials and candidates go to the ICE transport. */
export function applyRemoteIce(model: SessionDescription, transports: ConnectionTransports): void {
  const params = remoteIceParameters(model);
  if (!params) return; // nothing in use yet
  // A peer's ICE restart (new ufrag) restarts our checks before its new candidates are added.
  transports.updateRemoteIce(params);
  const section = transportSection(model);
  const index = section ? model.media.indexOf(section) : 0;
  for (const c of section?.candidates ?? []) {
    try {
      const init = { candidate: writeCandidate(c), sdpMid: section?.mid ?? null, sdpMLineIndex: index };
      addRemoteCandidate(model, init, transports, false);
    } catch (err) {
      log.debug(`ignored a candidate of the remote description: ${(err as Error).message}`);
    }
  }
  if (section?.endOfCandidates) addRemoteCandidate(model, null, transports, false);
}
