/**
 * An offer (RFC 8829 §5.2) from a list of sections, in the form Chromium writes: per section our codecs with
 * payload types, header extensions, direction, rtcp-mux/rsize, msid and ssrc lines for a sending track, the
 * data section, ICE/DTLS attributes with `setup:actpass`, one BUNDLE group, `bundle-only` per policy in an
 * initial offer. The peer connection keeps payload types and extension ids stable across re-offers by
 * passing `previous`.
 */
import { isRtx, rtxFor, sameCodecFormat } from '../codecs.js';
import type {
  Codec,
  Fingerprint,
  HeaderExtension,
  MediaDirection,
  MediaKind,
  MediaSection,
  SessionDescription,
} from '../types.js';
import { emptyMediaSection, emptySession } from '../types.js';
import { type BundlePolicy, bundleOnlyForInitialOffer, markBundleOnly } from './bundle.js';
import { type LocalCodec, offerCodecs } from './codec-negotiation.js';
import { createDataChannelSection } from './data-channel.js';
import { type LocalHeaderExtension, offerHeaderExtensions } from './header-extensions.js';

/** A track we send in a section: its msid and SSRCs (RTX in an FID group). */
export interface OfferedSender {
  streamIds: string[];
  trackId: string;
  cname: string;
  ssrc: number;
  rtxSsrc?: number;
}

export interface OfferSection {
  kind: MediaKind;
  mid: string;
  direction?: MediaDirection;
  sender?: OfferedSender;
  /** A stopped transceiver's section: port 0, kept for its m-line slot. */
  rejected?: boolean;
  /** The section as last negotiated, to keep its payload types and extension ids. */
  previous?: MediaSection;
  /**
   * This section's codecs from the offer's shared list for its kind (setCodecPreferences): a subset in the
   * preferred order. Payload types stay those of the shared list, so bundled sections agree.
   */
  selectCodecs?: (shared: readonly Codec[]) => Codec[];
}

export interface OfferOptions {
  sessionId: string;
  sessionVersion?: string;
  iceUfrag: string;
  icePwd: string;
  iceLite?: boolean;
  trickle?: boolean;
  fingerprints: Fingerprint[];
  codecs: Partial<Record<MediaKind, LocalCodec[]>>;
  headerExtensions?: Partial<Record<MediaKind, (LocalHeaderExtension | string)[]>>;
  sections: OfferSection[];
  bundlePolicy?: BundlePolicy;
  /** True for the first offer of a session: only then are sections marked `bundle-only`. */
  initial?: boolean;
  maxMessageSize?: number;
  sctpPort?: number;
}

/** Our codecs for a kind, keeping the payload types `previous` negotiated for the same formats. */
function kindCodecs(
  kind: MediaKind,
  o: Pick<OfferOptions, 'codecs'>,
  previous: MediaSection | undefined,
  reserved: Set<number>,
): Codec[] {
  const local = (o.codecs[kind] ?? []).map((c) => {
    const name = c.mimeType.slice(c.mimeType.indexOf('/') + 1);
    const format = { name, clockRate: c.clockRate, channels: c.channels, parameters: c.parameters ?? {} };
    const known = previous?.codecs.find((p) => !isRtx(p) && sameCodecFormat(kind, p, format));
    if (!known || c.preferredPayloadType !== undefined) return c;
    const rtx = previous ? rtxFor(previous.codecs, known.payloadType) : undefined;
    return { ...c, preferredPayloadType: known.payloadType, preferredRtxPayloadType: rtx?.payloadType };
  });
  const codecs = offerCodecs(kind, local, reserved);
  for (const c of codecs) reserved.add(c.payloadType);
  return codecs;
}

