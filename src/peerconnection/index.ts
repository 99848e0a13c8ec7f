/** RTCPeerConnection and its companions (W3C). */
export { capabilitiesFor, type RTCRtpCapabilities, type RTCRtpCodecCapability } from './capabilities.js';
export type {
  RTCBundlePolicy,
  RTCConfiguration,
  RTCIceTransportPolicy,
  RTCRtcpMuxPolicy,
} from './configuration.js';
export { RTCBandwidthEstimateEvent, RTCPeerConnectionIceEvent, RTCTrackEvent } from './events.js';
export {
  ForwardedTrack,
  type ForwardedTrackStats,
  type ForwardOptions,
  MediaForwarder,
  type MediaForwarderOptions,
  type MediaForwarderStats,
} from './forwarding.js';
export {
  type RTCDataChannelInit,
  type RTCIceGatheringState,
  type RTCOfferOptions,
  RTCPeerConnection,
  type RTCPeerConnectionState,
  type RTCRtpTransceiverInit,
  type RTCSignalingState,
} from './peer-connection.js';
export {
  type EncodedFrameListener,
  type ReceivedEncodedFrame,
  RTCRtpReceiverLayers,
} from './receiver-layers.js';
export { RemoteStreamTrack } from './remote-track.js';
export type { RTCDegradationPreference } from './send-adaptation.js';
export {
  type RTCSdpType,
  RTCSessionDescription,
  type RTCSessionDescriptionInit,
} from './session-description.js';
export { type RTCStats, RTCStatsReport } from './stats.js';
export {
  type RTCRtpEncodingParameters,
  RTCRtpReceiver,
  RTCRtpSender,
  type RTCRtpSendParameters,
  RTCRtpTransceiver,
  type RTCRtpTransceiverDirection,
} from './transceiver.js';
