/**
 * tsrtc: WebRTC and ORTC for Node.js. The W3C API (RTCPeerConnection and friends), aiortc's ORTC objects
 * (RTCIceGatherer, RTCIceTransport, RTCDtlsTransport, RTCSctpTransport) and its media pull API.
 * Protocol layers are also published on their own: tsrtc/stun, /ice, /dtls, /srtp, /sctp, /rtp, /sdp, /media.
 */
export type {
  DtlsTransportLike,
  IceTransportLike,
  RTCDtlsTransportState,
  RTCIceRole,
  RTCIceTransportState,
} from './common/transport.js';
export {
  type BinaryType,
  type DataChannelData,
  RTCDataChannel,
  RTCDataChannelEvent,
  type RTCDataChannelParameters,
  type RTCDataChannelState,
  RTCError,
  type RTCErrorDetailType,
  RTCErrorEvent,
  type RTCSctpCapabilities,
  RTCSctpTransport,
  type RTCSctpTransportState,
} from './datachannel/index.js';
export {
  RTCCertificate,
  type RTCCertificateKeygenAlgorithm,
  RTCDtlsFingerprint,
  RTCDtlsParameters,
  type RTCDtlsRole,
  RTCDtlsTransport,
} from './dtls/index.js';
export {
  RTCIceCandidate,
  type RTCIceCandidateInit,
  type RTCIceCandidatePair,
  RTCIceGatherer,
  type RTCIceGathererState,
  type RTCIceParameters,
  type RTCIceServer,
  RTCIceTransport,
  RTCPeerConnectionIceErrorEvent,
} from './ice/index.js';
export {
  AUDIO_PTIME,
  AudioFrame,
  AudioStreamTrack,
  CodecUnavailableError,
  EncodedFrame,
  Fraction,
  MediaStream,
  MediaStreamError,
  MediaStreamTrack,
  VIDEO_CLOCK_RATE,
  VIDEO_PTIME,
  VIDEO_TIME_BASE,
  VideoFrame,
  VideoStreamTrack,
} from './media/index.js';
export * from './peerconnection/index.js';