function rtpSection(
  spec: OfferSection,
  codecs: readonly Codec[],
  extensions: readonly HeaderExtension[],
  o: OfferOptions,
): MediaSection {
  const s = emptyMediaSection(
    spec.kind,
    'UDP/TLS/RTP/SAVPF',
    codecs.map((c) => String(c.payloadType)),
  );
  s.rtcp = { port: 9, netType: 'IN', addrType: 'IP4', address: '0.0.0.0' };
  const wanted = new Set(
    (o.headerExtensions?.[spec.kind] ?? []).map((e) => (typeof e === 'string' ? e : e.uri)),
  );
  s.headerExtensions = extensions.filter((e) => wanted.has(e.uri)).map((e) => ({ ...e }));
  s.direction = spec.direction ?? 'sendrecv';
  s.rtcpMux = true;
  s.rtcpReducedSize = true;
  s.codecs = structuredClone([...codecs]);
  const sender = spec.sender;
  if (sender) {
    const streams = sender.streamIds.length > 0 ? sender.streamIds : ['-'];
    s.msids = streams.map((streamId) => ({ streamId, trackId: sender.trackId }));
    if (sender.rtxSsrc !== undefined)
      s.ssrcGroups = [{ semantics: 'FID', ssrcs: [sender.ssrc, sender.rtxSsrc] }];
    for (const ssrc of [sender.ssrc, sender.rtxSsrc]) {
      if (ssrc === undefined) continue;
      // Chromium 156 still writes `msid` per SSRC too; older and SSRC-based stacks read it from there.
      s.ssrcs.push({ ssrc, attribute: 'cname', value: sender.cname });
      for (const m of s.msids) s.ssrcs.push({ ssrc, attribute: 'msid', value: `${m.streamId} ${m.trackId}` });
    }
  }
  return s;
}

/**
 * Codecs per kind and one extension id map for the whole offer: bundled sections must agree on what a
 * payload type and an extension id mean (Chromium rejects an offer whose BUNDLE group has a "codec collision":
 * one id for two URIs, or one payload type for two codecs). Use it when building sections by hand; filter
 * `extensions` by the URIs a section's kind supports.
 */
export function offerRtpParameters(o: Pick<OfferOptions, 'sections' | 'codecs' | 'headerExtensions'>): {
  codecs: Map<MediaKind, Codec[]>;
  extensions: HeaderExtension[];
} {
  const codecs = new Map<MediaKind, Codec[]>();
  const reserved = new Set<number>();
  const uris: (LocalHeaderExtension | string)[] = [];
  const taken: HeaderExtension[] = [];
  for (const spec of o.sections) {
    if (spec.kind === 'application') continue;
    taken.push(...(spec.previous?.headerExtensions ?? []));
    if (codecs.has(spec.kind)) continue;
    const previous = o.sections.find((s) => s.kind === spec.kind && s.previous)?.previous;
    codecs.set(spec.kind, kindCodecs(spec.kind, o, previous, reserved));
    uris.push(...(o.headerExtensions?.[spec.kind] ?? []));
  }
  const unique = uris.filter(
    (u, i) =>
      uris.findIndex((v) => (typeof v === 'string' ? v : v.uri) === (typeof u === 'string' ? u : u.uri)) ===
      i,
  );
  const known = taken.filter((t, i) => taken.findIndex((u) => u.uri === t.uri) === i);
  return { codecs, extensions: offerHeaderExtensions(unique, known) };
}

function sectionCodecs(spec: OfferSection, shared: readonly Codec[]): readonly Codec[] {
  return spec.selectCodecs ? spec.selectCodecs(shared) : shared;
}

/** Build the offer model. */
export function createOffer(o: OfferOptions): SessionDescription {
  const offer = emptySession(o.sessionId, o.sessionVersion ?? '2');
  offer.iceLite = o.iceLite ?? false;
  offer.extmapAllowMixed = true;
  offer.msidSemantics = [{ semantic: 'WMS', identifiers: [] }];
  const live = o.sections.filter((s) => !s.rejected);
  const bundleOnly = o.initial
    ? bundleOnlyForInitialOffer(
        o.bundlePolicy ?? 'balanced',
        live.map((s) => s.kind),
      )
    : live.map(() => false);
  const shared = offerRtpParameters(o);
  offer.media = o.sections.map((spec) => {
    const s =
      spec.kind === 'application'
        ? createDataChannelSection({ sctpPort: o.sctpPort, maxMessageSize: o.maxMessageSize ?? 262144 })
        : rtpSection(spec, sectionCodecs(spec, shared.codecs.get(spec.kind) ?? []), shared.extensions, o);
    s.connection = { netType: 'IN', addrType: 'IP4', address: '0.0.0.0' };
    s.iceUfrag = o.iceUfrag;
    s.icePwd = o.icePwd;
    if (o.trickle ?? true) s.iceOptions = ['trickle'];
    s.fingerprints = o.fingerprints.map((f) => ({ ...f }));
    s.setup = 'actpass';
    s.mid = spec.mid;
    if (spec.rejected) s.port = 0;
    else if (bundleOnly[live.indexOf(spec)]) markBundleOnly(s);
    return s;
  });
  if (live.length > 0) offer.groups = [{ semantics: 'BUNDLE', mids: live.map((s) => s.mid) }];
  return offer;
}
