/** tsrtc/dtls: DTLS 1.2 for WebRTC: the ORTC transport, certificates, and the sans-I/O engine. */
export {
  type CertificateKeyType,
  RTCCertificate,
  type RTCCertificateKeygenAlgorithm,
} from './certificate.js';
export { CIPHER_SUITES, type CipherSuite, type CipherSuiteName } from './cipher-suites.js';
export { AlertDescription, type NamedGroupName } from './constants.js';
export {
  DtlsEngine,
  type DtlsEngineEvent,
  type DtlsEngineOptions,
  type DtlsEngineState,
} from './engine.js';
export { computeFingerprint, matchesFingerprint, RTCDtlsFingerprint } from './fingerprint.js';
export type { DtlsCredential } from './handshake-common.js';
export {
  RTCDtlsParameters,
  type RTCDtlsRole,
  RTCError,
  type RTCErrorDetailType,
  RTCErrorEvent,
} from './parameters.js';
export {
  SRTP_EXPORTER_LABEL,
  SRTP_PROFILES,
  type SrtpKeyingMaterial,
  type SrtpProfile,
  type SrtpProfileName,
} from './srtp-profiles.js';
export { EngineStats as DtlsEngineStats } from './stats.js';
export { RTCDtlsTransport, type RTCDtlsTransportOptions } from './transport.js';
