/**
 * A remote description as setRemoteDescription takes it: parsed, repaired as browsers repair it (sections
 * without a=mid get one) and checked, with the W3C errors in the W3C order — RTCError sdp-syntax-error,
 * InvalidAccessError for RTCP without mux, then the content (JSEP shape, unique tracks, ICE credentials,
 * fingerprints that do not change under a running DTLS session).
 */
import { invalidAccess, operationError } from '../common/errors.js';
import { RTCError } from '../common/rtc-error.js';
import { SdpSyntaxError } from '../sdp/errors.js';
import { isRejected, transportSectionIndex } from '../sdp/jsep/bundle.js';
import { fingerprintsOf, iceParametersOf } from '../sdp/jsep/transport.js';
import { assertValidDescription } from '../sdp/jsep/validate.js';
import { parseSdp } from '../sdp/parse.js';
import type { Fingerprint, SessionDescription } from '../sdp/types.js';
import { remoteFingerprints, remoteIceParameters } from './negotiation.js';
import type { RTCSdpType } from './session-description.js';

export interface RemoteContext {
  /** Our pending offer, which an answer must match. */
  readonly localOffer: SessionDescription | undefined;
  /** The remote description in use, if any. */
  readonly previous: SessionDescription | undefined;
  /** A DTLS session runs (its peer certificate may not change). */
  readonly dtlsStarted: boolean;
}

/** Parse and check a remote offer, answer or pranswer; the connection's state is untouched when it throws. */
export function parseRemoteDescription(
  type: Exclude<RTCSdpType, 'rollback'>,
  sdp: string,
  context: RemoteContext,
): SessionDescription {
  let model: SessionDescription;
  try {
    model = parseSdp(sdp);
  } catch (err) {
    const line = err instanceof SdpSyntaxError ? err.sdpLineNumber : null;
    throw new RTCError(
      { errorDetail: 'sdp-syntax-error', sdpLineNumber: line },
      `the remote description cannot be parsed: ${(err as Error).message}`,
    );
  }
  fillMissingMids(model, type === 'offer' ? undefined : context.localOffer);
  for (const m of model.media) {
    if (
      (m.kind === 'audio' || m.kind === 'video') &&
      (m.port !== 0 || m.bundleOnly) &&
      !m.rtcpMux &&
      !m.rtcpMuxOnly
    )
      throw invalidAccess(`m-line ${m.mid ?? '?'} lacks rtcp-mux, which tsrtc always needs`);
  }
  assertValidDescription(model, type, type === 'offer' ? undefined : context.localOffer);
  assertUniqueMsids(model);
  // A description with no section in use (no m-lines, or all rejected) needs no transport.
  if (model.media.every((m) => m.port === 0 && !m.bundleOnly)) return model;
  if (!remoteIceParameters(model)) throw invalidAccess('the remote description has no ICE ufrag/pwd');
  const fingerprints = remoteFingerprints(model);
  if (fingerprints.length === 0) throw invalidAccess('the remote description has no DTLS fingerprint');
  // Every section that carries a transport of its own (not bundled) needs its own credentials too.
  model.media.forEach((m, i) => {
    if (isRejected(model, m) || transportSectionIndex(model, i) !== i) return;
    if (!iceParametersOf(model, m)) throw invalidAccess(`m-line ${m.mid ?? i} has no ICE ufrag/pwd`);
    if (fingerprintsOf(model, m).length === 0)
      throw invalidAccess(`m-line ${m.mid ?? i} has no DTLS fingerprint`);
  });
  if (context.previous && context.dtlsStarted) {
    const before = remoteFingerprints(context.previous).map(fingerprintKey).sort().join();
    const after = fingerprints.map(fingerprintKey).sort().join();
    // RFC 9429 §5.11: a new certificate needs an ICE restart, and then a new DTLS session, which the
    // transports do not set up yet; either way the description cannot be applied.
    if (before !== after)
      throw invalidAccess('the remote DTLS fingerprint changed; a new certificate needs a new connection');
  }
  // `model` was parsed here and nothing else holds it: it is returned as it is, not copied.
  return model;
}

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
function fingerprintKey(f: Fingerprint): string {
  return `${f.algorithm.toLowerCase()} ${f.value.toLowerCase()}`;
}
