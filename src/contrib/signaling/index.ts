/** Signaling helpers in aiortc's `contrib.signaling` shape: wire format, channels, CLI options. */
export {
  createSignaling,
  DEFAULT_SIGNALING_OPTIONS,
  SIGNALING_ARG_OPTIONS,
  SIGNALING_KINDS,
  SIGNALING_USAGE,
  type SignalingKind,
  type SignalingOptions,
  signalingArgs,
  signalingOptionsFrom,
} from './args.js';
export { type CopyAndPasteOptions, CopyAndPasteSignaling } from './copy-and-paste.js';
export {
  consumeSignaling,
  DescriptionSender,
  gatheringComplete,
  type NegotiationOptions,
} from './negotiate.js';
export type { Signaling } from './signaling.js';
export {
  type SignalingRole,
  type SocketSignalingOptions,
  TcpSocketSignaling,
  UnixSocketSignaling,
} from './socket.js';
export { WebSocketSignaling, type WebSocketSignalingOptions } from './websocket.js';
export {
  BYE,
  MAX_SIGNALING_MESSAGE_BYTES,
  objectFromString,
  objectToString,
  SignalingBye,
  SignalingError,
  type SignalingObject,
} from './wire.js';
