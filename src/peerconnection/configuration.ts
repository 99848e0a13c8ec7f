/**
 * RTCConfiguration (W3C webrtc-pc §4.2.1): the WebIDL conversion a browser applies (null members are
 * TypeErrors, enums are checked, `urls` becomes a list), the "set a configuration" validation, and the few
 * tsrtc extensions a server needs.
 */

import { notSupported } from '../common/errors.js';
import { RTCCertificate } from '../dtls/certificate.js';
import { parseIceServers, type RTCIceServer } from '../ice/ice-server.js';
import { invalidModification } from './errors.js';
import { toDictionary, toDOMString, toEnum, toInterface, toSequence, toUnsigned } from './webidl.js';

export type RTCBundlePolicy = 'balanced' | 'max-compat' | 'max-bundle';
/**
 * `negotiate` is accepted as Chromium's IDL still does; tsrtc always multiplexes RTCP, so a remote description
 * without rtcp-mux is refused under either policy.
 */
export type RTCRtcpMuxPolicy = 'require' | 'negotiate';
export type RTCIceTransportPolicy = 'all' | 'relay';

export interface RTCConfiguration {
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  bundlePolicy?: RTCBundlePolicy;
  rtcpMuxPolicy?: RTCRtcpMuxPolicy;
  certificates?: RTCCertificate[];
  iceCandidatePoolSize?: number;
  /** tsrtc: extra host addresses to offer as candidates (werift's option), e.g. ['127.0.0.1']. */
  iceAdditionalHostAddresses?: string[];
  /** tsrtc: offer loopback addresses only (tests and demos that must stay on this machine). */
  iceLoopbackOnly?: boolean;
  /** tsrtc: our advertised a=max-message-size for data channels (default 262144). */
  maxMessageSize?: number;
  /** tsrtc: verify `turns:` server certificates (default true). */
  turnRejectUnauthorized?: boolean;
  /** tsrtc: ms without a consent response before ICE turns `disconnected` (default 5000, as libwebrtc). */
  iceDisconnectedTimeout?: number;
  /** tsrtc: ms without a consent response before ICE turns `failed` (default 15000, as libwebrtc). */
  iceFailedTimeout?: number;
}

/** A configuration after conversion and validation: every W3C member present, `urls` always a list. */
export type ResolvedConfiguration = Required<
  Pick<
    RTCConfiguration,
    'iceTransportPolicy' | 'bundlePolicy' | 'rtcpMuxPolicy' | 'iceCandidatePoolSize' | 'certificates'
  >
> &
  Omit<RTCConfiguration, 'iceServers'> & { iceServers: (RTCIceServer & { urls: string[] })[] };

const BUNDLE: readonly RTCBundlePolicy[] = ['balanced', 'max-compat', 'max-bundle'];
const RTCP_MUX: readonly RTCRtcpMuxPolicy[] = ['negotiate', 'require'];
const ICE_TRANSPORT: readonly RTCIceTransportPolicy[] = ['all', 'relay'];

/** WebIDL RTCIceServer: `urls` is required (a string or a sequence of strings); other members are dropped. */
function toIceServer(value: unknown, i: number): RTCIceServer & { urls: string[] } {
  const what = `iceServers[${i}]`;
  const d = toDictionary(value, what);
  const out: RTCIceServer & { urls: string[] } = { urls: [] };
  if (d.credential !== undefined) out.credential = toDOMString(d.credential, `${what}.credential`);
  if (d.urls === undefined) throw new TypeError(`${what}.urls is required`);
  const urls = d.urls;
  out.urls =
    urls !== null && typeof urls === 'object' && Symbol.iterator in urls
      ? toSequence(urls, `${what}.urls`, (u, j) => toDOMString(u, `${what}.urls[${j}]`))
      : [toDOMString(urls, `${what}.urls`)];
  if (d.username !== undefined) out.username = toDOMString(d.username, `${what}.username`);
  return out;
}

/**
 * Convert (WebIDL) and validate (W3C "set a configuration") a configuration. Throws TypeError for values
 * WebIDL refuses, SyntaxError for bad ICE server URLs, InvalidAccessError for TURN servers without
 * credentials and for expired certificates.
 */
export function resolveConfiguration(configuration: unknown): ResolvedConfiguration {
  const d = toDictionary(configuration, 'RTCConfiguration');
  // WebIDL converts dictionary members in lexicographic order; the first bad one is the one reported.
  const bundlePolicy =
    d.bundlePolicy === undefined ? 'balanced' : toEnum(d.bundlePolicy, BUNDLE, 'bundlePolicy');
  const certificates =
    d.certificates === undefined
      ? []
      : toSequence(d.certificates, 'certificates', (c, i) =>
          toInterface(c, RTCCertificate, `certificates[${i}]`),
        );
  const iceCandidatePoolSize =
    d.iceCandidatePoolSize === undefined
      ? 0
      : toUnsigned(d.iceCandidatePoolSize, 8, 'iceCandidatePoolSize', true);
  const iceServers = d.iceServers === undefined ? [] : toSequence(d.iceServers, 'iceServers', toIceServer);
  // webrtc-identity's peerIdentity asks to verify who the peer is; without an identity provider tsrtc
  // cannot, and ignoring a security requirement silently would be worse than refusing it.
  if (d.peerIdentity !== undefined) {
    toDOMString(d.peerIdentity, 'peerIdentity');
    throw notSupported('peerIdentity (webrtc-identity) is not supported: tsrtc has no identity provider');
  }
  const iceTransportPolicy =
    d.iceTransportPolicy === undefined
      ? 'all'
      : toEnum(d.iceTransportPolicy, ICE_TRANSPORT, 'iceTransportPolicy');
  const rtcpMuxPolicy =
    d.rtcpMuxPolicy === undefined ? 'require' : toEnum(d.rtcpMuxPolicy, RTCP_MUX, 'rtcpMuxPolicy');
  parseIceServers(iceServers); // SyntaxError for bad URLs, InvalidAccessError for missing TURN credentials
  for (const cert of certificates) {
    if (cert.expires <= Date.now())
      throw new DOMException('a configured certificate has expired', 'InvalidAccessError');
  }
  const extensions = d as RTCConfiguration;
  return {
    ...extensions,
    iceServers,
    iceTransportPolicy,
    bundlePolicy,
    rtcpMuxPolicy,
    iceCandidatePoolSize,
    certificates,
  };
}

/**
 * setConfiguration() may not change the certificates, the bundle or RTCP mux policy, nor the candidate
 * pool size once a local description is set (W3C "set a configuration").
 */
export function checkConfigurationChange(
  current: ResolvedConfiguration,
  next: ResolvedConfiguration,
  localDescriptionSet: boolean,
): void {
  // An empty list (the default) keeps the certificates in use.
  const same =
    next.certificates.length === 0 ||
    (next.certificates.length === current.certificates.length &&
      next.certificates.every((c, i) => c === current.certificates[i]));
  if (!same) throw invalidModification('certificates cannot change');
  if (next.bundlePolicy !== current.bundlePolicy) throw invalidModification('bundlePolicy cannot change');
  if (next.rtcpMuxPolicy !== current.rtcpMuxPolicy) throw invalidModification('rtcpMuxPolicy cannot change');
  if (localDescriptionSet && next.iceCandidatePoolSize !== current.iceCandidatePoolSize) {
    throw invalidModification('iceCandidatePoolSize cannot change once a local description is set');
  }
}
