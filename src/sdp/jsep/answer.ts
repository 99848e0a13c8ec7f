/**
 * An answer to a remote offer (RFC 8829 §5.3.1), built from the pieces in this folder: per offered section,
 * the negotiated codecs, header extensions, direction, rtcp-mux/rsize, simulcast reversed, or the data channel
 * section in the offered form; rejected sections where nothing fits; the BUNDLE group; our ICE and DTLS
 * attributes with the resolved `setup`. The peer connection adds tracks (msid, ssrc) and candidates.
 */
import type { Fingerprint, MediaDirection, MediaKind, MediaSection, SessionDescription } from '../types.js';
import { emptyMediaSection, emptySession } from '../types.js';
import { answerBundleGroup, bundleGroups, isRejected } from './bundle.js';
import { type LocalCodec, negotiateCodecs } from './codec-negotiation.js';
import { createDataChannelSection, dataChannelSection } from './data-channel.js';
import { answerDirection, directionOf } from './direction.js';
import { answerSetupRole } from './dtls-setup.js';
import { type LocalHeaderExtension, negotiateHeaderExtensions } from './header-extensions.js';
import { setupOf } from './transport.js';

export interface AnswerOptions {
  sessionId: string;
  sessionVersion?: string;
  iceUfrag: string;
  icePwd: string;
  iceLite?: boolean;
  /** Announce `a=ice-options:trickle` (default true). */
  trickle?: boolean;
  fingerprints: Fingerprint[];
  /** Our choice when the offer says actpass (default `active`, as browsers do). */
  preferredSetup?: 'active' | 'passive';
  codecs: Partial<Record<MediaKind, LocalCodec[]>>;
  /** Our codecs for one section (setCodecPreferences); `codecs` of its kind when absent or undefined. */
  sectionCodecs?: (mid: string | undefined, kind: MediaKind) => LocalCodec[] | undefined;
  headerExtensions?: Partial<Record<MediaKind, (LocalHeaderExtension | string)[]>>;
  /** What we want for a section (default `recvonly`: a transceiver created by the offer has no track yet). */
  localDirection?: (mid: string | undefined, kind: MediaKind, index: number) => MediaDirection;
  /** Accept the offered data channel section (default true). */
  acceptDataChannel?: boolean;
  sctpPort?: number;
  /** Our `a=max-message-size` (default 262144, as browsers write). */
  maxMessageSize?: number;
  /** Receive the simulcast the offerer sends (default true). */
  acceptSimulcast?: boolean;
}

/** A rejected answer section: port 0, same kind, protocol and mid, first offered format (RFC 3264 §6). */
export function rejectedSection(offered: MediaSection): MediaSection {
  const s = emptyMediaSection(offered.kind, offered.protocol, offered.formats.slice(0, 1));
  s.port = 0;
  s.connection = { netType: 'IN', addrType: 'IP4', address: '0.0.0.0' };
  if (offered.mid !== undefined) s.mid = offered.mid;
  return s;
}

function addTransport(
  section: MediaSection,
  offer: SessionDescription,
  offered: MediaSection,
  o: AnswerOptions,
): boolean {
  const setup = answerSetupRole(setupOf(offer, offered), o.preferredSetup);
  if (setup === undefined) return false;
  section.iceUfrag = o.iceUfrag;
  section.icePwd = o.icePwd;
  if (o.trickle ?? true) section.iceOptions = ['trickle'];
  section.fingerprints = o.fingerprints.map((f) => ({ ...f }));
  section.setup = setup;
  if (offered.mid !== undefined) section.mid = offered.mid;
  return true;
}

