/** RTCConfiguration (W3C) with validation, plus the few tsrtc extensions a server needs. */

import type { RTCCertificate } from '../dtls/certificate.js';
import { parseIceServers, type RTCIceServer } from '../ice/ice-server.js';
import { invalidModification } from './errors.js';

export type RTCBundlePolicy = 'balanced' | 'max-compat' | 'max-bundle';
export type RTCRtcpMuxPolicy = 'require';
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

export type ResolvedConfiguration = Required<
  Pick<
    RTCConfiguration,
    'iceServers' | 'iceTransportPolicy' | 'bundlePolicy' | 'rtcpMuxPolicy' | 'iceCandidatePoolSize'
  >
> &
  RTCConfiguration;

const BUNDLE: readonly RTCBundlePolicy[] = ['balanced', 'max-compat', 'max-bundle'];

/** Validate as the W3C "set a configuration" steps do; throws TypeError / SyntaxError / InvalidAccessError. */
export function resolveConfiguration(config: RTCConfiguration = {}): ResolvedConfiguration {
  if (config === null || typeof config !== 'object')
    throw new TypeError('RTCConfiguration must be an object');
  const iceTransportPolicy = config.iceTransportPolicy ?? 'all';
  if (iceTransportPolicy !== 'all' && iceTransportPolicy !== 'relay') {
    throw new TypeError(`iceTransportPolicy must be 'all' or 'relay', not '${String(iceTransportPolicy)}'`);
  }
  const bundlePolicy = config.bundlePolicy ?? 'balanced';
  if (!BUNDLE.includes(bundlePolicy)) {
    throw new TypeError(`bundlePolicy must be one of ${BUNDLE.join(', ')}, not '${String(bundlePolicy)}'`);
  }
  const rtcpMuxPolicy = config.rtcpMuxPolicy ?? 'require';
  if (rtcpMuxPolicy !== 'require')
    throw new TypeError(`rtcpMuxPolicy must be 'require', not '${String(rtcpMuxPolicy)}'`);
  const iceCandidatePoolSize = config.iceCandidatePoolSize ?? 0;
  if (!Number.isInteger(iceCandidatePoolSize) || iceCandidatePoolSize < 0 || iceCandidatePoolSize > 255) {
    throw new TypeError('iceCandidatePoolSize must be an integer from 0 to 255');
  }
  const iceServers = config.iceServers ?? [];
  parseIceServers(iceServers); // SyntaxError for bad URLs, InvalidAccessError for missing TURN credentials
  for (const cert of config.certificates ?? []) {
    if (cert.expires <= Date.now())
      throw new DOMException('a configured certificate has expired', 'InvalidAccessError');
  }
  return { ...config, iceServers, iceTransportPolicy, bundlePolicy, rtcpMuxPolicy, iceCandidatePoolSize };
}

/** setConfiguration() may not change certificates or the bundle policy (W3C §4.4.1.6). */
export function checkConfigurationChange(current: ResolvedConfiguration, next: ResolvedConfiguration): void {
  if (next.bundlePolicy !== current.bundlePolicy) throw invalidModification('bundlePolicy cannot change');
  if (next.certificates && next.certificates !== current.certificates) {
    const same =
      next.certificates.length === (current.certificates?.length ?? 0) &&
      next.certificates.every((c, i) => c === current.certificates?.[i]);
    if (!same) throw invalidModification('certificates cannot change');
  }
}
