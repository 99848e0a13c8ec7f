/** Data channels: RTCDataChannel, RTCSctpTransport (ORTC) and DCEP. */
export {
  type BinaryType,
  type DataChannelData,
  RTCDataChannel,
  type RTCDataChannelEventMap,
  type RTCDataChannelParameters,
  type RTCDataChannelState,
  type RTCPriorityType,
} from './data-channel.js';
export { PPID } from './dcep.js';
export { RTCError, type RTCErrorDetailType, RTCErrorEvent } from './rtc-error.js';
export {
  RTCDataChannelEvent,
  type RTCSctpCapabilities,
  RTCSctpTransport,
  type RTCSctpTransportEventMap,
  type RTCSctpTransportOptions,
  type RTCSctpTransportState,
} from './sctp-transport.js';