function answerRtpSection(
  offer: SessionDescription,
  offered: MediaSection,
  index: number,
  o: AnswerOptions,
): MediaSection | undefined {
  const preferred = o.sectionCodecs?.(offered.mid, offered.kind);
  const codecs = negotiateCodecs(
    offered.kind,
    offered.codecs,
    preferred ?? o.codecs[offered.kind] ?? [],
    offered.wildcardFeedback,
    preferred !== undefined,
  );
  if (codecs.length === 0) return undefined;
  const s = emptyMediaSection(
    offered.kind,
    offered.protocol,
    codecs.map((c) => String(c.payloadType)),
  );
  s.connection = { netType: 'IN', addrType: 'IP4', address: '0.0.0.0' };
  s.rtcp = { port: 9, netType: 'IN', addrType: 'IP4', address: '0.0.0.0' };
  if (!addTransport(s, offer, offered, o)) return undefined;
  s.extmapAllowMixed = offered.extmapAllowMixed;
  s.headerExtensions = negotiateHeaderExtensions(
    offered.headerExtensions,
    o.headerExtensions?.[offered.kind] ?? [],
  );
  const wish = o.localDirection?.(offered.mid, offered.kind, index) ?? 'recvonly';
  s.direction = answerDirection(directionOf(offer, offered), wish);
  // JSEP §5.3.1: accept rtcp-mux when offered (we never need a separate RTCP port).
  s.rtcpMux = offered.rtcpMux || offered.rtcpMuxOnly;
  s.rtcpReducedSize = offered.rtcpReducedSize;
  s.codecs = codecs;
  const offeredSend = offered.simulcast?.send;
  if (
    offeredSend &&
    (o.acceptSimulcast ?? true) &&
    (s.direction === 'recvonly' || s.direction === 'sendrecv')
  ) {
    const accepted = new Set(codecs.map((c) => c.payloadType));
    const ids = new Set(offeredSend.flat().map((x) => x.rid));
    s.rids = offered.rids
      .filter((r) => r.direction === 'send' && ids.has(r.id))
      .map((r) => ({
        id: r.id,
        direction: 'recv' as const,
        payloadTypes: r.payloadTypes.filter((pt) => accepted.has(pt)),
        restrictions: { ...r.restrictions },
      }));
    s.simulcast = { recv: offeredSend.map((alts) => alts.map((a) => ({ ...a }))) };
  }
  return s;
}

function answerDataSection(
  offer: SessionDescription,
  offered: MediaSection,
  o: AnswerOptions,
): MediaSection | undefined {
  const data = dataChannelSection(offered);
  if (!data || o.acceptDataChannel === false) return undefined;
  const s = createDataChannelSection({
    legacy: data.legacy,
    sctpPort: o.sctpPort,
    maxMessageSize: o.maxMessageSize ?? 262144,
  });
  s.protocol = data.protocol;
  return addTransport(s, offer, offered, o) ? s : undefined;
}

/** Build the answer model for a parsed remote offer. */
export function createAnswer(offer: SessionDescription, o: AnswerOptions): SessionDescription {
  const answer = emptySession(o.sessionId, o.sessionVersion ?? '2');
  answer.iceLite = o.iceLite ?? false;
  answer.extmapAllowMixed = offer.extmapAllowMixed;
  answer.msidSemantics = [{ semantic: 'WMS', identifiers: [] }];
  const media = offer.media.map((offered, i): MediaSection | undefined => {
    if (isRejected(offer, offered)) return undefined;
    if (offered.kind === 'application') return answerDataSection(offer, offered, o);
    if (offered.kind === 'audio' || offered.kind === 'video') return answerRtpSection(offer, offered, i, o);
    return undefined;
  });
  const accepted = new Set<string>();
  media.forEach((s, i) => {
    const mid = offer.media[i]!.mid;
    if (s && mid !== undefined) accepted.add(mid);
  });
  const rejected = new Set<string>();
  for (const group of bundleGroups(offer)) {
    const result = answerBundleGroup(group, (mid) => accepted.has(mid));
    if (result.group) answer.groups.push(result.group);
    for (const mid of result.rejectedMids) rejected.add(mid);
  }
  answer.media = media.map((s, i) => {
    const offered = offer.media[i]!;
    if (!s || (offered.mid !== undefined && rejected.has(offered.mid))) return rejectedSection(offered);
    return s;
  });
  return answer;
}
